"""Every request is checked against robots.txt, also the ones sent before robots.txt arrived."""

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SPIDER = r"""
import sys, scrapy
from scrapy.crawler import CrawlerProcess

class Many(scrapy.Spider):
    name = "many"
    async def start(self):
        for i in range(8):
            yield scrapy.Request(f"{sys.argv[1]}/private/{i}", dont_filter=True)
    def parse(self, response):
        pass

# Scrapy's stock middleware lets most of these through (robots.txt is slow to arrive).
middlewares = {"scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
               "crawler.scrapy_robots.RobotsTxtMiddleware": 100}
process = CrawlerProcess({"ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
                          "LOG_LEVEL": "ERROR", "DOWNLOADER_MIDDLEWARES": middlewares, "TELNETCONSOLE_ENABLED": False})
process.crawl(Many)
process.start()
"""


@pytest.fixture
def site():
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = b"User-agent: *\nDisallow: /private\n" if self.path == "/robots.txt" else b"secret"
            if self.path == "/robots.txt":
                threading.Event().wait(0.3)  # robots.txt arrives after the other requests queued
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_requests_racing_robots_txt_are_still_refused(site):
    base, hits = site
    subprocess.run([sys.executable, "-c", SPIDER, base], check=True, timeout=60)
    assert hits == ["/robots.txt"], hits

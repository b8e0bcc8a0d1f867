"""Whole-pipeline speed on real pages: the crawl against trafilatura alone and a bare spider.

Serves the real pages of ``../shared/data`` (extract_de_dev and fundus_dev, decompressed) from
a static site on 127.0.0.1 (robots.txt, one sitemap listing every page), and in one run
measures, politeness off (no download delay, no AutoThrottle, 32 concurrent requests):

* the whole crawl (``crawler.runner.run_crawl``: spider, worker pool, WARC capture, extract,
  clean, dedup, store) with 1 and with 2 worker processes, each in a child process: pages per
  CPU-second of the crawl process and its workers, and wall-clock pages per second (Scrapy's
  ``elapsed_time_seconds``: from engine start to finish);
* ``trafilatura.extract(html, include_comments=False)`` over the same bytes in this process:
  pages per CPU-second;
* a bare Scrapy spider fetching the same pages and doing nothing with them: pages per
  CPU-second.

Goals (issue 8): whole pipeline >= 1.0x trafilatura alone per CPU-second; 2 workers >= 1.7x
the wall-clock throughput of 1 worker. The machine is shared: run it when it is quiet.

    python bench/pipeline_speed.py [--copies N] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CRAWLER_EVAL_DATA") or ROOT.parent / "shared" / "data")
SETS = ("extract_de_dev", "fundus_dev")
POLITENESS_OFF = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 32,
                  "CONCURRENT_REQUESTS_PER_DOMAIN": 32, "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False}

PIPELINE_CHILD = r"""
import json, multiprocessing.forkserver as fs, resource, sys
from pathlib import Path
from crawler.datadir import DataDir
from crawler.runner import run_crawl


def main():  # guarded: worker processes import the main module
    data_dir, sources, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    job = run_crawl(DataDir(Path(data_dir)), sources=sources, extra_settings=settings)
    stop = getattr(getattr(fs, "_forkserver", None), "_stop", None)
    if stop:
        stop()  # waits for the fork server, which has reaped the workers: their CPU time is ours now
    own, workers = (sum(getattr(resource.getrusage(w), f) for f in ("ru_utime", "ru_stime"))
                    for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    st = job.stats
    print(json.dumps({"cpu_s": own + workers, "crawl_process_cpu_s": own, "workers_cpu_s": workers,
                      "elapsed_s": st.get("elapsed_time_seconds"), "status": job.status,
                      "pages": st.get("crawler/article_pages_fetched", 0), "stored": st.get("store/new", 0),
                      "not_article": st.get("crawler/not_article", 0)}))


if __name__ == "__main__":
    main()
"""

BARE_CHILD = r"""
import json, re, resource, sys, time
import scrapy
from scrapy.crawler import CrawlerProcess
sitemap, settings = sys.argv[1], json.loads(sys.argv[2])
counts = {"pages": 0}

class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        yield scrapy.Request(sitemap, self.parse_sitemap)
    def parse_sitemap(self, response):
        for url in re.findall(rb"<loc>([^<]+)</loc>", response.body):
            yield scrapy.Request(url.decode().replace("&amp;", "&"), self.parse)
    def parse(self, response):
        counts["pages"] += 1

process = CrawlerProcess({**settings, "ROBOTSTXT_OBEY": False})
crawler = process.create_crawler(Bare)
process.crawl(crawler)
process.start()
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"cpu_s": ru.ru_utime + ru.ru_stime, "pages": counts["pages"],
                  "elapsed_s": crawler.stats.get_value("elapsed_time_seconds")}))
"""


def load_pages(copies: int) -> dict[str, bytes]:
    pages = {}
    for name in SETS:
        for path in sorted((DATA / name / "html").glob("*.html.gz")):
            body = gzip.decompress(path.read_bytes())
            for k in range(copies):
                pages[quote(f"/p/{name}/{k}/{path.name[:-3]}")] = body
    return pages


class Site:
    """A static site on a free 127.0.0.1 port: robots.txt, /sitemap.xml and the pages."""

    def __init__(self, pages: dict[str, bytes]):
        self.pages = pages
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.path = quote(unquote(self.path))
                if self.path == "/robots.txt":
                    body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
                elif self.path == "/sitemap.xml":
                    body, ctype = site.sitemap(), "application/xml"
                elif self.path in site.pages:
                    body, ctype = site.pages[self.path], "text/html"
                else:
                    body, ctype = b"not found", "text/plain"
                self.send_response(200 if ctype != "text/plain" or self.path == "/robots.txt" else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def sitemap(self) -> bytes:
        locs = "".join(f"<url><loc>{escape(self.base + p)}</loc></url>" for p in self.pages)
        return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9">{locs}</urlset>').encode()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def child(code: str, *args: str) -> dict:
    env = {**os.environ, "no_proxy": "127.0.0.1", "http_proxy": "", "https_proxy": "",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(code)  # a file, not -c: Scrapy reads its callbacks' source
    try:
        r = subprocess.run([sys.executable, f.name, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=1800)
    finally:
        os.unlink(f.name)
    if r.returncode != 0:
        raise SystemExit(f"child failed ({r.returncode}):\n{r.stderr[-4000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def trafilatura_alone(pages: dict[str, bytes]) -> dict:
    import logging

    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    t0 = time.process_time()
    for body in pages.values():
        trafilatura.extract(body, include_comments=False)
    cpu = time.process_time() - t0
    return {"cpu_s": cpu, "pages": len(pages)}


def pipeline(site: Site, workers: int, tmp: Path) -> dict:
    sources = tmp / "sources.toml"
    sources.write_text(
        "[[portal]]\nname = 'bench'\nallowed_domains = ['127.0.0.1']\n"
        f"sitemaps = ['{site.base}/sitemap.xml']\n", encoding="utf-8")  # no pattern: links are not followed
    # Stylesheets off: each page here is from another site, so each would add its own requisite
    # fetches (404s on this server); on a portal they are fetched once per crawl.
    settings = {**POLITENESS_OFF, "CRAWLER_WORKERS": workers, "CRAWLER_PAGE_REQUISITES": False}
    return child(PIPELINE_CHILD, str(tmp / f"data-{workers}"), str(sources), json.dumps(settings))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=1, help="serve each page under this many URLs (default 1)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not all((DATA / s / "html").is_dir() for s in SETS):
        print(f"needs {DATA}/{{{','.join(SETS)}}}/html", file=sys.stderr)
        return 2
    pages = load_pages(args.copies)
    site = Site(pages)
    try:
        with tempfile.TemporaryDirectory() as d:
            res = {
                "pages": len(pages),
                "trafilatura": trafilatura_alone(pages),
                "bare_spider": child(BARE_CHILD, f"{site.base}/sitemap.xml", json.dumps(POLITENESS_OFF)),
                "pipeline_1": pipeline(site, 1, Path(d)),
                "pipeline_2": pipeline(site, 2, Path(d)),
            }
    finally:
        site.stop()
    for key in ("trafilatura", "bare_spider", "pipeline_1", "pipeline_2"):
        r = res[key]
        r["pages_per_cpu_s"] = round(r["pages"] / r["cpu_s"], 1) if r["cpu_s"] else None
        if r.get("elapsed_s"):
            r["pages_per_s"] = round(r["pages"] / r["elapsed_s"], 1)
    t, p1, p2 = res["trafilatura"], res["pipeline_1"], res["pipeline_2"]
    res["pipeline_vs_trafilatura_per_cpu_s"] = round(p2["pages_per_cpu_s"] / t["pages_per_cpu_s"], 2)
    res["pipeline1_vs_trafilatura_per_cpu_s"] = round(p1["pages_per_cpu_s"] / t["pages_per_cpu_s"], 2)
    res["two_vs_one_worker_wall_clock"] = round(p2["pages_per_s"] / p1["pages_per_s"], 2)
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"{res['pages']} real pages from 127.0.0.1, politeness off")
    print(f"  trafilatura.extract alone:   {t['pages_per_cpu_s']:7.1f} pages/CPU-s")
    print(f"  bare Scrapy spider:          {res['bare_spider']['pages_per_cpu_s']:7.1f} pages/CPU-s")
    for n, p in ((1, p1), (2, p2)):
        print(f"  whole crawl, {n} worker(s):    {p['pages_per_cpu_s']:7.1f} pages/CPU-s (crawl + workers), "
              f"{p['pages_per_s']:6.1f} pages/s wall clock ({p['pages']} pages, {p['stored']} stored)")
    print(f"  pipeline / trafilatura per CPU-s: {res['pipeline1_vs_trafilatura_per_cpu_s']:.2f}x (1 worker), "
          f"{res['pipeline_vs_trafilatura_per_cpu_s']:.2f}x (2 workers)   goal >= 1.0x")
    print(f"  2 workers / 1 worker wall clock:  {res['two_vs_one_worker_wall_clock']:.2f}x   goal >= 1.7x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

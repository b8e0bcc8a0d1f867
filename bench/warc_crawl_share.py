"""What archiving costs in a real crawl: WARC CPU time / crawl CPU time on the demo portals.

Runs the `news` spider once over the bundled demo portals (crawler.demo) with throttling off,
in a child process, and prints the crawl's CPU time (user+sys of that process), the CPU time the
WARC capture spent (stats ``warc/cpu_seconds``: writing records, indexing, uploading) and their
ratio. Bar (issue 5): <= 15 %.

    python bench/warc_crawl_share.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys
from pathlib import Path
from crawler.datadir import DataDir
from crawler.runner import run_crawl
data_dir, sources = sys.argv[1:3]
job = run_crawl(DataDir(Path(data_dir)), sources=sources, extra_settings={
    "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "LOG_LEVEL": "WARNING",
})
ru = resource.getrusage(resource.RUSAGE_SELF)
st = job.stats
print(json.dumps({
    "crawl_cpu_s": ru.ru_utime + ru.ru_stime,
    "warc_cpu_s": st.get("warc/cpu_seconds"),
    "responses": st.get("downloader/response_count"),
    "warc_files": len(job.warc_files or []),
    "warc_bytes": st.get("warc/bytes"),
}))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from crawler.demo.server import DemoPortals

    portals = DemoPortals(edition=1)
    proxy = portals.start()
    try:
        with tempfile.TemporaryDirectory() as d:
            sources = Path(d) / "sources.toml"
            sources.write_text(portals.sources_toml(), encoding="utf-8")
            env = {**os.environ, "http_proxy": proxy, "no_proxy": "",
                   "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
            r = subprocess.run([sys.executable, "-c", CHILD, str(Path(d) / "data"), str(sources)],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                print(r.stderr[-4000:], file=sys.stderr)
                return 1
            res = json.loads(r.stdout.strip().splitlines()[-1])
    finally:
        portals.stop()
    res["share"] = round(res["warc_cpu_s"] / res["crawl_cpu_s"], 4) if res["crawl_cpu_s"] else None
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"responses {res['responses']}, WARC files {res['warc_files']} ({res['warc_bytes']} bytes)")
        print(f"crawl CPU {res['crawl_cpu_s']:.2f} s, WARC capture CPU {res['warc_cpu_s']:.3f} s "
              f"-> {100 * res['share']:.1f} % (bar <= 15 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

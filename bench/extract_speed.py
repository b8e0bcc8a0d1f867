"""Extraction speed: our extract + clean (with metadata) vs
``trafilatura.bare_extraction(html, include_comments=False, with_metadata=True)``.

Same pages (../shared/data/extract_de_dev, 326 German pages), same process, alternating
rounds so both see the same machine state. Prints pages/s of each and the ratio.

    python bench/extract_speed.py [--data DIR] [--rounds 3] [--json]

Bar (issue 12): ratio ours / trafilatura >= 1.0.

``--worker``: CPU time per page (``time.process_time``) of a crawl worker's page task
(``crawler.engine.tasks.analyze_for_crawl``: page type, outlinks, metadata, pruning, trafilatura,
the one-line cleaning rules) against ``trafilatura.extract(include_comments=False)`` alone, on the
371 pages of extract_de_dev and fundus_dev, alternating per page (issue 8: the whole crawl's goal
is <= trafilatura's CPU per page).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402

from crawler.cleaning import clean_text  # noqa: E402
from crawler.engine.tasks import analyze_for_crawl  # noqa: E402
from crawler.extract import extract_article  # noqa: E402
from crawler.extract_eval import load_pages  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("CRAWLER_EVAL_DATA") or REPO.parent / "shared" / "data") / "extract_de_dev"


def ours(html: bytes, url: str | None) -> None:
    art = extract_article(html, url)
    clean_text(art["text"], title=art["title"], section=art["section"])


def baseline(html: bytes, url: str | None) -> None:
    trafilatura.bare_extraction(html, url=url, include_comments=False, with_metadata=True)


def _time(fn, items) -> float:
    t0 = time.perf_counter()
    for html, url in items:
        fn(html, url)
    return time.perf_counter() - t0


def worker_pages(data: Path) -> list[tuple[str, str]]:
    """(html text, URL) of the extract_de_dev and fundus_dev pages beside ``data``."""
    import gzip

    out = []
    for name in ("extract_de_dev", "fundus_dev"):
        for path in sorted((data.parent / name / "html").glob("*.html.gz")):
            out.append((gzip.decompress(path.read_bytes()).decode("utf-8", "replace"), f"https://example.de/{path.name}"))
    return out


def worker_speed(data: Path, rounds: int, as_json: bool) -> int:
    pages = worker_pages(data)
    if not pages:
        print(f"evaluation data missing beside {data}", file=sys.stderr)
        return 2
    analyze_for_crawl(*pages[0], listed=True), trafilatura.extract(pages[0][0])  # warm-up
    t_task = t_base = 0.0
    for _ in range(rounds):
        for html, url in pages:
            t0 = time.process_time()
            trafilatura.extract(html, include_comments=False)
            t1 = time.process_time()
            analyze_for_crawl(html, url, listed=True)
            t2 = time.process_time()
            t_base, t_task = t_base + t1 - t0, t_task + t2 - t1
    n = len(pages) * rounds
    res = {"pages": len(pages), "rounds": rounds, "task_ms_per_page": round(1000 * t_task / n, 2),
           "trafilatura_ms_per_page": round(1000 * t_base / n, 2), "ratio": round(t_task / t_base, 3)}
    return report(res, as_json, [
        f"worker task (analyze_for_crawl): {res['task_ms_per_page']:6.2f} ms CPU/page",
        f"trafilatura.extract alone:       {res['trafilatura_ms_per_page']:6.2f} ms CPU/page",
        f"CPU ratio task/trafilatura: {res['ratio']:.3f}x"])


def report(res: dict, as_json: bool, lines: list[str]) -> int:
    """Print the figures as JSON or as the text lines."""
    print(json.dumps(res, indent=1) if as_json else "\n".join(lines))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", action="store_true", help="CPU per page of the crawl worker's page task")
    args = ap.parse_args(argv)
    if args.worker:
        return worker_speed(args.data, args.rounds, args.json)
    if not (args.data / "annotations.json").exists():
        print(f"evaluation data missing: {args.data}", file=sys.stderr)
        return 2
    ann, pages = load_pages(args.data)
    items = [(html, ann[name].get("url")) for name, html in pages.items()]
    _time(ours, items[:20]), _time(baseline, items[:20])  # warm-up (imports, caches)
    t_ours = t_base = 0.0
    for _ in range(args.rounds):
        t_base += _time(baseline, items)
        t_ours += _time(ours, items)
    n = len(items) * args.rounds
    res = {"pages": len(items), "rounds": args.rounds,
           "ours_pages_per_s": round(n / t_ours, 1), "trafilatura_pages_per_s": round(n / t_base, 1),
           "ratio": round(t_base / t_ours, 3)}
    res["bar_met"] = res["ratio"] >= 1.0
    return report(res, args.json, [
        f"ours (extract + clean, metadata): {res['ours_pages_per_s']:8.1f} pages/s",
        f"trafilatura bare_extraction:      {res['trafilatura_pages_per_s']:8.1f} pages/s",
        f"speed ratio ours/trafilatura: {res['ratio']:.2f}x (bar >= 1.0x: {'met' if res['bar_met'] else 'NOT met'})"])


if __name__ == "__main__":
    sys.exit(main())

"""WARC writing speed: crawler.archive.WarcArchive vs warcio's default WARCWriter(gzip=True).

Both write the same request + response record pairs (built by warcio, same headers, same
digests) into a .warc.gz; the baseline compresses every record at zlib level 9 (warcio's fixed
level), WarcArchive at level 6. Timed: building + digesting + compressing + writing the records
(not the CDXJ/upload on close). Prints throughput, the speed ratio and the size ratio for
three payload mixes (pages: the real German pages of ../shared/data/extract_de_dev/html when
present, else generated ones): identity-encoded HTML, gzip-encoded HTML (what most portals send when
asked with Accept-Encoding: gzip) and a 50/50 mix.

    python bench/warc_speed.py [--pages 400] [--repeat 3] [--json]

Bars (issue 5): speed >= 1.5x, size <= 105 % of the baseline.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

from crawler.archive.blobstore import LocalBlobStore  # noqa: E402
from crawler.archive import WarcArchive, check_warc  # noqa: E402

WORDS = (
    "Bürgermeister Stadtrat Haushalt Herford Bielefeld Polizei Feuerwehr Kreisverwaltung "
    "Schule Verkehr Baustelle Umleitung Ortsumgehung Landrat Gemeinde Bürger Versammlung "
    "Entscheidung Millionen Euro Jahr Woche Montag Dienstag Kindergarten Sporthalle Verein "
    "Fußball Ergebnis Tabelle Wetter Regen Sonne Straße Innenstadt Parkplatz Einzelhandel "
    "und der die das mit für auf nicht ist sich auch wird ein eine zum zur über nach"
).split()


def make_page(rng: random.Random, i: int) -> bytes:
    paras = []
    for _ in range(rng.randint(6, 20)):
        paras.append("<p>" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 90))) + ".</p>")
    boiler = (
        '<nav class="main"><ul>' + "".join(f'<li><a href="/ressort-{k}/">Ressort {k}</a></li>' for k in range(25))
        + "</ul></nav>"
        + '<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}</script>' * 3
        + '<aside class="teaser">' + "".join(f'<a href="/artikel-{k}.html">Mehr zum Thema {k}</a>' for k in range(15)) + "</aside>"
    )
    return (
        f"<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Artikel {i}</title>"
        '<link rel="stylesheet" href="/static/site.css"></head><body>'
        + boiler + f"<article><h1>Meldung {i}</h1>" + "".join(paras) + "</article>" + boiler
        + "<footer>Impressum Datenschutz Kontakt</footer></body></html>"
    ).encode("utf-8")


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "extract_de_dev" / "html"


def load_corpus() -> list[bytes]:
    """Real German web pages from ../shared/data (not copied into the repo), if present."""
    if not CORPUS.is_dir():
        return []
    pages = []
    for p in sorted(CORPUS.iterdir()):
        if p.is_file():
            data = p.read_bytes()
            pages.append(gzip.decompress(data) if p.name.endswith(".gz") else data)
    return pages


def make_exchanges(n: int, mode: str, seed: int = 42, corpus: list[bytes] | None = None) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        raw = corpus[i % len(corpus)] if corpus else make_page(rng, i)
        enc = mode == "gzip" or (mode == "mixed" and i % 2 == 0)
        body = gzip.compress(raw, 6) if enc else raw
        hdrs = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Date", "Mon, 23 Nov 2026 10:00:00 GMT"),
            ("Server", "nginx"),
            ("Cache-Control", "max-age=60"),
            ("Content-Length", str(len(body))),
        ]
        if enc:
            hdrs.append(("Content-Encoding", "gzip"))
        out.append({
            "url": f"http://www.weserbote.test/lokales/meldung-{i}.html",
            "request_headers": [("User-Agent", "NewsCrawler/0.1"), ("Accept-Encoding", "gzip, deflate"),
                                ("Accept", "text/html")],
            "response_headers": hdrs,
            "body": body,
        })
    return out


def write_baseline(exchanges, path: Path) -> None:
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True, warc_version="1.1")
        w.write_record(w.create_warcinfo_record(path.name, {"software": "bench"}))
        for ex in exchanges:
            http = StatusAndHeaders("200 OK", list(ex["response_headers"]), protocol="HTTP/1.1")
            resp = w.create_warc_record(ex["url"], "response", payload=io.BytesIO(ex["body"]),
                                        length=len(ex["body"]), http_headers=http)
            req_http = StatusAndHeaders("GET /lokales/x.html HTTP/1.1",
                                        [("Host", "www.weserbote.test")] + list(ex["request_headers"]),
                                        is_http_request=True)
            req = w.create_warc_record(ex["url"], "request", http_headers=req_http)
            w.write_request_response_pair(req, resp)
            fh.flush()


LEVEL = 6


def write_ours(exchanges, tmp: Path) -> Path:
    a = WarcArchive(tmp / "spool", LocalBlobStore(tmp / "archive"), run_id="bench",
                    background_upload=False, recover=False, compress_level=LEVEL)
    for ex in exchanges:
        a.write_exchange(url=ex["url"], request_headers=ex["request_headers"], status=200,
                         response_headers=ex["response_headers"], body=ex["body"])
    path = a._open.path
    a._open.fh.close()
    a._open = None
    return path


def run(pages: int, repeat: int, synthetic: bool = False) -> dict:
    results = {}
    corpus = [] if synthetic else load_corpus()
    results["corpus"] = f"{CORPUS} ({len(corpus)} pages)" if corpus else "synthetic pages"
    for mode in ("identity", "gzip", "mixed"):
        ex = make_exchanges(pages, mode, corpus=corpus)
        payload = sum(len(e["body"]) for e in ex)
        best_b = best_o = float("inf")
        size_b = size_o = 0
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as d:
                d = Path(d)
                t = time.perf_counter()
                write_baseline(ex, d / "base.warc.gz")
                best_b = min(best_b, time.perf_counter() - t)
                size_b = (d / "base.warc.gz").stat().st_size
                t = time.perf_counter()
                p = write_ours(ex, d)
                best_o = min(best_o, time.perf_counter() - t)
                size_o = p.stat().st_size
                chk = check_warc(p)  # still warcio-readable, digests verify
                assert chk.ok and chk.by_type.get("response") == pages, chk.errors[:3]
        results[mode] = {
            "pages": pages,
            "payload_mb": round(payload / 1e6, 2),
            "warcio_s": round(best_b, 3),
            "ours_s": round(best_o, 3),
            "warcio_mb_s": round(payload / 1e6 / best_b, 1),
            "ours_mb_s": round(payload / 1e6 / best_o, 1),
            "speed_ratio": round(best_b / best_o, 2),
            "size_ratio": round(size_o / size_b, 4),
        }
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--synthetic", action="store_true", help="generated pages instead of ../shared corpus")
    ap.add_argument("--level", type=int, default=6, help="zlib level for WarcArchive (default 6)")
    args = ap.parse_args(argv)
    global LEVEL
    LEVEL = args.level
    res = run(args.pages, args.repeat, args.synthetic)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print("corpus:", res.pop("corpus"))
        print(f"{'payload':10} {'MB':>7} {'warcio s':>9} {'ours s':>8} {'speed x':>8} {'size %':>8}")
        for mode, r in res.items():
            print(f"{mode:10} {r['payload_mb']:7.2f} {r['warcio_s']:9.3f} {r['ours_s']:8.3f} "
                  f"{r['speed_ratio']:8.2f} {100 * r['size_ratio']:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

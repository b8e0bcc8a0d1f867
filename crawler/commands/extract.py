"""``crawler extract PATH... [--url URL] [--jsonl OUT] [--portal NAME] [--learn]``

Runs exactly the pipeline's extract and clean code on saved HTML files (``.html``,
``.html.gz``) or WARC files (every HTML response in them), one JSON object per page. Learned
templates are read from the data directory and only updated with ``--learn``.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Iterator

from crawler.cleaning import clean_text
from crawler.extract import extract_article

PROGRESS_MIN_PAGES = 20


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "extract", help="extract and clean articles from HTML or WARC files",
        description="Extract main text and metadata and remove residue lines, as the crawl "
        "pipeline does, from HTML files (.html, .html.gz) or WARC files.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="HTML, HTML.gz or WARC(.gz) files")
    p.add_argument("--url", help="page URL (only when a single HTML file is given)")
    p.add_argument("--jsonl", metavar="OUT", help="write JSON Lines to OUT instead of stdout")
    p.add_argument("--portal", metavar="NAME", help="apply this portal's rules from sources.toml")
    p.add_argument("--sources", metavar="PATH", help="sources.toml (default: $CRAWLER_SOURCES or ./sources.toml)")
    p.add_argument("--learn", action="store_true", help="update the portal's learned templates")
    p.set_defaults(func=run)


def _is_warc(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz"))


def _read_html(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.lower().endswith(".gz") or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def iter_warc_pages(path: Path) -> Iterator[tuple[dict, str | None, bytes | None, str | None]]:
    """(warc pointer, url, html bytes, error) for every HTML response record of a WARC file."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            if record.rec_type != "response":
                continue
            ctype = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
            if "html" not in ctype.lower():
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            rid = record.rec_headers.get_header("WARC-Record-ID")
            try:
                body = record.content_stream().read()
                err = None
            except Exception as exc:  # a broken record: report it, go on
                body, err = None, f"{type(exc).__name__}: {exc}"
            it.read_to_end(record)  # then offset/length are known (asking earlier consumes the body)
            pointer = {"offset": it.get_record_offset(), "length": it.get_record_length(), "record_id": rid}
            yield pointer, url, body, err


class _Portal:
    def __init__(self, name=None, line_patterns=(), drop_selectors=(), timezone="Europe/Berlin", language=None):
        self.name, self.line_patterns, self.drop_selectors = name, tuple(line_patterns), tuple(drop_selectors)
        self.timezone, self.language = timezone, language


def load_portal(name: str | None, sources: str | None = None) -> _Portal:
    if not name:
        return _Portal()
    from crawler.config import load_sources  # lazy: only needed with --portal

    p = load_sources(sources).portal(name)
    return _Portal(p.name, p.residue.line_patterns, p.residue.drop_selectors, p.timezone, p.language)


def process_page(html: bytes, url: str | None, portal: _Portal, templates, learn: bool) -> dict:
    """The extract + clean stages on one page, as the crawl pipelines run them."""
    art = extract_article(html, url, timezone=portal.timezone, drop_selectors=portal.drop_selectors,
                          language=portal.language)
    res = clean_text(art["text"], title=art["title"], section=art["section"], authors=art["authors"],
                     portal=portal.name, line_patterns=portal.line_patterns, templates=templates, learn=learn)
    return {
        "url": url or art["canonical_url"], "title": art["title"], "text": res.text,
        "published": art["published"], "modified": art["modified"], "authors": art["authors"],
        "section": art["section"], "dateline": art["dateline"], "language": art["language"],
        "canonical_url": art["canonical_url"], "paywalled": art["paywalled"], "removed": res.removed, "warnings": res.warnings,
        "catalogue_version": res.catalogue_version,
    }


def _pages(paths: list[Path], url: str | None):
    single_html = len(paths) == 1 and not _is_warc(paths[0])
    for path in paths:
        if _is_warc(path):
            try:
                for pointer, page_url, body, err in iter_warc_pages(path):
                    yield {"source": str(path), "warc": pointer}, page_url, body, err
            except Exception as exc:
                yield {"source": str(path)}, None, None, f"{type(exc).__name__}: {exc}"
        else:
            try:
                body, err = _read_html(path), None
            except Exception as exc:
                body, err = None, f"{type(exc).__name__}: {exc}"
            yield {"source": str(path)}, (url if single_html else None), body, err


def _count(paths: list[Path]) -> int:
    return sum(1 for p in paths if not _is_warc(p)) + 50 * sum(1 for p in paths if _is_warc(p))


def run(args) -> int:
    paths = [Path(p) for p in args.paths]
    if args.url and (len(paths) != 1 or _is_warc(paths[0])):
        print("crawler extract: --url applies only when a single HTML file is given", file=sys.stderr)
        return 2
    try:
        portal = load_portal(args.portal, getattr(args, "sources", None))
    except Exception as exc:
        print(f"crawler extract: {exc}", file=sys.stderr)
        return 2
    templates = None
    data_dir = getattr(args, "data_dir", None)
    if portal.name and data_dir is not None:
        from crawler.cleaning.templates import TemplateStore

        if args.learn or Path(data_dir.templates_db).exists():
            templates = TemplateStore(data_dir.templates_db)
    out = open(args.jsonl, "w", encoding="utf-8") if args.jsonl else sys.stdout
    progress = sys.stderr.isatty() and _count(paths) >= PROGRESS_MIN_PAGES
    n = failed = 0
    try:
        for base, url, body, err in _pages(paths, args.url):
            record = dict(base)
            if err is None:
                try:
                    record.update(process_page(body, url, portal, templates, args.learn))
                except Exception as exc:  # one bad page never stops the run
                    err = f"{type(exc).__name__}: {exc}"
            if err is not None:
                record.update({"url": url, "error": err})
                failed += 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
            if progress:
                print(f"\rextract: {n} pages, {failed} failed", end="", file=sys.stderr, flush=True)
    finally:
        if progress:
            print(file=sys.stderr)
        if out is not sys.stdout:
            out.close()
        if templates is not None:
            templates.close()
    return 1 if failed and failed == n else 0

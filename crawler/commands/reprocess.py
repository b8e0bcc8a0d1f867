"""``crawler reprocess [--portal NAME] [--since TIME] [--sources PATH]``

Better rules reach the holdings: every stored article's current version is extracted and
cleaned again from its archived WARC record (through a revisit to its original), with the
current rules, the portal's configuration and its learned templates (read, not updated). Where
the text or the metadata (title, authors, dates, section, dateline, language, paywall flag)
changed, a new version is stored (``discovered_via: "reprocessed"``, same fetch time and WARC
pointer) and the near-duplicate index decides its story as for a recrawl. Counted apart:
``reprocessed`` (a new text) and ``metadata_only`` (same text, other metadata). Nothing is
fetched. Holds the data directory's crawl lock while it runs.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from crawler.cleaning import clean_text
from crawler.extract import extract_article

COMPARED = ("text", "title", "authors", "published", "modified", "section", "dateline", "language", "paywalled")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "reprocess", help="re-extract stored articles from their WARC records with the current rules",
        description="Extract and clean stored articles again from their archived WARC records with the "
        "current rules; store a new version (reason 'reprocessed') where the text or the metadata changed. "
        "Fetches nothing.")
    p.add_argument("--portal", action="append", metavar="NAME", help="only this portal's articles (repeatable)")
    p.add_argument("--since", metavar="TIME", help="only versions fetched at or after TIME (ISO 8601, e.g. 2026-11-01)")
    p.add_argument("--sources", metavar="PATH", help="sources.toml (default: $CRAWLER_SOURCES or ./sources.toml)")
    p.set_defaults(func=run)


def _since(text: str | None) -> str | None:
    if not text:
        return None
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()


def _after(fetched_at: str, since: str | None) -> bool:
    if since is None:
        return True
    dt = datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat() >= since


class Reprocessor:
    """Re-extracts one stored version; ``fields`` of the current rules, or None when unchanged."""

    def __init__(self, sources, data_dir, templates=None):
        from crawler.archive.blobstore import open_blobstore

        self.sources, self.data_dir, self.templates = sources, data_dir, templates
        self._open, self._stores = open_blobstore, {}

    def _html(self, version) -> bytes:
        from crawler.archive import resolve_pointer

        uri = version.archive or None
        if uri not in self._stores:
            self._stores[uri] = self._open(uri, default_dir=self.data_dir.archive_dir)
        return resolve_pointer(self._stores[uri], version.warc).body

    def fields(self, version) -> dict | None:
        portal = self.sources.portal(version.portal)
        art = extract_article(self._html(version), version.url, timezone=portal.timezone,
                              drop_selectors=portal.residue.drop_selectors, language=portal.language)
        res = clean_text(art["text"], title=art["title"], section=art["section"], authors=art["authors"],
                         portal=portal.name, line_patterns=portal.residue.line_patterns, templates=self.templates,
                         learn=False)
        new = {**{k: art.get(k) for k in COMPARED}, "text": res.text, "removed": res.removed,
               "warnings": res.warnings, "catalogue_version": res.catalogue_version}
        if not res.text.strip() or all(new[k] == getattr(version, k) for k in COMPARED):
            return None
        return new


def _save(store, index, version, new: dict):
    from dataclasses import replace

    from dateutil import parser as dateparser

    from crawler.store import ClusterAssignment, text_hash

    published = new.get("published") or version.fetched_at
    decision = index.add(version.article_id, new["text"], published=dateparser.isoparse(published),
                         title=new.get("title"))
    index.commit()  # durable before the store commits, as in the crawl
    updated = replace(version, **new, text_hash=text_hash(new["text"]), discovered_via="reprocessed", run_id=None)
    cluster = ClusterAssignment(
        cluster_id=decision.cluster_id, representative=decision.representative,
        previous_representative=decision.previous_representative, nearest=decision.nearest,
        jaccard=decision.jaccard, containment=decision.containment, reason=decision.reason)
    return store.save_article(updated, cluster)


def run(args) -> int:
    from crawler.config import ConfigError, load_sources
    from crawler.dedup import crawl_index_options, open_index
    from crawler.jobs import CrawlLock, LockHeld
    from crawler.runner import project_settings
    from crawler.store import open_store, text_hash
    from crawler.cleaning.templates import TemplateStore

    try:
        sources = load_sources(args.sources)
        since = _since(args.since)
        for name in args.portal or ():
            sources.portal(name)
    except (ConfigError, ValueError, KeyError) as exc:
        print(f"crawler reprocess: {exc}", file=sys.stderr)
        return 2
    data_dir = args.data_dir
    try:
        lock = CrawlLock(data_dir.lock_file).acquire("reprocess")
    except LockHeld as exc:
        print(f"crawler reprocess: {exc}", file=sys.stderr)
        return 3
    store = open_store(data_dir)  # --store / $CRAWLER_STORE, else the data dir's SQLite file
    location, window = crawl_index_options(project_settings(), data_dir)  # as the crawl's
    index = open_index(location, window_days=window)
    templates = TemplateStore(data_dir.templates_db) if data_dir.templates_db.exists() else None
    # new versions: reprocessed (a new text) and metadata_only (same text; title, authors, dates,
    # section, dateline, language or paywall flag differ)
    counts = {"checked": 0, "reprocessed": 0, "unchanged": 0, "metadata_only": 0, "failed": 0}
    try:
        work = Reprocessor(sources, data_dir, templates)
        for aid in list(dict.fromkeys(row["article_id"] for row in store.changes_after(0))):
            version = store.current_version(aid)
            if (version is None or not version.warc or (args.portal and version.portal not in args.portal)
                    or not _after(version.fetched_at, since)):
                continue
            counts["checked"] += 1
            try:
                new = work.fields(version)
                if new is None or _save(store, index, version, new).unchanged:
                    counts["unchanged"] += 1
                elif text_hash(new["text"]) == text_hash(version.text):
                    counts["metadata_only"] += 1
                else:
                    counts["reprocessed"] += 1
            except Exception as exc:  # one unreadable record never stops the run
                counts["failed"] += 1
                print(f"crawler reprocess: {aid} ({version.url}): {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        index.close()
        store.close()
        if templates is not None:
            templates.close()
        lock.release()
    print("reprocess: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 1 if counts["failed"] and counts["failed"] == counts["checked"] else 0

"""The summary of one crawl run: what was fetched, stored, removed, clustered and archived."""

from __future__ import annotations

from crawler.datadir import DataDir
from crawler.store import ArticleStore, JobRecord


def crawl_summary(job: JobRecord, store: ArticleStore, data_dir: DataDir, warc_sizes: dict[str, int]) -> dict:
    stats = job.stats
    removed = {
        key.split("/", 2)[2]: value for key, value in sorted(stats.items()) if key.startswith("clean/removed/")
    }
    clusters = []
    for cluster_id in store.clusters_touched(job.run_id):
        members = store.cluster_members(cluster_id)
        clusters.append({
            "cluster_id": cluster_id,
            "representative": next((m["url"] for m in members if m["is_representative"]), None),
            "members": [
                {"url": m["url"], "portal": m["portal"], "published": m.get("published"),
                 "jaccard": m.get("jaccard"), "containment": m.get("containment")}
                for m in members
            ],
        })
    clusters.sort(key=lambda c: -len(c["members"]))  # stories with several copies first
    return {
        "run_id": job.run_id,
        "status": job.status,
        "exit_code": job.exit_code,
        "started_at": job.started_at,
        "ended_at": job.ended_at,
        "pages_fetched": int(stats.get("downloader/response_count", 0)),
        # Every fetch of an article URL (also those that turned out redirects, 404s, non-articles).
        "article_pages_fetched": int(stats.get("crawler/article_pages_fetched", 0)),
        "articles_new": int(stats.get("store/new", 0)),
        "articles_new_version": int(stats.get("store/new_version", 0)),
        "articles_unchanged": int(stats.get("store/unchanged", 0)),
        "not_articles": int(stats.get("crawler/not_article", 0)),
        "dropped": int(stats.get("item_dropped_count", 0)),
        "errors": int(stats.get("log_count/ERROR", 0)),
        "residue_removed": removed,
        "residue_removed_total": sum(removed.values()),
        "clusters": clusters,
        "warc_files": [{"name": n, "size": warc_sizes.get(n)} for n in job.warc_files],
        "store": {"uri": store.location, **store.counts()},
        "archive": job.archive,
        "log": str(data_dir.logs_dir / f"{job.run_id}.log"),
    }


TOP_CLUSTERS = 10


def format_summary(s: dict, verbose: bool = False) -> str:
    """Totals and the largest story clusters (all of them, and every WARC file, with ``verbose``)."""
    lines = [
        f"Crawl run {s['run_id']}: {s['status']} (exit {s['exit_code']}), {s['started_at']} – {s['ended_at']}",
        f"  pages fetched:       {s['pages_fetched']} (article URLs: {s['article_pages_fetched']}, "
        f"not articles: {s['not_articles']}, dropped: {s['dropped']}, errors logged: {s['errors']})",
        f"  articles stored:     {s['articles_new']} new, {s['articles_new_version']} new versions, "
        f"{s['articles_unchanged']} unchanged",
        f"  residue removed:     {s['residue_removed_total']} lines",
    ]
    for rule, n in sorted(s["residue_removed"].items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"      {n:4d}  {rule}")
    multi = [c for c in s["clusters"] if len(c["members"]) > 1]
    lines.append(f"  story clusters:      {len(s['clusters'])} touched, {len(multi)} with several copies")
    shown = s["clusters"] if verbose else s["clusters"][:TOP_CLUSTERS]
    for c in shown:
        lines.append(f"    {c['cluster_id']} ({len(c['members'])} member{'s' if len(c['members']) != 1 else ''})")
        for m in c["members"]:
            sim = "" if m["jaccard"] is None else f"  jaccard {m['jaccard']:.2f}"
            star = "*" if m["url"] == c["representative"] else " "
            lines.append(f"      {star} {m['url']}{sim}")
    if len(shown) < len(s["clusters"]):
        lines.append(f"    … {len(s['clusters']) - len(shown)} more (--verbose lists all)")
    lines.append(f"  WARC files:          {len(s['warc_files'])}")
    for w in (s["warc_files"] if verbose else s["warc_files"][:TOP_CLUSTERS]):
        size = "?" if w["size"] is None else f"{w['size']:,} bytes"
        lines.append(f"      {w['name']}  {size}")
    st = s["store"]
    lines.append(f"  article store:       {st['uri']} ({st['articles']} articles, {st['versions']} versions, "
                 f"{st['clusters']} clusters, max seq {st['max_seq']})")
    lines.append(f"  archive:             {s['archive']}")
    lines.append(f"  log:                 {s['log']}")
    return "\n".join(lines)

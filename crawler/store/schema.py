"""The store's tables, once for both backends: version 1 and the migrations after it.

A new store runs ``V1`` and then every migration; an existing one the migrations after the
``schema_version`` in its ``meta`` table, each in its own transaction. Dialect tokens:
``{SEQ_PK}`` (an auto-incrementing integer primary key) and ``{REAL}`` (a double).
"""

from __future__ import annotations

V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (
    seq {SEQ_PK},
    article_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY,
    canonical_url TEXT NOT NULL UNIQUE,
    portal TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    cluster_id TEXT,
    is_representative INTEGER NOT NULL DEFAULT 0,
    nearest TEXT,
    jaccard {REAL},
    containment {REAL},
    dedup_reason TEXT,
    seq BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_seq ON articles (seq);
CREATE INDEX IF NOT EXISTS articles_cluster ON articles (cluster_id);
CREATE TABLE IF NOT EXISTS versions (
    article_id TEXT NOT NULL REFERENCES articles (article_id),
    version INTEGER NOT NULL,
    url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    lastmod TEXT,
    run_id TEXT,
    discovered_via TEXT,
    title TEXT, text TEXT NOT NULL, authors TEXT, published TEXT, modified TEXT,
    section TEXT, dateline TEXT, language TEXT,
    removed TEXT, warnings TEXT, catalogue_version TEXT, text_hash TEXT,
    warc TEXT, archive TEXT,
    PRIMARY KEY (article_id, version)
);
CREATE TABLE IF NOT EXISTS clusters (
    cluster_id TEXT PRIMARY KEY,
    representative TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS url_state (
    url TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    http_status INTEGER,
    lastmod TEXT,
    article_id TEXT,
    fetched_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS url_state_status ON url_state (status, fetched_at);
CREATE TABLE IF NOT EXISTS jobs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,
    exit_code INTEGER,
    portals TEXT, archive TEXT, host TEXT, pid INTEGER,
    stats TEXT, warc_files TEXT
)
"""

# version -> statements that bring version-1 tables there
MIGRATIONS: dict[int, list[str]] = {
    # 2: the change feed (one row per change with the article's story state) and tombstones
    2: [
        "ALTER TABLE changes ADD COLUMN cluster_id TEXT",
        "ALTER TABLE changes ADD COLUMN is_representative INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE changes ADD COLUMN portal TEXT",
        "ALTER TABLE changes ADD COLUMN canonical_url TEXT",
        "ALTER TABLE changes ADD COLUMN version INTEGER",
        "ALTER TABLE changes ADD COLUMN run_id TEXT",
        "ALTER TABLE changes ADD COLUMN detail TEXT",
        "ALTER TABLE articles ADD COLUMN gone_at TEXT",
        "ALTER TABLE articles ADD COLUMN gone_status INTEGER",
        # changes recorded before version 2: the article's present state is the best known
        "UPDATE changes SET cluster_id = (SELECT a.cluster_id FROM articles a WHERE a.article_id = changes.article_id),"
        " portal = (SELECT a.portal FROM articles a WHERE a.article_id = changes.article_id),"
        " canonical_url = (SELECT a.canonical_url FROM articles a WHERE a.article_id = changes.article_id),"
        " version = (SELECT a.current_version FROM articles a WHERE a.article_id = changes.article_id),"
        " is_representative = COALESCE((SELECT a.is_representative FROM articles a"
        " WHERE a.article_id = changes.article_id AND a.seq = changes.seq), 0),"
        " detail = '{}'",
        "CREATE INDEX IF NOT EXISTS changes_portal ON changes (portal, seq)",
    ],
    # 3: the paywall flag of a version (a teaser behind a paywall); versions stored before read
    # false until `crawler reprocess` extracts them again
    3: [
        "ALTER TABLE versions ADD COLUMN paywalled INTEGER NOT NULL DEFAULT 0",
    ],
    # 4: the job list (newest first) and the running jobs read by an index: the table grows by
    # one row per run of a scheduled service, and both are read at every start and listing
    4: [
        "CREATE INDEX IF NOT EXISTS jobs_started ON jobs (started_at)",
        "CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status)",
    ],
}

STORE_SCHEMA_VERSION = max(MIGRATIONS)


def statements(sql: str | list[str], seq_pk: str, real: str) -> list[str]:
    parts = sql if isinstance(sql, list) else [s for s in sql.split(";") if s.strip()]
    return [p.replace("{SEQ_PK}", seq_pk).replace("{REAL}", real) for p in parts]

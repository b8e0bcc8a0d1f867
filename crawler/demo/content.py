"""The demo's article data: ``content/articles.toml`` plus the two seed texts.

Everything here is plain data; the layouts turn it into pages, ``manifest`` into expectations.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

CONTENT_DIR = Path(__file__).with_name("content")
SEED_DIR = CONTENT_DIR / "seeds"
EDITIONS = (1, 2)


@dataclass(frozen=True)
class Version:
    """What an article looks like in one edition."""

    title: str
    blocks: tuple[str, ...]        # body blocks; "## " prefix = sub-heading
    published: str
    modified: str | None           # None: never changed

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The body as text lines (sub-headings without their marker)."""
        return tuple(b[3:] if b.startswith("## ") else b for b in self.blocks)

    @property
    def lastmod(self) -> str:
        return self.modified or self.published


@dataclass(frozen=True)
class Article:
    key: str
    portal: str
    section: str
    slug: str
    num: int
    story: str
    author: str
    caption: str | None
    kicker: str | None
    source: str | None
    dateline: str | None
    related: tuple[str, ...]
    editions: tuple[int, ...]
    base: Version
    update: Version | None = field(default=None)

    def version(self, edition: int) -> Version | None:
        if edition not in self.editions:
            return None
        if edition >= 2 and self.update is not None:
            return self.update
        return self.base


def read_seed_blocks(name: str) -> list[str]:
    """A seed text split into its blank-line separated blocks."""
    text = (SEED_DIR / name).read_text(encoding="utf-8")
    return [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]


@lru_cache(maxsize=1)
def load_articles() -> tuple[Article, ...]:
    raw = tomllib.loads((CONTENT_DIR / "articles.toml").read_text(encoding="utf-8"))["article"]
    by_key: dict[str, list[str]] = {}
    out: list[Article] = []
    for entry in raw:
        title = entry.get("title")
        if "seed" in entry:
            blocks = read_seed_blocks(entry["seed"])
            if title is None:
                title = blocks[entry["seed_title"]]
            start, stop = entry["seed_body"]
            body = blocks[start:stop]
        elif "seed_story" in entry:
            body = list(by_key[entry["seed_story"]])
        else:
            body = list(entry["paragraphs"])
        # Sub-headings of seed texts: short lines without final punctuation.
        body = [
            b if b.startswith("## ") or len(b) > 60 or b.endswith((".", "“", "”", "?", "!", ":")) else "## " + b
            for b in body
        ]
        by_key[entry["key"]] = list(body)
        for idx, text in entry.get("reword", {}).items():
            body[int(idx)] = text
        drop = set(entry.get("drop", ()))
        body = [b for i, b in enumerate(body) if i not in drop]
        dateline = entry.get("dateline")
        if dateline:
            body[0] = dateline + body[0]
        base = Version(title, tuple(body), entry["published"], entry.get("modified"))
        update = None
        if "update" in entry:
            upd = entry["update"]
            update = Version(
                upd.get("title", title),
                tuple(body) + tuple(upd.get("append", ())),
                entry["published"],
                upd["modified"],
            )
        out.append(Article(
            key=entry["key"],
            portal=entry["portal"],
            section=entry["section"],
            slug=entry["slug"],
            num=int(entry["num"]),
            story=entry["story"],
            author=entry.get("author", ""),
            caption=entry.get("caption"),
            kicker=entry.get("kicker"),
            source=entry.get("source"),
            dateline=dateline.rstrip(" –-\u00a0") if dateline else None,
            related=tuple(entry.get("related", ())),
            editions=tuple(entry.get("editions", EDITIONS)),
            base=base,
            update=update,
        ))
    return tuple(out)


def articles_for(portal: str, edition: int) -> list[tuple[Article, Version]]:
    """Articles of a portal present in ``edition``, newest first."""
    items = [(a, a.version(edition)) for a in load_articles() if a.portal == portal]
    items = [(a, v) for a, v in items if v is not None]
    items.sort(key=lambda av: av[1].published, reverse=True)
    return items

"""Helpers shared by the portal layouts."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
          "Oktober", "November", "Dezember")


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def dt(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def de_short(iso: str) -> str:
    """'21.11.2026, 09:12 Uhr'"""
    d = dt(iso)
    return f"{d:%d.%m.%Y}, {d:%H:%M} Uhr"


def de_long(iso: str) -> str:
    """'21. November 2026, 09:12 Uhr'"""
    d = dt(iso)
    return f"{d.day}. {MONTHS[d.month - 1]} {d.year}, {d:%H:%M} Uhr"


def teaser(paragraphs, words: int = 24) -> str:
    first = next((p for p in paragraphs if len(p) > 60), paragraphs[0])
    parts = first.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def search_href(text: str) -> str:
    return "/suche?q=" + quote(text[:40])


def json_ld(obj: dict) -> str:
    text = json.dumps(obj, ensure_ascii=False, indent=2)
    return '<script type="application/ld+json">\n' + text.replace("</", "<\\/") + "\n</script>"


@dataclass
class Page:
    """A rendered page and the visible chrome lines around the article (residue)."""

    html: str
    residue: list[str] = field(default_factory=list)


class Residue:
    """Collects visible chrome strings while a page is rendered."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str) -> str:
        if text not in self.lines:
            self.lines.append(text)
        return esc(text)

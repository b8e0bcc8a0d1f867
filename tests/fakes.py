"""In-memory stand-ins for the crawl's collaborators, for unit tests of spider and pipelines."""

from __future__ import annotations

from collections import Counter

from crawler.config import parse_sources

SOURCES_TOML = """
[[portal]]
name = "lokal"
allowed_domains = ["lokal.test"]
feeds = ["http://lokal.test/rss.xml"]
article_pattern = '/artikel/\\d+\\.html$'
[portal.residue]
line_patterns = ["^Mehr aus der Stadt"]
"""


def sources(text: str = SOURCES_TOML):
    return parse_sources(text)


class FakeStats:
    def __init__(self):
        self.values = Counter()

    def inc_value(self, key, count=1, start=0):
        self.values[key] += count

    def set_value(self, key, value):
        self.values[key] = value

    def get_value(self, key, default=None):
        return self.values.get(key, default)


class FakeStore:
    """Records what the stages write; ``url_state`` answers from ``states``."""

    def __init__(self, states=None):
        self.states = dict(states or {})
        self.saved = []
        self.seq = 0

    def url_state(self, url):
        return self.states.get(url)

    def url_states_of(self, urls):
        return {url: self.url_state(url) for url in urls}

    def url_states(self, status, limit=1000):
        return [s for s in self.states.values() if s.status == status][:limit]

    def record_url(self, state):
        self.states[state.url] = state

    def save_article(self, version, cluster):
        from crawler.store import SaveResult

        self.seq += 1
        self.saved.append((version, cluster))
        return SaveResult(article_id=version.article_id, version=1, created=True, unchanged=False, seq=self.seq)


class FakeIndex:
    def __init__(self, decision):
        self.decision = decision
        self.calls = []

    def add(self, doc_id, text, published=None, title=None):
        self.calls.append(("add", doc_id, text, published))
        return self.decision

    def commit(self):
        self.calls.append(("commit",))

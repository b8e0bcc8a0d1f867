"""Politeness per portal, from ``sources.toml``: ``download_delay``, ``concurrency``, ``user_agent``.

A portal with a delay or a concurrency of its own gets one download slot for all its hosts
(``portal:<name>``) with those values; a portal's ``download_delay`` is fixed (AutoThrottle does
not adjust it). ``user_agent`` is sent with the portal's requests (robots.txt included) and
matched against its robots.txt rules. Portals without these keys keep Scrapy's per-host slots,
``DOWNLOAD_DELAY``/AutoThrottle, ``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``[defaults] user_agent``.
Runs before the robots.txt middleware, which reads the slot and the agent.
"""

from __future__ import annotations

from crawler.scrapy_ext.portals import portal_of
from crawler.scrapy_ext.base import CrawlerMiddleware

SLOT_PREFIX = "portal:"


def portal_slot(portal) -> str | None:
    """The download slot of the portal's requests: its own with a delay or concurrency of its
    own, else None (Scrapy's per-host slots)."""
    if portal is None or (portal.download_delay is None and portal.concurrency is None):
        return None
    return SLOT_PREFIX + portal.name


def slot_key(crawler, request) -> str:
    """The download slot ``request`` goes to (also before this middleware has seen it)."""
    key = request.meta.get("download_slot") or portal_slot(portal_of(crawler, request))
    return key or crawler.engine.downloader.get_slot_key(request)


class PortalPolitenessMiddleware(CrawlerMiddleware):
    def process_request(self, request, spider=None):
        portal = portal_of(self.crawler, request)
        if portal is None:
            return None
        if portal.user_agent:
            request.headers.setdefault(b"User-Agent", portal.user_agent)
        key = portal_slot(portal)
        if key is None:
            return None
        request.meta.setdefault("download_slot", key)
        if request.meta["download_slot"] != key:
            return None
        downloader = self.crawler.engine.downloader
        if key not in downloader.slots:
            conf = downloader.per_slot_settings.setdefault(key, {})
            if portal.download_delay is not None:
                conf.setdefault("delay", portal.download_delay)
            if portal.concurrency is not None:
                conf.setdefault("concurrency", portal.concurrency)
        if portal.download_delay is not None:
            request.meta["autothrottle_dont_adjust_delay"] = True
        return None

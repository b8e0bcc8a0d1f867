"""Which portal of ``sources.toml`` a request was made for (the spider knows the sources)."""

from __future__ import annotations


def sources_of(crawler):
    return getattr(getattr(crawler, "spider", None), "sources", None)


def portal_of(crawler, request):
    """The portal a request belongs to: named in its meta (the spider's requests), else the
    portal owning the first URL of its redirect chain (robots.txt requests); None if unknown."""
    sources = sources_of(crawler)
    if sources is None:
        return None
    name = request.meta.get("portal")
    if name:
        for portal in sources.portals:
            if portal.name == name:
                return portal
    first = (request.meta.get("redirect_urls") or [request.url])[0]
    return sources.portal_for_url(first)

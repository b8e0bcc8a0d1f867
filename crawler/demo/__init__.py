"""Bundled demo news portals: three fictional German portals served on 127.0.0.1 through one
local HTTP proxy (``crawler.demo.server.DemoPortals``), used by ``crawler demo`` and as the
fixture of the integration tests (expected results in ``crawler.demo.manifest``)."""

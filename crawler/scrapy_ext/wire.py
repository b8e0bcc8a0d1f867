"""HTTP(S) download handler that records the bytes of each exchange on the connection.

Scrapy's HTTP/1.1 handler parses responses in Twisted, which drops what an archive needs: the
reason phrase, header case and order, repeated headers, ``Transfer-Encoding`` and the chunked
framing. This handler is Scrapy's own (same pool, agents, limits, TLS, proxies) with one
addition: its connections' protocol copies what it writes (the request as sent, after TLS
would encrypt it) and what it receives (the response as received) into a :class:`WireCapture`
that travels with the Scrapy request in ``request.meta[WIRE_META]``. The archive middleware
(:mod:`crawler.scrapy_ext.archive`) writes those bytes as the WARC records, also for a download
that failed half-way (cut connection, size limit, timeout).

Enable in settings.py::

    DOWNLOAD_HANDLERS = {"http": "crawler.scrapy_ext.wire.CaptureDownloadHandler",
                         "https": "crawler.scrapy_ext.wire.CaptureDownloadHandler"}
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _ScrapyAgent,
)
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.web.http_headers import Headers as TxHeaders

#: request.meta key of the WireCapture of the request's last download attempt
WIRE_META = "_warc_wire"
#: bytes kept beyond the size limit (the response head and the start of the body)
HEAD_ALLOWANCE = 64 * 1024


class WireCapture:
    """The bytes of one exchange on its connection."""

    def __init__(self, limit: int = 0):
        self.sent = bytearray()
        self.received = bytearray()
        self.limit = limit + HEAD_ALLOWANCE if limit else 0  # 0: keep everything
        self.clipped = False  # received more than the limit; the rest was not kept
        self.complete = False  # the parser saw the end of the response
        self.head_complete = False  # status line and headers received
        self.peer: str | None = None
        self.started = datetime.now(timezone.utc)
        self.finished_at: float | None = None

    def feed(self, data: bytes) -> None:
        if self.complete:
            return
        if self.limit and len(self.received) + len(data) > self.limit:
            data = data[: max(0, self.limit - len(self.received))]
            self.clipped = True
        self.received += data

    def finish(self, rest: bytes) -> None:
        """The response ended; ``rest`` (bytes after it) is not part of it."""
        if rest and not self.clipped and self.received.endswith(rest):
            del self.received[len(self.received) - len(rest):]
        self.complete = True
        self.finished_at = time.monotonic()


class _CaptureHeaders(TxHeaders):
    """Request headers that carry the capture from the agent to the connection's protocol
    (Twisted's Agent may copy them to add Host: the copy keeps it)."""

    capture: WireCapture | None = None

    def copy(self):
        c = super().copy()
        c.capture = self.capture
        return c


class _CaptureProtocol(_LenientHTTP11ClientProtocol):
    _capture: WireCapture | None = None
    _writes_wrapped = False

    def _wrap_writes(self) -> None:
        transport = self.transport
        write, write_seq = transport.write, transport.writeSequence

        def recorded_write(data):
            c = self._capture
            if c is not None and not c.complete:
                c.sent += data
            write(data)

        def recorded_write_seq(seq):
            seq = list(seq)
            c = self._capture
            if c is not None and not c.complete:
                c.sent += b"".join(seq)
            write_seq(seq)

        transport.write, transport.writeSequence = recorded_write, recorded_write_seq
        self._writes_wrapped = True

    def request(self, request):
        capture = getattr(request.headers, "capture", None)
        self._capture = capture
        if capture is not None:
            if not self._writes_wrapped:
                self._wrap_writes()
            try:
                capture.peer = self.transport.getPeer().host
            except Exception:
                pass
        d = super().request(request)
        if capture is not None:
            def headers_received(response):
                capture.head_complete = True
                return response

            d.addCallback(headers_received)
        return d

    def dataReceived(self, data):
        c = self._capture
        if c is not None:
            c.feed(data)
        super().dataReceived(data)

    def _finishResponse_WAITING(self, rest):
        if self._capture is not None:
            self._capture.finish(rest)
        super()._finishResponse_WAITING(rest)

    _finishResponse_TRANSMITTING = _finishResponse_WAITING


class _CaptureClientFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr):
        return _CaptureProtocol(self._quiescentCallback)


class _CaptureAgent(_ScrapyAgent):
    def _get_agent(self, request, timeout):
        agent = super()._get_agent(request, timeout)
        capture = WireCapture(limit=request.meta.get("download_maxsize", self._maxsize) or 0)
        request.meta[WIRE_META] = capture
        send = agent.request

        def request_with_capture(method, uri, headers=None, bodyProducer=None):
            h = _CaptureHeaders(dict(headers.getAllRawHeaders()) if headers is not None else None)
            h.capture = capture
            return send(method, uri, h, bodyProducer)

        agent.request = request_with_capture  # an instance attribute: isinstance() unchanged
        return agent


class CaptureDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler, recording each exchange's bytes (see module doc)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._pool._factory = _CaptureClientFactory

    async def download_request(self, request):
        # HTTP11DownloadHandler.download_request (Scrapy 2.19) with the capturing agent
        from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions

        agent = _CaptureAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                import logging

                logging.getLogger(__name__).warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise

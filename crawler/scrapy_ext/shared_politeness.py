"""Politeness per download slot across all crawler processes of a crawl (``CRAWLER_FRONTIER``).

:class:`PoliteHTTPDownloadHandler` is the capturing HTTP/1.1 download handler
(:mod:`crawler.scrapy_ext.wire`: the bytes of each exchange for the WARC archive). With a shared frontier
a request leaving its download slot first takes its turn in Redis (one Lua script, Redis server
time, so the hosts' clocks do not matter): it goes when the slot's ``delay`` has passed since
the slot's last request from any process and fewer than the slot's ``concurrency`` requests of
all processes are in flight; else it waits and asks again. With a delay, the turn is held until
the request's response is in (or it failed) and the slot's last time is then set to that moment:
a request that a busy process sends late after its turn, or that a busy server takes in late,
cannot come close to the next one of another process, which is only let go ``delay`` after the
previous exchange ended (so with a delay a host gets one request at a time from all processes).
In-flight leases and held turns expire after ``DOWNLOAD_TIMEOUT`` plus a margin, so a killed
process does not hold a host's slot for ever.
It sits right before the connection, not in a middleware: a request waiting in its local slot
would otherwise go later than its turn.
Redis calls run in threads; without ``CRAWLER_FRONTIER`` it is the capturing handler unchanged.
"""

from __future__ import annotations

import logging
import uuid

from crawler.scrapy_ext.wire import CaptureDownloadHandler

logger = logging.getLogger(__name__)
FRONTIER_SETTING = "CRAWLER_FRONTIER"
BUSY_POLL = 0.1  # seconds between asks while the slot's concurrency is used up

# KEYS: last request time, in-flight leases, held turn; ARGV: delay, concurrency, lease id, lease ttl, busy poll
TAKE_TURN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local delay, limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if last >= 0 and now - last < delay then
  return tostring(last + delay - now)
end
if delay > 0 and redis.call('EXISTS', KEYS[3]) == 1 then
  return ARGV[5]
end
if limit > 0 and redis.call('ZCARD', KEYS[2]) >= limit then
  return ARGV[5]
end
redis.call('SET', KEYS[1], tostring(now), 'PX', math.ceil(delay * 1000) + 60000)
if delay > 0 then
  redis.call('SET', KEYS[3], ARGV[3], 'PX', math.ceil(ttl * 1000))
end
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[2], math.ceil(ttl * 1000) + 60000)
return '0'
"""

# KEYS: as TAKE_TURN; ARGV: lease id, delay. The exchange is over: with a held turn, the slot's
# last time becomes now (the next request of any process waits its delay from here).
RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
  redis.call('SET', KEYS[1], tostring(now), 'PX', math.ceil(tonumber(ARGV[2]) * 1000) + 60000)
  redis.call('DEL', KEYS[3])
end
"""


class SharedSlots:
    """The Redis side: ``take_turn`` and ``release`` for one crawl's download slots."""

    def __init__(self, uri: str, prefix: str, lease_ttl: float):
        import redis

        self.redis = redis.Redis.from_url(uri)
        self.prefix = prefix
        self.lease_ttl = lease_ttl
        self._script = self.redis.register_script(TAKE_TURN)
        self._release = self.redis.register_script(RELEASE)

    def _keys(self, slot: str) -> list[str]:
        return [f"{self.prefix}{slot}:last", f"{self.prefix}{slot}:inflight", f"{self.prefix}{slot}:turn"]

    def take_turn(self, slot: str, delay: float, concurrency: int, lease: str) -> float:
        """0: the request may go now (its turn and an in-flight lease are taken, with a delay the turn
        is held until :meth:`release`); else seconds to wait."""
        return float(self._script(keys=self._keys(slot), args=[delay, concurrency, lease, self.lease_ttl, BUSY_POLL]))

    def release(self, slot: str, lease: str, delay: float = 0.0) -> None:
        """The request's exchange is over (response in, or failed): its lease and held turn go."""
        self._release(keys=self._keys(slot), args=[lease, delay])

    def close(self) -> None:
        self.redis.close()


class PoliteHTTPDownloadHandler(CaptureDownloadHandler):
    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.shared = None
        if settings.get(FRONTIER_SETTING):
            prefix = f"{settings.get('CRAWLER_FRONTIER_KEY') or 'newscrawler'}:politeness:"
            self.shared = SharedSlots(settings.get(FRONTIER_SETTING), prefix,
                                      lease_ttl=settings.getfloat("DOWNLOAD_TIMEOUT") + 30)

    def _slot_limits(self, request) -> tuple[str, float, int]:
        downloader = self._crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None:
            return key, float(slot.delay), int(slot.concurrency)
        conf = downloader.per_slot_settings.get(key, {})
        settings = self._crawler.settings
        return (key, float(conf.get("delay", settings.getfloat("DOWNLOAD_DELAY"))),
                int(conf.get("concurrency", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))))

    async def download_request(self, request):
        if self.shared is None:
            return await super().download_request(request)
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor, task, threads

        slot, delay, concurrency = self._slot_limits(request)
        lease = uuid.uuid4().hex
        while (wait := await maybe_deferred_to_future(
                threads.deferToThread(self.shared.take_turn, slot, delay, concurrency, lease))) > 0:
            await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        try:
            return await super().download_request(request)
        finally:
            threads.deferToThread(self.shared.release, slot, lease, delay).addErrback(
                lambda f: logger.warning("releasing the in-flight lease of %s failed: %s", slot, f.value))

    async def close(self) -> None:
        if self.shared is not None:
            self.shared.close()
        await super().close()

"""Per-portal schedules for `crawler serve`.

``schedule`` in ``sources.toml`` (per portal, default in ``[defaults]``, else ``every 15m``):

* ``"every 15m"``: poll the portal's feeds and sitemaps every 15 minutes (units s, m, h, d;
  combinations such as ``1h30m``).
* ``"every 2m..30m"``: adaptive between the bounds: a poll that found new or updated articles
  halves the interval (down to the lower bound), a quiet one lengthens it by half (up to the
  upper bound). Portals that publish often are polled often, quiet ones rarely.
* a cron expression (``"*/10 6-22 * * *"``, 5 fields, UTC), evaluated with croniter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

DEFAULT_SCHEDULE = "every 15m"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?[smhd])+$")


class ScheduleError(ValueError):
    pass


def parse_duration(text: str) -> float:
    text = text.strip().lower().replace(" ", "")
    if not _DURATION.match(text):
        raise ScheduleError(f"{text!r} is not a duration such as 90s, 15m, 1h30m")
    return sum(float(n) * _UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([smhd])", text))


@dataclass(frozen=True)
class Schedule:
    text: str
    min_interval: float | None = None  # seconds; None for cron
    max_interval: float | None = None
    cron: str | None = None

    @property
    def adaptive(self) -> bool:
        return self.cron is None and self.min_interval != self.max_interval

    def first_interval(self) -> float:
        return self.min_interval or 0.0

    def next_interval(self, current: float, found_new: bool) -> float:
        """The interval after a poll: shorter after news, longer after a quiet poll."""
        if self.cron is not None or not self.adaptive:
            return self.min_interval or 0.0
        nxt = current / 2 if found_new else current * 1.5
        return max(self.min_interval, min(self.max_interval, nxt))

    def next_time(self, after: float, interval: float) -> float:
        """Epoch seconds of the next poll after ``after`` (a poll's end)."""
        if self.cron is not None:
            from croniter import croniter

            start = datetime.fromtimestamp(after, timezone.utc)
            return croniter(self.cron, start).get_next(float)
        return after + interval


def parse_schedule(text) -> Schedule:
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError("must be a string: \"every 15m\", \"every 2m..30m\" or a cron expression")
    t = text.strip()
    if t.lower().startswith("every "):
        spec = t[6:].strip()
        lo, _, hi = spec.partition("..")
        low = parse_duration(lo)
        high = parse_duration(hi) if hi else low
        if low <= 0 or high < low:
            raise ScheduleError(f"{t!r}: the interval must be positive and the upper bound not below the lower")
        return Schedule(t, low, high)
    from croniter import croniter

    if len(t.split()) != 5 or not croniter.is_valid(t):
        raise ScheduleError(f"{t!r} is neither \"every DURATION\" nor a valid 5-field cron expression")
    return Schedule(t, cron=t)

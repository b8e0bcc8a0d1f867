"""Which portal to poll when: the timetable of `crawler serve` (plain values, no Scrapy).

One :class:`PortalTimetable` per process. A portal is *due* when its next poll time has come
and no cycle of it is running: a cycle that takes longer than its interval postpones the next
one, so two cycles of one portal never overlap. After a cycle the next poll time follows from
the portal's :class:`~crawler.service.schedule.Schedule` (fixed interval, adaptive between
bounds, or cron).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from crawler.service.schedule import DEFAULT_SCHEDULE, Schedule, parse_schedule


@dataclass
class PortalState:
    name: str
    schedule: Schedule
    interval: float
    next_at: float
    running: str | None = None  # run ID of the cycle in progress
    cycles: int = 0
    last_started: float | None = None
    last_finished: float | None = None
    last_found_new: bool = False


@dataclass
class PortalTimetable:
    portals: dict[str, PortalState] = field(default_factory=dict)
    clock: object = time.time

    @classmethod
    def for_sources(cls, sources, override: str | None = None, clock=time.time) -> "PortalTimetable":
        """Every portal of ``sources`` due now; ``override`` replaces every portal's schedule."""
        table = cls(clock=clock)
        now = clock()
        for portal in sources.portals:
            text = override or getattr(portal, "schedule", None) or DEFAULT_SCHEDULE
            schedule = parse_schedule(text)
            first = now if schedule.cron is None else schedule.next_time(now, 0)
            table.portals[portal.name] = PortalState(portal.name, schedule, schedule.first_interval(), first)
        return table

    def due(self) -> list[str]:
        """Portals whose poll time has come and that have no cycle running, longest waiting first."""
        now = self.clock()
        ready = [p for p in self.portals.values() if p.running is None and p.next_at <= now]
        return [p.name for p in sorted(ready, key=lambda p: p.next_at)]

    def running(self) -> dict[str, str]:
        return {p.name: p.running for p in self.portals.values() if p.running}

    def started(self, name: str, run_id: str) -> None:
        state = self.portals[name]
        if state.running is not None:
            raise RuntimeError(f"portal {name}: cycle {state.running} still running")
        state.running = run_id
        state.last_started = self.clock()

    def finished(self, name: str, found_new: bool) -> float:
        """Ends the running cycle; returns the next poll time (epoch seconds)."""
        state = self.portals[name]
        now = self.clock()
        state.running = None
        state.cycles += 1
        state.last_finished = now
        state.last_found_new = found_new
        state.interval = state.schedule.next_interval(state.interval, found_new)
        # Measured from the cycle's start: a portal polled every 15 minutes is polled at :00,
        # :15, ... even when a cycle takes a minute; never earlier than now.
        base = state.last_started if state.last_started is not None else now
        state.next_at = max(now, state.schedule.next_time(base, state.interval)) if state.schedule.cron is None \
            else state.schedule.next_time(now, state.interval)
        return state.next_at

    def seconds_until_next(self) -> float:
        idle = [p.next_at for p in self.portals.values() if p.running is None]
        return max(0.0, min(idle) - self.clock()) if idle else 0.0

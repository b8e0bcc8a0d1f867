"""Unit tests of the service parts on plain values: schedules, the timetable, health, metrics,
the progress line."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from crawler.config import ConfigError, parse_sources
from crawler.service.health import health_report
from crawler.service.schedule import ScheduleError, parse_schedule
from crawler.service.scheduler import PortalTimetable
from crawler.store import JobRecord


def test_schedules():
    fixed = parse_schedule("every 15m")
    assert (fixed.min_interval, fixed.max_interval, fixed.adaptive) == (900, 900, False)
    assert parse_schedule("every 1h30m").min_interval == 5400
    adaptive = parse_schedule("every 2m..30m")
    assert adaptive.next_interval(240, found_new=True) == 120
    assert adaptive.next_interval(120, found_new=True) == 120  # lower bound
    assert adaptive.next_interval(1500, found_new=False) == 1800  # upper bound
    cron = parse_schedule("*/10 * * * *")
    start = datetime(2026, 1, 1, 8, 3, tzinfo=timezone.utc).timestamp()
    assert datetime.fromtimestamp(cron.next_time(start, 0), timezone.utc).minute == 10
    for bad in ("every banana", "every 0s", "every 30m..5m", "* * *", "", 15):
        with pytest.raises(ScheduleError):
            parse_schedule(bad)


def test_schedule_in_sources_is_validated():
    base = "[[portal]]\nname='a'\nfeeds=['http://a.test/feed']\n"
    assert parse_sources(base + "schedule='every 5m'").portals[0].schedule == "every 5m"
    assert parse_sources("[defaults]\nschedule='*/5 * * * *'\n" + base).portals[0].schedule == "*/5 * * * *"
    with pytest.raises(ConfigError, match="schedule"):
        parse_sources(base + "schedule='sometimes'")


class Clock:
    def __init__(self):
        self.t = 1_000_000.0

    def __call__(self):
        return self.t


def test_timetable_never_overlaps_and_adapts():
    sources = parse_sources("[[portal]]\nname='busy'\nfeeds=['http://a.test/f']\nschedule='every 1m..8m'\n"
                            "[[portal]]\nname='quiet'\nfeeds=['http://b.test/f']\nschedule='every 1m..8m'\n")
    clock = Clock()
    table = PortalTimetable.for_sources(sources, clock=clock)
    assert table.due() == ["busy", "quiet"]
    table.started("busy", "r1")
    with pytest.raises(RuntimeError):
        table.started("busy", "r2")
    clock.t += 600  # the cycle takes longer than its interval: still not due while running
    assert "busy" not in table.due()
    table.finished("busy", found_new=True)
    table.started("quiet", "q1")
    table.finished("quiet", found_new=False)
    assert table.portals["busy"].interval == 60 and table.portals["quiet"].interval == 90
    clock.t += 61
    assert table.due() == ["busy"]


def job(run_id, day, counters, status="finished", **stats):
    started = (datetime(2026, 11, 1, tzinfo=timezone.utc) + timedelta(days=day)).isoformat()
    st = {f"portal/{p}/{k}": v for p, cs in counters.items() for k, v in cs.items()}
    st.update(stats)
    return JobRecord(run_id=run_id, started_at=started, ended_at=started, status=status, stats=st)


def test_health_flags_drift_only():
    ok = {"articles": 10, "new": 10, "missing_date": 0}
    history = [job(f"r{i}", i, {"a": ok, "b": ok}) for i in range(5)]
    broken = job("r9", 5, {"a": {"articles": 0, "dropped": 6, "empty_text": 6}, "b": {**ok, "missing_date": 8}})
    report = health_report(["a", "b"], [broken, *reversed(history)], now=datetime(2026, 11, 6, tzinfo=timezone.utc))
    flags = {p["portal"]: [f["flag"] for f in p["flags"]] for p in report["portals"]}
    assert flags == {"a": ["empty"], "b": ["dates"]} and not report["ok"]
    healthy = health_report(["a", "b"], list(reversed(history)), now=datetime(2026, 11, 5, tzinfo=timezone.utc))
    assert healthy["ok"], healthy


def test_health_quiet_portal_and_failing_uploads():
    ok = {"articles": 3, "new": 3}
    runs = [job(f"r{i}", i, {"a": ok}) for i in range(6)]
    runs += [job(f"s{i}", 6 + i, {"a": {"pages": 4, "unchanged": 0}}) for i in range(3)]
    report = health_report(["a"], list(reversed(runs)), now=datetime(2026, 11, 9, tzinfo=timezone.utc))
    assert [f["flag"] for f in report["portals"][0]["flags"]] == ["quiet"]
    failing = job("u", 9, {"a": ok}, **{"warc/upload_failed": ["crawl-1.warc.gz"]})
    report = health_report(["a"], [failing, *reversed(runs[:6])], now=datetime(2026, 11, 10, tzinfo=timezone.utc))
    assert [f["flag"] for f in report["archive"]] == ["uploads"] and not report["ok"]


def test_metrics_families_have_per_portal_gauges():
    from prometheus_client import CollectorRegistry, generate_latest

    from crawler.service.metrics import families

    stats = {"downloader/response_count": 12, "crawler/article_errors": 2,
             "downloader/exception_type_count/twisted.internet.error.TimeoutError": 1,
             "portal/a/articles": 4, "portal/a/dropped": 1, "portal/a/empty_text": 1,
             "portal/a/missing_date": 2, "portal/a/removed_lines": 8, "portal/a/near_dup": 1,
             "serve/a/last_success": "2026-11-01T00:00:00+00:00"}

    class Snapshot:
        def collect(self):
            return families(stats, ["a"], backlog=3, running={"a": "r1"})

    registry = CollectorRegistry()
    registry.register(Snapshot())
    text = generate_latest(registry).decode()
    assert 'crawler_portal_empty_text_ratio{portal="a"} 0.2' in text
    assert 'crawler_portal_missing_date_ratio{portal="a"} 0.5' in text
    assert 'crawler_portal_residue_lines_per_article{portal="a"} 2.0' in text
    assert 'crawler_portal_near_dup_ratio{portal="a"} 0.25' in text
    assert 'crawler_portal_last_success_timestamp_seconds{portal="a"} 1.7934912e+09' in text
    assert 'crawler_errors_total{kind="article_fetch"} 2.0' in text
    assert 'crawler_errors_total{kind="download_TimeoutError"} 1.0' in text
    assert "crawler_archive_upload_backlog_files 3.0" in text


def test_progress_line():
    from crawler.scrapy_ext.progress import progress_line

    line = progress_line({"downloader/response_count": 120, "store/new": 7, "log_count/ERROR": 1}, 60.0, 2)
    assert line == "pages 120 | articles 7 new, 0 updated | dropped 0 | errors 1 | 120 pages/min | upload backlog 2"


class JobLog:
    """A job registry that remembers each write: method, thread, the record's status and stats."""

    def __init__(self):
        self.writes = []

    def start_job(self, job):
        self.writes.append(("start", threading.current_thread().name, job.run_id, job.status, dict(job.stats)))

    def finish_job(self, job):
        time.sleep(0.01)  # a slow disk: the reactor thread goes on meanwhile
        self.writes.append(("finish", threading.current_thread().name, job.run_id, job.status, dict(job.stats)))


def test_serve_writes_job_records_off_the_reactor_thread_in_order():
    from scrapy.utils.test import get_crawler

    from crawler.scrapy_ext.serve import ServeExtension

    crawler = get_crawler(settings_dict={"CRAWLER_SERVE": True, "CRAWLER_JOB_STATS_INTERVAL": 0.001})
    ext = ServeExtension(crawler)
    io = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="crawl-io")
    ext.store, ext.offload = JobLog(), SimpleNamespace(io_executor=io)
    ext.spider = SimpleNamespace(begin_cycle=lambda name: [], end_cycle=lambda name: None)
    ext.timetable = PortalTimetable.for_sources(parse_sources("[[portal]]\nname='a'\nfeeds=['http://a.test/f']\n"))
    crawler.engine = SimpleNamespace(crawl=lambda request: None)
    ext._start("a")
    run_id = ext.cycles["a"].job.run_id
    crawler.stats.set_value("portal/a/pages", 3)
    ext._live_counts()  # a live write of the running cycle
    crawler.stats.set_value("portal/a/pages", 5)
    ext._finish("a")
    io.shutdown(wait=True)  # what closing the crawl's resources does before the store closes
    writes = ext.store.writes
    assert [(w[0], w[1].startswith("crawl-io"), w[2]) for w in writes] == [
        ("start", True, run_id), ("finish", True, run_id), ("finish", True, run_id)], writes
    # each write has the record as it was when asked for; the final one comes last
    assert [w[3] for w in writes] == ["running", "running", "finished"]
    assert (writes[1][4]["downloader/response_count"], writes[2][4]["downloader/response_count"]) == (3, 5)

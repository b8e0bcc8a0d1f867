"""An exchange archived in three steps (as a crawl does it: decisions on the reactor thread,
records built in a worker process, appended on the reactor thread) gives the records that
:meth:`WarcArchive.write_wire` gives in one, whatever the order the builds finish in and also
when the file was rolled while a build was under way."""

from __future__ import annotations

import io
import pickle

from warcio.archiveiterator import ArchiveIterator

from crawler.archive import MemoryDigestIndex, WarcArchive, check_warc
from crawler.archive.blobstore import LocalBlobStore
from crawler.archive.exchange import Exchange, build_records

IDS = ("WARC-Record-ID", "WARC-Concurrent-To", "WARC-Warcinfo-ID", "WARC-Date")


def _exchange(i: int, body: bytes | None = None) -> Exchange:
    body = body or (f"<html><body><p>Bürgermeister Nummer {i} äußert sich.</p>".encode() + b"Text " * 3000)
    head = (b"HTTP/1.1 200 Alles Bestens\r\ncontent-TYPE: text/html; charset=utf-8\r\n"
            b"X-Repeated: eins\r\nX-Repeated: zwei\r\nContent-Length: %d\r\n\r\n" % len(body))
    request = f"GET /artikel-{i}.html HTTP/1.1\r\nHost: www.weserbote.test\r\nUser-Agent: T\r\n\r\n".encode()
    return Exchange(f"http://www.weserbote.test/artikel-{i}.html", request, head + body,
                    "2026-12-01T10:00:00.000001Z", "127.0.0.1")


def _archive(tmp_path, name: str, **kw) -> WarcArchive:
    return WarcArchive(tmp_path / name / "spool", LocalBlobStore(tmp_path / name / "archive"), run_id="run-1",
                       background_upload=False, **kw)


def _in_worker(job):
    """What the worker pool does with a job: pickled there, built, pickled back."""
    return pickle.loads(pickle.dumps(build_records(pickle.loads(pickle.dumps(job)))))


def _records(tmp_path, name: str, files) -> list[tuple[str, dict, bytes]]:
    out = []
    for f in files:
        with open(tmp_path / name / "archive" / f.name, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "warcinfo":
                    continue
                headers = {k: v for k, v in rec.rec_headers.headers if k not in IDS}
                out.append((rec.rec_type, headers, rec.raw_stream.read()))
    return out


def test_split_records_equal_those_written_in_one_step(tmp_path):
    one = _archive(tmp_path, "one")
    for i in range(3):
        one.write_wire(_exchange(i))
    split = _archive(tmp_path, "split")
    plans = [split.plan_wire(_exchange(i)) for i in range(3)]
    built = [_in_worker(p.job) for p in plans]
    pointers = [split.finish_wire(p, b) for p, b in zip(plans, built)]
    assert [p.payload_digest for p in pointers] == [b.digest for b in built]
    a, b = _records(tmp_path, "one", one.close()), _records(tmp_path, "split", split.close())
    assert a == b and [r[0] for r in a] == ["request", "response"] * 3


def test_builds_finishing_in_another_order_point_at_their_own_records(tmp_path):
    a = _archive(tmp_path, "a")
    plans = [a.plan_wire(_exchange(i)) for i in range(4)]
    built = [_in_worker(p.job) for p in plans]
    pointers = {i: a.finish_wire(plans[i], built[i]) for i in (2, 0, 3, 1)}
    [f] = a.close()
    path = tmp_path / "a" / "archive" / f.name
    assert check_warc(path).ok
    data = path.read_bytes()
    for i, p in pointers.items():
        rec = next(iter(ArchiveIterator(io.BytesIO(data[p.offset:p.offset + p.length]))))
        assert rec.rec_headers.get_header("WARC-Target-URI") == _exchange(i).url
        assert rec.rec_headers.get_header("WARC-Record-ID") == p.record_id


def test_a_build_outlasting_its_file_goes_into_the_open_one_and_names_its_warcinfo(tmp_path):
    a = _archive(tmp_path, "a")
    plan = a.plan_wire(_exchange(1))
    built = _in_worker(plan.job)
    a.roll()  # closed and shipped while the records were being built
    p = a.finish_wire(plan, built)
    first, second = a.close()
    assert p.warc_file == second.name and first.records == 1  # the first holds its warcinfo only
    with open(tmp_path / "a" / "archive" / second.name, "rb") as fh:
        recs = [r.rec_headers for r in ArchiveIterator(fh)]
    assert recs[0].get_header("WARC-Type") == "warcinfo" and len(recs) == 3
    assert all(h.get_header("WARC-Warcinfo-ID") == recs[0].get_header("WARC-Record-ID") for h in recs[1:])
    assert check_warc(tmp_path / "a" / "archive" / second.name).ok


def test_a_rolled_file_with_builds_under_way_stays_open_for_them(tmp_path):
    a = _archive(tmp_path, "a", max_file_size=2_500, drain_seconds=0)  # 1 kB per exchange
    plan = a.plan_wire(_exchange(1))
    a.write_wire(_exchange(2))
    a.write_wire(_exchange(3))
    a.write_wire(_exchange(4))  # the first file is over its size: rolled (no grace period)
    p5 = a.write_wire(_exchange(5))  # it would be closed now, were it not for the build under way
    p1 = a.finish_wire(plan, _in_worker(plan.job))
    files = a.close()
    assert p1.warc_file == files[0].name != p5.warc_file
    assert files[0].records == 7  # warcinfo and three exchanges
    for f in files:
        assert check_warc(tmp_path / "a" / "archive" / f.name).ok


def test_a_revisit_is_decided_and_built_without_a_worker(tmp_path):
    a = _archive(tmp_path, "a", digest_index=MemoryDigestIndex())
    first = a.plan_wire(_exchange(1))
    original = a.finish_wire(first, _in_worker(first.job))
    again = a.plan_wire(_exchange(1))
    assert again.built is not None  # heads only: built at once
    revisit = a.finish_wire(again, again.built)
    assert revisit.refers_to["record_id"] == original.record_id
    assert revisit.payload_digest == original.payload_digest and revisit.length < 1000
    [f] = a.close()
    assert check_warc(tmp_path / "a" / "archive" / f.name).ok


def test_metadata_records_are_serialised_as_warcio_does(tmp_path):
    from crawler.archive.records import RecordBuilder, metadata_record_bytes

    builder = RecordBuilder()
    body = "via: http://www.weserbote.test/rss.xml\r\noutlink: http://www.weserbote.test/straße\r\n".encode()
    for url in ("http://www.weserbote.test/artikel-1.html", "http://www.weserbote.test/grüße?a=1 b"):
        for head in ({"WARC-Date": "2026-12-01T10:00:00.000001Z", "WARC-Warcinfo-ID": "<urn:uuid:i>"},
                     {"WARC-Date": "2026-12-01T10:00:00.000001Z", "WARC-Warcinfo-ID": "<urn:uuid:i>",
                      "WARC-Concurrent-To": "<urn:uuid:c>"}):
            rec = builder.create_warc_record(url, "metadata", payload=io.BytesIO(body), length=len(body),
                                             warc_content_type="application/warc-fields",
                                             warc_headers_dict=dict(head))
            rid = rec.rec_headers.get_header("WARC-Record-ID")
            ours, digest = metadata_record_bytes(url, body, rid, list(head.items()))
            assert ours == builder.serialize(rec)
            assert digest == rec.rec_headers.get_header("WARC-Payload-Digest")


def test_closed_files_are_indexed_where_run_cpu_says_and_here_when_it_fails(tmp_path):
    from crawler.archive import cdxj_for, cdxj_name

    calls = []

    def elsewhere(fn, *args):
        calls.append(fn.__name__)
        return pickle.loads(pickle.dumps(fn(*pickle.loads(pickle.dumps(args)))))

    def broken(fn, *args):
        raise RuntimeError("pool closed")

    for name, run_cpu in (("pool", elsewhere), ("broken", broken)):
        a = WarcArchive(tmp_path / name / "spool", LocalBlobStore(tmp_path / name / "archive"), run_id="r",
                        background_upload=False, run_cpu=run_cpu)
        a.write_wire(_exchange(1))
        [f] = a.close()
        assert f.uploaded
        warc = tmp_path / name / "archive" / f.name
        sidecar = (tmp_path / name / "archive" / cdxj_name(f.name)).read_text(encoding="utf-8")
        assert sidecar == cdxj_for(warc) and "artikel-1.html" in sidecar
    assert calls == ["index_file"]

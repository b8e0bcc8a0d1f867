"""Reading a WARC's gzip members past broken ones: every fault is named with its offset and the
intact members after it are still read (unit tests on bytes built here; no services)."""

from __future__ import annotations

import gzip
import io

import pytest

from crawler.archive.verify import check_warc, iter_members


def _members(n: int) -> list[bytes]:
    return [gzip.compress(f"WARC/1.1\r\nWARC-Type: resource\r\nrecord {i}\r\n\r\n".encode()
                          + f"Der Stadtrat tagte zum {i}. Mal über die Kreisumlage. ".encode() * 40)
            for i in range(n)]


def _offsets(parts: list[bytes]) -> list[int]:
    out, pos = [], 0
    for p in parts:
        out.append(pos)
        pos += len(p)
    return out


def _flip(member: bytes) -> bytes:
    data = bytearray(member)
    data[len(data) // 2] ^= 0x10
    return bytes(data)


@pytest.mark.parametrize("chunk", [1 << 20, 7])  # one read, and members across many reads
def test_two_bad_members_are_both_named_and_the_rest_is_read(chunk):
    parts = _members(6)
    parts[1], parts[4] = _flip(parts[1]), _flip(parts[4])
    at = _offsets(parts)
    got = list(iter_members(io.BytesIO(b"".join(parts)), chunk=chunk))
    assert [(m.offset, m.error is None) for m in got] == [(a, i not in (1, 4)) for i, a in enumerate(at)]
    assert got[1].error.startswith(f"bad gzip member at offset {at[1]}: ")
    assert got[1].error.endswith(f"reading resumes at offset {at[2]}")
    assert got[4].error.startswith(f"bad gzip member at offset {at[4]}: ")
    assert [m.data for m in got if m.error is None] == [gzip.decompress(parts[i]) for i in (0, 2, 3, 5)]


def test_garbage_between_members_and_at_the_end():
    parts = _members(3)
    junk = b"kein gzip\n" * 5
    data = parts[0] + junk + parts[1] + parts[2] + junk
    got = list(iter_members(io.BytesIO(data), chunk=16))
    assert [m.error for m in got] == [
        None, f"{len(junk)} bytes at offset {len(parts[0])} that are not a gzip member; "
              f"reading resumes at offset {len(parts[0]) + len(junk)}", None, None,
        f"trailing garbage at offset {len(data) - len(junk)}: {len(junk)} bytes that are not a gzip member"]


def test_a_member_cut_off_by_the_end_of_the_file():
    parts = _members(3)
    data = b"".join(parts)[:-20]
    got = list(iter_members(io.BytesIO(data)))
    assert [m.error is None for m in got] == [True, True, False]
    assert got[2].error == (f"truncated: the gzip member at offset {len(parts[0]) + len(parts[1])} "
                            f"ends early (file ends at {len(data)})")


def test_bad_last_member_with_nothing_after_it():
    parts = _members(2)
    parts[1] = _flip(parts[1])
    got = list(iter_members(io.BytesIO(b"".join(parts))))
    assert got[1].error.startswith(f"bad gzip member at offset {len(parts[0])}: ")
    assert got[1].error.endswith("(no gzip member after it)")


def test_check_warc_reports_every_broken_member():
    info = gzip.compress(b"WARC/1.1\r\nWARC-Type: warcinfo\r\nContent-Length: 0\r\n\r\n\r\n\r\n")
    parts = [info] + _members(5)
    parts[2], parts[4] = _flip(parts[2]), _flip(parts[4])
    at = _offsets(parts)
    res = check_warc(io.BytesIO(b"".join(parts)), "x.warc.gz", pairing=False)
    bad = [e for e in res.errors if e.startswith("bad gzip member")]
    assert [e.split(":")[0] for e in bad] == [f"bad gzip member at offset {at[2]}",
                                              f"bad gzip member at offset {at[4]}"]
    assert res.size == sum(map(len, parts))

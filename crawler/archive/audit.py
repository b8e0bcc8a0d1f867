"""Verifying the holdings of a store: each WARC file read to the end (:mod:`.verify`), its
CDXJ sidecar (present, sorted, equal to the file's index), its fixity (the SHA-256 stored at
upload, where the store keeps one) and every revisit's original (found through the records
already read or the sidecars, then read by range and compared)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field

from crawler.archive.blobstore import BlobStore
from crawler.archive.cdxj import cdxj_for_stream, cdxj_name
from crawler.archive.records import WARC_SUFFIX
from crawler.archive.verify import Member, Record, check_warc, parse_record


@dataclass
class FileReport:
    name: str
    size: int
    records: int = 0
    by_type: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    cdxj: str = "missing"  # ok | missing | unsorted | stale | unchecked

    @property
    def ok(self) -> bool:
        return not self.errors


class Originals:
    """Finds the original response of a revisit anywhere in the store."""

    def __init__(self, store: BlobStore):
        self.store = store
        self.known: dict[str, tuple] = {}  # record id -> (file, uri, payload digest)
        self._by_capture: dict[tuple[str, str], list[tuple]] | None = None

    def add(self, name: str, responses: dict) -> None:
        for rid, (uri, _off, _len, digest) in responses.items():
            self.known[rid] = (name, uri, digest)

    def problems(self, rev: Record, name: str) -> list[str]:
        ref, uri = rev.get("WARC-Refers-To"), rev.get("WARC-Refers-To-Target-URI")
        date, digest = rev.get("WARC-Refers-To-Date") or "", rev.get("WARC-Payload-Digest")
        at = f"revisit at offset {rev.offset} ({rev.get('WARC-Target-URI')})"
        if not ref:
            return [f"{at}: no WARC-Refers-To"]
        hit = self.known.get(ref) or self._search(ref, uri, date)
        if hit is None:
            return [f"{at}: original {ref} ({uri} at {date}) not found in the archive"]
        ofile, ouri, odigest = hit
        out = []
        if ouri != uri:
            out.append(f"{at}: original {ref} in {ofile} is for {ouri}, not {uri}")
        if odigest != digest:
            out.append(f"{at}: original {ref} in {ofile} has payload digest {odigest}, "
                       f"the revisit says {digest}")
        return out

    def _search(self, ref: str, uri: str | None, date: str):
        stamp = "".join(ch for ch in date if ch.isdigit())[:14]
        for fname, off, length in self._captures().get((uri or "", stamp), []):
            try:
                data = self.store.read_range(fname, off, length)
            except Exception:
                continue
            import zlib

            try:
                rec, problems = parse_record(Member(off, length, zlib.decompress(data, 31)))
            except zlib.error:
                continue
            if rec is not None and rec.get("WARC-Record-ID") == ref and rec.type == "response":
                if problems:
                    return None
                self.known[ref] = (fname, rec.get("WARC-Target-URI"), rec.get("WARC-Payload-Digest"))
                return self.known[ref]
        return None

    def _captures(self) -> dict:
        """(url, 14-digit timestamp) -> [(file, offset, length)] from every sidecar."""
        if self._by_capture is None:
            import json

            self._by_capture = {}
            for b in self.store.list():
                if not b.name.endswith(".cdxj"):
                    continue
                try:
                    text = self.store.read_bytes(b.name).decode("utf-8", "replace")
                except Exception:
                    continue
                for line in text.splitlines():
                    try:
                        _key, ts, js = line.split(" ", 2)
                        d = json.loads(js)
                        row = (d["filename"], int(d["offset"]), int(d["length"]))
                    except (ValueError, KeyError):
                        continue
                    folder = os.path.dirname(b.name)
                    row = (f"{folder}/{row[0]}" if folder else row[0], row[1], row[2])
                    self._by_capture.setdefault((d.get("url", ""), ts[:14]), []).append(row)
        return self._by_capture


def verify_file(store: BlobStore, name: str, size: int, names: set[str] | None = None,
                originals: Originals | None = None) -> FileReport:
    """Read one WARC from the store to the end; check records, digests, pairing, fixity,
    the CDXJ sidecar and the originals of its revisits. Never raises on corrupt input."""
    rep = FileReport(name, size)
    with tempfile.TemporaryFile() as tmp:
        try:
            with store.open(name) as src:
                shutil.copyfileobj(src, tmp, 1 << 20)
        except Exception as exc:
            rep.errors.append(f"cannot read: {exc}")
            return rep
        if tmp.tell() != size:
            rep.errors.append(f"truncated: read {tmp.tell()} bytes, the store lists {size}")
        tmp.seek(0)
        chk = check_warc(tmp, name)
        rep.records, rep.by_type = chk.records, dict(chk.by_type)
        rep.errors.extend(chk.errors)
        if chk.records == 0:
            rep.errors.append("no records")
        rep.errors.extend(_fixity(store, name, chk.sha256))
        rep.cdxj, problems = _check_sidecar(store, name, names, tmp, whole=chk.ok)
        rep.errors.extend(problems)
    if originals is not None:
        originals.add(name, chk.responses)
        for rev in chk.revisits:
            rep.errors.extend(originals.problems(rev, name))
    return rep


def _fixity(store: BlobStore, name: str, sha256: str) -> list[str]:
    try:
        stored = store.sha256(name)
    except Exception as exc:
        return [f"fixity: cannot read the SHA-256 stored at upload: {exc}"]
    if stored and stored != sha256:
        return [f"fixity mismatch: the file's SHA-256 is {sha256}, {stored} was stored at upload"]
    return []


def _check_sidecar(store, name, names, tmp, *, whole: bool) -> tuple[str, list[str]]:
    idx = cdxj_name(name)
    if names is not None and idx not in names:
        return "missing", [f"CDXJ sidecar {idx}: missing"]
    try:
        stored = store.read_bytes(idx).decode("utf-8")
    except Exception as exc:
        return "missing", [f"CDXJ sidecar {idx}: missing ({exc})"]
    lines = stored.splitlines()
    for i in range(1, len(lines)):
        if lines[i - 1].encode() > lines[i].encode():
            return "unsorted", [f"CDXJ sidecar {idx}: unsorted at line {i + 1} "
                                f"({lines[i][:80]!r} sorts before the line above)"]
    if not whole:
        return "unchecked", []  # the WARC itself is faulty: that is the finding
    tmp.seek(0)
    try:
        expected = cdxj_for_stream(tmp, os.path.basename(name)).splitlines()
    except Exception as exc:
        return "unchecked", [f"CDXJ sidecar {idx}: cannot index the WARC: {exc}"]
    if expected == lines:
        return "ok", []
    n = next((i for i, (a, b) in enumerate(zip(lines, expected)) if a != b), min(len(lines), len(expected)))
    return "stale", [f"CDXJ sidecar {idx}: stale, line {n + 1} differs from the WARC's index "
                     f"({len(lines)} lines, the WARC indexes to {len(expected)})"]


def warc_names(store: BlobStore) -> list:
    return [b for b in store.list() if b.name.endswith(WARC_SUFFIX)]

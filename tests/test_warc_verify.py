"""`crawler archive verify` on an archive corrupted on purpose: every fault is reported with the
file, the offset and what is wrong, the exit status is non-zero, never a traceback."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from conftest import run_cli
from services import s3_bucket, s3_uri, seaweedfs  # noqa: F401  (fixtures)
from crawler.archive import SqliteDigestIndex, WarcArchive, cdxj_name
from crawler.archive.blobstore import LocalBlobStore
from crawler.archive.verify import iter_members

pytestmark = pytest.mark.integration

PAGE = ("<html><body><h1>Stadtrat beschließt Haushalt</h1>"
        + "<p>Die Fraktionen stritten lange über die Kreisumlage.</p>" * 60 + "</body></html>").encode()


def _write(a: WarcArchive, i: int, body: bytes = PAGE):
    return a.write_exchange(url=f"http://www.weserbote.test/artikel-{i}.html", status=200,
                            body=body, response_headers=[("Content-Type", "text/html")],
                            request_headers=[("User-Agent", "NewsCrawler/0.1")])


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """An archive of two files: the first holds originals, the second a revisit of one."""
    root = tmp_path_factory.mktemp("verify")
    idx = SqliteDigestIndex(root / "digests.sqlite")
    store = LocalBlobStore(root / "archive")
    a = WarcArchive(root / "spool", store, run_id="one", worker_id="one", background_upload=False,
                    digest_index=idx)
    for i in range(5):
        _write(a, i, PAGE + str(i).encode())
    [first] = a.close()
    b = WarcArchive(root / "spool", store, run_id="two", worker_id="two", background_upload=False,
                    digest_index=idx)
    p = _write(b, 3, PAGE + b"3")
    _write(b, 9)
    [second] = b.close()
    idx.close()
    assert p.refers_to and p.refers_to["warc_file"] == first.name
    return root / "archive", first.name, second.name


@pytest.fixture
def archive(pristine, tmp_path):
    src, first, second = pristine
    dest = tmp_path / "archive"
    shutil.copytree(src, dest)
    return dest, first, second


def _verify(tmp_path, archive_dir, *extra):
    proc = run_cli("archive", "verify", "--no-pointers", "--store", str(archive_dir),
                   "--data-dir", str(tmp_path / "data"), *extra, check=False)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return proc


def _members(path: Path) -> list:
    with open(path, "rb") as fh:
        return list(iter_members(fh))


def test_pristine_archive_verifies(archive, tmp_path):
    root, first, second = archive
    proc = _verify(tmp_path, root)
    assert proc.returncode == 0, proc.stdout
    assert "all OK" in proc.stdout


def test_truncated_file(archive, tmp_path):
    root, first, second = archive
    path = root / first
    ms = _members(path)
    cut = ms[-1].offset + ms[-1].length // 2
    path.write_bytes(path.read_bytes()[:cut])
    proc = _verify(tmp_path, root)
    assert proc.returncode == 1
    assert f"FAIL {first}" in proc.stdout
    assert f"truncated: the gzip member at offset {ms[-1].offset} ends early" in proc.stdout


def test_bit_flip_is_a_bad_gzip_member_at_its_offset(archive, tmp_path):
    root, first, second = archive
    path = root / first
    ms = _members(path)
    victim = ms[4]  # a request or response record in the middle
    data = bytearray(path.read_bytes())
    data[victim.offset + victim.length // 2] ^= 0x10
    path.write_bytes(bytes(data))
    proc = _verify(tmp_path, root)
    assert proc.returncode == 1
    assert f"bad gzip member at offset {victim.offset}" in proc.stdout, proc.stdout
    assert "CDXJ sidecar" not in proc.stdout  # the corruption is the finding, not the index


def test_every_bad_gzip_member_of_a_file_is_named(archive, tmp_path):
    """Verify reads on past a broken member (at the next gzip member), so a second fault
    further on in the same file is reported too, with its own offset."""
    root, first, second = archive
    path = root / first
    ms = _members(path)
    victims = [ms[2], ms[-2]]
    data = bytearray(path.read_bytes())
    for victim in victims:
        data[victim.offset + victim.length // 2] ^= 0x10
    path.write_bytes(bytes(data))
    proc = _verify(tmp_path, root)
    assert proc.returncode == 1
    for victim in victims:
        assert f"bad gzip member at offset {victim.offset}" in proc.stdout, proc.stdout
    assert f"reading resumes at offset {ms[3].offset}" in proc.stdout, proc.stdout


def test_trailing_garbage(archive, tmp_path):
    root, first, second = archive
    path = root / first
    size = path.stat().st_size
    with open(path, "ab") as fh:
        fh.write(b"this is not gzip\n" * 3)
    proc = _verify(tmp_path, root)
    assert proc.returncode == 1
    assert f"trailing garbage at offset {size}" in proc.stdout, proc.stdout


def test_digest_mismatch_in_a_well_formed_member(archive, tmp_path):
    root, first, second = archive
    path = root / first
    ms = _members(path)
    victim = next(m for m in ms if b"WARC-Type: response" in m.data)
    rec = victim.data.replace(b"Kreisumlage", b"Kreisumlagf", 1)
    data = path.read_bytes()
    path.write_bytes(data[:victim.offset] + gzip.compress(rec) + data[victim.offset + victim.length:])
    proc = _verify(tmp_path, root)
    assert proc.returncode == 1
    assert f"record at offset {victim.offset}" in proc.stdout
    assert "block digest mismatch" in proc.stdout and "payload digest mismatch" in proc.stdout


def test_unsorted_and_stale_index(archive, tmp_path):
    root, first, second = archive
    idx = root / cdxj_name(first)
    lines = idx.read_text().splitlines(keepends=True)
    idx.write_text("".join(reversed(lines)))
    idx2 = root / cdxj_name(second)
    idx2.write_text("".join(idx2.read_text().splitlines(keepends=True)[:-1]))
    proc = _verify(tmp_path, root)
    assert proc.returncode == 1
    assert f"CDXJ sidecar {cdxj_name(first)}: unsorted at line 2" in proc.stdout, proc.stdout
    assert f"CDXJ sidecar {cdxj_name(second)}: stale" in proc.stdout, proc.stdout


def test_fixity_mismatch_against_the_sha256_stored_at_upload(archive, tmp_path):
    root, first, second = archive
    store = LocalBlobStore(root)
    assert store.sha256(first)
    (root / ".fixity" / f"{first}.sha256").write_text("0" * 64 + "\n")
    proc = _verify(tmp_path, root)
    assert proc.returncode == 1
    assert "fixity mismatch" in proc.stdout and first in proc.stdout


def test_revisit_whose_original_is_gone(archive, tmp_path):
    root, first, second = archive
    (root / first).unlink()
    (root / cdxj_name(first)).unlink()
    proc = _verify(tmp_path, root)
    assert proc.returncode == 1
    assert f"FAIL {second}" in proc.stdout
    assert "not found in the archive" in proc.stdout, proc.stdout
    assert "revisit at offset" in proc.stdout


def test_revisit_whose_original_changed(archive, tmp_path):
    """The original's file is there but holds another record at the capture the revisit names."""
    root, first, second = archive
    proc = _verify(tmp_path, root, "--file", second)  # originals found through the sidecars
    assert proc.returncode == 0, proc.stdout
    path = root / first
    ms = _members(path)
    data = path.read_bytes()
    out = b""
    for m in ms:  # every response a new record id: the revisit's WARC-Refers-To is nowhere
        rec = m.data
        if b"WARC-Type: response" in rec:
            rec = rec.replace(b"urn:uuid:", b"urn:uuid:0", 1)
        out += gzip.compress(rec)
    path.write_bytes(out)
    proc = _verify(tmp_path, root, "--file", second)
    assert proc.returncode == 1
    assert "not found in the archive" in proc.stdout, proc.stdout


def test_fixity_mismatch_on_s3(pristine, tmp_path, s3_uri, seaweedfs):
    """An object in the bucket replaced by other (still well-formed) bytes under the SHA-256
    metadata of the upload: verify names the file and the fixity mismatch."""
    from crawler.archive.blobstore import open_blobstore

    src, first, second = pristine
    store = open_blobstore(s3_uri, default_dir=tmp_path / "unused")
    for f in sorted(src.iterdir()):
        if f.is_file():
            store.put_file(f, f.name)
    proc = _verify(tmp_path, s3_uri)
    assert proc.returncode == 0, proc.stdout
    sha = store.sha256(first)
    recompressed = b"".join(gzip.compress(m.data, 9) for m in _members(src / first))
    store.client.put_object(Bucket=store.bucket, Key=store._key(first), Body=recompressed,
                            Metadata={"sha256": sha})
    proc = _verify(tmp_path, s3_uri)
    assert proc.returncode == 1
    assert f"FAIL {first}" in proc.stdout and "fixity mismatch" in proc.stdout, proc.stdout

"""WACZ 1.1.1 packages of the archive: the WARC files holding a selection of articles, their
CDXJ index and ``pages/pages.jsonl`` listing the articles (title, URL, time, text), so that
ReplayWeb.page opens the package with a page list and full-text search.

Layout (https://specs.webrecorder.net/wacz/1.1.1/): ``archive/*.warc.gz`` (stored, not
deflated, so records stay range-readable), ``indexes/index.cdx`` (sorted CDXJ, the WARC files'
sidecars merged), ``pages/pages.jsonl``, ``datapackage.json`` (every file with its SHA-256 and
size) and ``datapackage-digest.json`` (the SHA-256 of ``datapackage.json``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from crawler import __version__
from crawler.archive.collection import cdxj_name_for, host_of

WACZ_VERSION = "1.1.1"


@dataclass
class WaczSummary:
    path: str
    pages: int
    warc_files: list[str]
    captures: int


def select_articles(rows: Iterable[dict], portal: str | None = None, day: str | None = None) -> list[dict]:
    """Store export rows of the articles to package: of one portal, fetched on one UTC day."""
    out = []
    for r in rows:
        if portal and r.get("portal") != portal:
            continue
        if day and not (r.get("fetched_at") or "").startswith(day):
            continue
        if not r.get("warc") or r.get("gone_at"):
            continue
        out.append(r)
    return out


def warc_files_of(articles: Iterable[dict]) -> list[str]:
    """The WARC files holding the articles' responses (and, for revisits, the originals)."""
    names = []
    for a in articles:
        w = a["warc"]
        names.append(w["warc_file"])
        if w.get("refers_to"):
            names.append(w["refers_to"]["warc_file"])
    return sorted(dict.fromkeys(names))


def _host_matches(url: str, hosts: tuple[str, ...]) -> bool:
    host = host_of(url)  # without "www.", as the hosts are compared
    return any(host == h or host.endswith("." + h) for h in (x.lower().removeprefix("www.") for x in hosts))


def subset_warc(src_path: str | os.PathLike, dest: str | os.PathLike, hosts: tuple[str, ...],
                day: str | None = None, keep_ids: frozenset[str] = frozenset()) -> int:
    """Copy the records of one WARC file that concern ``hosts`` (all when empty) on UTC ``day``
    (any when None), plus its warcinfo and the records named in ``keep_ids`` (the articles'
    responses and revisit originals), byte for byte (whole gzip members) into ``dest``.
    Returns how many records other than warcinfo were kept."""
    from warcio.archiveiterator import ArchiveIterator

    ranges, kept = [], 0
    with open(src_path, "rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            offset = it.get_record_offset()
            h = rec.rec_headers
            uri = h.get_header("WARC-Target-URI") or ""
            wanted = rec.rec_type == "warcinfo" or h.get_header("WARC-Record-ID") in keep_ids or (
                (not hosts or _host_matches(uri, hosts)) and (not day or (h.get_header("WARC-Date") or "").startswith(day)))
            it.read_to_end(rec)
            if wanted:
                ranges.append((offset, it.get_record_length()))
                kept += rec.rec_type != "warcinfo"
        with open(dest, "wb") as out:
            for offset, length in ranges:
                fh.seek(offset)
                out.write(fh.read(length))
    return kept


def page_entry(a: dict) -> dict:
    fetched = datetime.fromisoformat(a["fetched_at"].replace("Z", "+00:00")).astimezone(timezone.utc)
    entry = {"id": a["article_id"], "url": a["url"], "ts": fetched.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "title": a.get("title") or a["url"], "text": a.get("text") or ""}
    if a.get("published"):
        entry["published"] = a["published"]
    return entry


def _write(zf: zipfile.ZipFile, name: str, data: bytes, resources: list, deflate: bool = False) -> None:
    info = zipfile.ZipInfo(name, datetime.now(timezone.utc).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    zf.writestr(info, data)
    resources.append({"name": os.path.basename(name).lower(), "path": name,
                      "hash": "sha256:" + hashlib.sha256(data).hexdigest(), "bytes": len(data)})


def _copy_warc(zf: zipfile.ZipFile, blobstore, name: str, resources: list) -> None:
    entry = "archive/" + os.path.basename(name)
    info = zipfile.ZipInfo(entry, datetime.now(timezone.utc).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    # The size is declared up front so that the local header carries it and no ZIP64 extra
    # field unless the file needs one (>= 4 GiB): ReplayWeb.page (wabac.js) finds an entry's data
    # at header offset + 30 + name length + the central directory's extra length, so a ZIP64 extra
    # field in the local header only (20 bytes) shifts every record it reads.
    stat = blobstore.stat(name)
    info.file_size = stat.size if stat else 0
    digest, size = hashlib.sha256(), 0
    with blobstore.open(name) as src, zf.open(info, "w", force_zip64=info.file_size >= zipfile.ZIP64_LIMIT) as dst:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    resources.append({"name": os.path.basename(entry).lower(), "path": entry,
                      "hash": "sha256:" + digest.hexdigest(), "bytes": size})


def write_wacz(out: str | os.PathLike, blobstore, articles: list[dict], *, title: str = "crawler archive",
               hosts: tuple[str, ...] | None = None, day: str | None = None) -> WaczSummary:
    """Package the WARC files of ``articles`` (store export rows) from ``blobstore`` into ``out``.
    With ``hosts`` (a portal's) or ``day``, each WARC file is cut down to the records of those
    hosts on that UTC day (plus warcinfo and the articles' revisit originals)."""
    names = warc_files_of(articles)
    missing = [n for n in names if not blobstore.exists(n)]
    if missing:
        raise FileNotFoundError(f"WARC files not in the archive {blobstore!r}: {', '.join(missing)}")
    header = {"format": "json-pages-1.0", "id": "pages", "title": "Articles", "hasText": True}
    pages = [json.dumps(header)] + [json.dumps(page_entry(a), ensure_ascii=False) for a in articles]
    tmp = f"{out}.tmp"
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(out))) as work:
        try:
            if hosts or day:
                source, names, lines = _subsets(blobstore, names, articles, hosts or (), day, Path(work))
            else:
                source, lines = blobstore, _sidecar_lines(blobstore, names)
            _package(tmp, source, names, sorted(lines), pages, articles, title)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    shutil.move(tmp, out)
    return WaczSummary(str(out), len(articles), names, len(lines))


def _sidecar_lines(blobstore, names: list[str]) -> list[str]:
    lines: list[str] = []
    for name in names:
        sidecar = cdxj_name_for(name)
        if not blobstore.exists(sidecar):
            raise FileNotFoundError(f"{name} has no CDXJ index {sidecar} in {blobstore!r}")
        lines.extend(line + "\n" for line in blobstore.read_bytes(sidecar).decode("utf-8").splitlines() if line.strip())
    return lines


def _subsets(blobstore, names, articles, hosts, day, work: Path):
    """(store of the cut-down files, their names, their CDXJ lines)."""
    from crawler.archive.blobstore import LocalBlobStore
    from crawler.archive.cdxj import cdxj_for

    keep = {a["warc"]["record_id"] for a in articles}
    keep |= {a["warc"]["refers_to"]["record_id"] for a in articles if a["warc"].get("refers_to")}
    (work / "in").mkdir()
    (work / "out").mkdir()
    out_names, lines = [], []
    for name in names:
        local = work / "in" / os.path.basename(name)
        with blobstore.open(name) as src, open(local, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        cut = cdxj_name_for(os.path.basename(name))[: -len(".cdxj")] + "-subset.warc.gz"
        if subset_warc(local, work / "out" / cut, hosts, day, frozenset(keep)):
            out_names.append(cut)
            lines.extend(line + "\n" for line in cdxj_for(work / "out" / cut).splitlines() if line.strip())
        local.unlink()
    return LocalBlobStore(work / "out"), out_names, lines


def _package(tmp, blobstore, names, lines, pages, articles, title) -> None:
    """Write the zip: WARC files (stored), index, page list, datapackage and its digest."""
    resources: list[dict] = []
    with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
        for name in names:
            _copy_warc(zf, blobstore, name, resources)
        _write(zf, "indexes/index.cdx", "".join(lines).encode("utf-8"), resources)
        _write(zf, "pages/pages.jsonl", ("\n".join(pages) + "\n").encode("utf-8"), resources, deflate=True)
        package = {"profile": "data-package", "wacz_version": WACZ_VERSION, "title": title,
                   "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "software": f"newscrawler {__version__}", "resources": resources}
        if articles:
            package["mainPageURL"] = articles[0]["url"]
            package["mainPageDate"] = page_entry(articles[0])["ts"]
        raw = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
        zf.writestr(zipfile.ZipInfo("datapackage.json", datetime.now(timezone.utc).timetuple()[:6]), raw)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(raw).hexdigest()}
        zf.writestr("datapackage-digest.json", json.dumps(digest, indent=2))

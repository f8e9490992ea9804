"""What the proof runs share (bench/soak.py, bench/faults.py, tests/proof): a database to
run on, a private PostgreSQL cluster, `fusioncell serve` in a subprocess, a cell with a
member of each party, a mixed workload of signed writes that retries until each is
settled, and the check that every acknowledged write is in the log, once, as it was sent.

Every write is signed once and, after a failure (connection refused or reset, 503, 507,
timeout), posted again with the same bytes: the log refuses a statement it holds already
(409, "already in the log"), so a retry can never make a second entry. That is the only
idempotency the API offers, and the checks hold the server to exactly it.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, select, text

from fusioncell.authz import Role
from fusioncell.cell import init_cell, open_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.client import MemberClient
from fusioncell.db import make_engine, reading
from fusioncell.deesc import kinds as deesc_kinds
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.ledger.canonical import b64d, loads_canonical
from fusioncell.ledger.entry import parse_leaf
from fusioncell.ledger.export import export_log
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.tables import log_bodies, log_entries
from fusioncell.ledger.verify import verify_dir
from fusioncell.live.client import astream
from fusioncell.messaging import kinds as cell_kinds
from fusioncell.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get(
    "FUSIONCELL_BENCH_PG",
    os.environ.get("FUSIONCELL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)
FUSIONCELL = [sys.executable, "-m", "fusioncell.cli"]
# The threads of the workload and who is in each: three visibilities.
THREADS = {"all": ["IL", "SY", "US"], "sy": ["SY", "US"], "il": ["IL", "US"]}
PLACE = {"type": "Point", "coordinates": [35.85, 33.10]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, Any]:
    """What the figures were taken on."""
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "loadavg_at_start": list(os.getloadavg()),
    }


# ---- databases ---------------------------------------------------------------------------


@contextmanager
def database(
    backend: str, where: Path, pg_base: str | None = None, options: str = ""
) -> Iterator[str]:
    """A SQLAlchemy URL for a fresh cell: a SQLite file in `where`, or a schema of its own
    on PostgreSQL (dropped afterwards, with any connection left in it); `options` are more
    settings for its sessions (`-cname=value`)."""
    if backend == "sqlite":
        yield f"sqlite:///{where / 'cell.db'}"
        return
    base = pg_base or PG
    schema = "proof_" + uuid.uuid4().hex[:10]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        opts = quote(f"-csearch_path={schema} {options}".strip())
        yield f"{base}{sep}options={opts}&application_name={schema}"
    finally:
        with suppress(Exception), admin.connect() as c:  # the cluster may be gone already
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :n AND pid <> pg_backend_pid()"
                ),
                {"n": schema},
            )
            c.execute(text("SET lock_timeout = '60s'"))
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def pg_bin(name: str) -> Path | None:
    """A PostgreSQL server program (Debian keeps them out of PATH), the newest version."""
    found = shutil.which(name)
    if found:
        return Path(found)
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return versions[-1] if versions else None


class PrivatePg:
    """A PostgreSQL cluster of our own (initdb, trust, a free port, its socket in its own
    directory), to restart and fill without touching the machine's shared server. As root
    it runs as the `postgres` user, who owns its directory."""

    def __init__(self, root: Path | None = None) -> None:
        initdb, ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if initdb is None or ctl is None:
            raise FileNotFoundError("initdb/pg_ctl not found (apt-get install postgresql)")
        self.initdb, self.pg_ctl = initdb, ctl
        self.root = root or Path(tempfile.mkdtemp(prefix="fc-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_pg = os.geteuid() == 0
        if self._as_pg:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(self.initdb), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as f:
            f.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\nfsync = on\n"
                "max_connections = 200\nshared_buffers = 32MB\n"
            )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str) -> str:
        full = ["runuser", "-u", "postgres", "--", *cmd] if self._as_pg else list(cmd)
        done = subprocess.run(full, capture_output=True, text=True, check=False, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {done.stdout}{done.stderr}")
        return done.stdout

    def ctl(self, action: str, *extra: str) -> None:
        log = str(self.root / "server.log")
        ctl = str(self.pg_ctl)
        self._run(ctl, action, "-D", str(self.data), "-w", "-t", "60", "-l", log, *extra)

    def start(self) -> None:
        self.ctl("start")

    def restart(self, mode: str = "fast") -> None:
        self.ctl("restart", "-m", mode)

    def stop(self, mode: str = "fast") -> None:
        self.ctl("stop", "-m", mode)

    def running(self) -> bool:
        try:
            self._run(str(self.pg_ctl), "status", "-D", str(self.data))
        except RuntimeError:
            return False
        return True

    def close(self) -> None:
        with suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, chars: int = 3000) -> str:
        with suppress(OSError):
            return (self.root / "server.log").read_text(errors="replace")[-chars:]
        return ""


# ---- the cell and its server ---------------------------------------------------------------


@dataclass
class Member:
    party: str
    member: str
    key: SigningKey
    token: str


def make_cell(data: Path, url: str, readers: int = 0) -> tuple[list[Member], list[Member]]:
    """The Paris cell with a liaison officer per party (the writers) and `readers` more
    API tokens, spread over the parties (the stream clients). Returns (writers, readers)."""
    settings = Settings(data=data, database_url=url, require_totp=False)
    cell = init_cell(paris_charter_text(), settings)
    try:
        writers = []
        for party in ("IL", "SY", "US"):
            member = f"{party.lower()}-liaison"
            do_add_member(cell, party, member, Role.LIAISON_OFFICER)
            key = new_member_key(party, member)
            register_member_key(cell, party, member, key.verifier.encode())
            now = cell.clock.now()
            _, token = create_token(cell.engine, party, member, Role.LIAISON_OFFICER, now)
            writers.append(Member(party, member, key, token))
        out = []
        for i in range(readers):
            w = writers[i % 3]
            _, token = create_token(
                cell.engine, w.party, w.member, Role.LIAISON_OFFICER, cell.clock.now()
            )
            out.append(Member(w.party, w.member, w.key, token))
        return writers, out
    finally:
        cell.close()


def server_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONCELL_")}
    env.update(
        {
            "FUSIONCELL_DATABASE_URL": url,
            "FUSIONCELL_SECURE_COOKIES": "false",
            "FUSIONCELL_REQUIRE_TOTP": "false",
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            **extra,
        }
    )
    return env


class Server:
    """`fusioncell serve` in a process of its own, to kill and start again."""

    def __init__(
        self,
        data: Path,
        env: dict[str, str],
        log: Path,
        *,
        preexec: Callable[[], None] | None = None,
    ) -> None:
        self.data, self.env, self.log = data, env, log
        self.port = free_port()
        self.preexec = preexec
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts: list[float] = []  # seconds each start took until it answered

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, token: str, limit: float = 120) -> float:
        """Start it and wait until it answers; returns the seconds that took."""
        t0 = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*FUSIONCELL, "serve", "--data", str(self.data), "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                preexec_fn=self.preexec,  # noqa: PLW1509 - only resource limits, set before exec
            )
        while time.monotonic() - t0 < limit:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_tail()}")
            with suppress(httpx.HTTPError):
                r = httpx.get(
                    f"{self.url}/log/v1/checkpoint",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=2,
                )
                if r.status_code == 200:
                    self.starts.append(time.monotonic() - t0)
                    return self.starts[-1]
            time.sleep(0.05)
        raise RuntimeError(f"the server did not answer within {limit}s: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no lifespan, no clean-up, as a crash or the OOM killer leaves it."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)

    def rss_mb(self) -> float:
        """The server process's resident memory (VmRSS), in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def log_tail(self, chars: int = 4000) -> str:
        with suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""


def serve_cell(
    data: Path, url: str, log: Path, *, readers: int = 0, **env: str
) -> tuple[Server, list[Member], list[Member]]:
    """A fresh cell (make_cell) on `url`, served by `fusioncell serve` (more environment in
    `env`, its output in `log`) and answering. Returns (server, writers, readers); the
    caller stops the server."""
    writers, more = make_cell(data, url, readers=readers)
    server = Server(data, server_env(url, **env), log)
    server.start(writers[0].token)
    return server, writers, more


# ---- the workload --------------------------------------------------------------------------


@dataclass
class Write:
    """One signed write and how it was settled."""

    what: str  # thread, message, ack, incident
    payload: dict[str, Any]
    index: int | None = None  # from the 201
    present: bool = False  # a retry was told "already in the log" (the first try committed)
    refused: str | None = None  # another 4xx: the server said no (not expected here)
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def settled(self) -> bool:
        return self.index is not None or self.present or self.refused is not None


class Workload:
    """One thread per writer, each appending a mix through the HTTP API: messages in
    threads of three visibilities (ROUTINE, and PRIORITY, which the other parties must
    acknowledge), the acknowledgements, and de-escalation incidents (visible to all).

    `rate` is writes per second per writer (None: as fast as answers come). A failed post
    is retried with the same signed bytes until it is settled; `answers` counts every
    HTTP status and connection failure seen. `retry_for` bounds how long one write keeps
    retrying (the run fails if any is left unsettled)."""

    def __init__(
        self,
        base_url: str,
        writers: list[Member],
        *,
        rate: float | None = None,
        seed: int = 1,
        retry_for: float = 180.0,
        mix: tuple[float, float, float] = (0.55, 0.25, 0.20),
    ) -> None:
        self.base_url = base_url
        self.writers = writers
        self.rate = rate
        self.rng = random.Random(seed)
        self.retry_for = retry_for
        self.mix = mix
        self.writes: list[Write] = []
        self.answers: Counter[str] = Counter()
        self.errors: list[str] = []  # 5xx other than 503/507, bodies kept for the report
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # Messages each party is asked to acknowledge: (thread, its parties, index).
        self._owed: dict[str, deque[tuple[str, list[str], int]]] = {
            p: deque() for p in ("IL", "SY", "US")
        }
        self.origin = ""
        self.outage: Callable[[], bool] = lambda: False  # set: 503s are expected now

    def start(self) -> None:
        r = httpx.get(
            f"{self.base_url}/log/v1/key",
            headers={"Authorization": f"Bearer {self.writers[0].token}"},
            timeout=30,
        )
        r.raise_for_status()
        self.origin = r.text.split("+")[0]
        for w in self.writers:
            t = threading.Thread(target=self._run, args=(w,), name=f"writer-{w.party}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 300) -> None:
        """Stop starting writes; wait for the ones under way to settle."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        if any(t.is_alive() for t in self._threads):
            raise RuntimeError("a writer did not finish")

    @property
    def settled(self) -> int:
        with self._lock:
            return sum(w.settled for w in self.writes)

    def acked(self) -> list[Write]:
        with self._lock:
            return [w for w in self.writes if w.index is not None]

    # ---- one writer ----

    def _run(self, w: Member) -> None:
        client = MemberClient(
            self.base_url, w.token, key=w.key, party=w.party, member=w.member, origin=self.origin
        )
        rng = random.Random(self.rng.random())
        mine = {name: parties for name, parties in THREADS.items() if w.party in parties}
        tids: dict[str, str] = {}
        try:
            for name, parties in mine.items():
                tid = f"{w.party.lower()}-{name}-{uuid.uuid4().hex[:8]}"
                body = {
                    "thread": tid,
                    "workstream": "deescalation",
                    "topic": {"text": f"Proof {name} by {w.party}", "lang": "en"},
                    "parties": parties,
                }
                subject = cell_kinds.subject(tid)
                payload = client.sign(cell_kinds.THREAD_OPENED, subject, parties, body)
                if self._post(client, Write("thread", payload)).index is not None:
                    tids[name] = tid
            n = 0
            while not self._stop.is_set():
                t0 = time.monotonic()
                self._one(client, w, rng, tids, n)
                n += 1
                if self.rate:
                    left = 1 / self.rate - (time.monotonic() - t0)
                    if left > 0:
                        self._stop.wait(left * rng.uniform(0.5, 1.5))
        except Exception as exc:  # noqa: BLE001 - reported, fails the run
            with self._lock:
                self.errors.append(f"writer {w.party} died: {type(exc).__name__}: {exc}")

    def _one(
        self, client: MemberClient, w: Member, rng: random.Random, tids: dict[str, str], n: int
    ) -> None:
        roll = rng.random()
        owed = self._owed[w.party]
        if roll < self.mix[1] and owed:
            with self._lock:
                tid, parties, msg = owed.popleft() if owed else ("", [], -1)
            if msg >= 0:
                payload = client.sign(
                    cell_kinds.ACKNOWLEDGED,
                    cell_kinds.subject(tid),
                    parties,
                    {"thread": tid, "message": msg},
                )
                self._post(client, Write("ack", payload))
                return
        if roll < self.mix[1] + self.mix[2]:
            now = datetime.now(UTC) - timedelta(minutes=5)
            body = {
                "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "time_precision": "minute",
                "place": PLACE,
                "place_precision_m": 100,
                "category": "shelling",
                "actors": [],
                "description": f"Incident {n} seen by {w.party}: قصف — הפגזה",
                "lang": "en",
                "sources": [],
            }
            payload = client.sign(
                deesc_kinds.INCIDENT,
                deesc_kinds.SUBJECTS[deesc_kinds.INCIDENT],
                ["IL", "SY", "US"],
                body,
            )
            self._post(client, Write("incident", payload))
            return
        if not tids:
            return
        name = rng.choice(sorted(tids))
        tid, parties = tids[name], THREADS[name]
        urgency = "PRIORITY" if rng.random() < 0.4 else "ROUTINE"
        body = {
            "thread": tid,
            "urgency": urgency,
            "text": f"message {n} from {w.party} — رسالة — הודעה",
            "lang": "en",
        }
        payload = client.sign(cell_kinds.POSTED, cell_kinds.subject(tid), parties, body)
        done = self._post(client, Write("message", payload))
        if urgency == "PRIORITY" and done.index is not None:
            # The parties asked to acknowledge: the others of the thread but the supervisor.
            with self._lock:
                for p in parties:
                    if p not in (w.party, "US"):
                        self._owed[p].append((tid, parties, done.index))

    def _post(self, client: MemberClient, write: Write) -> Write:
        with self._lock:
            self.writes.append(write)
        end = time.monotonic() + self.retry_for
        delay = 0.05
        while time.monotonic() < end:
            try:
                r = client.http.post(
                    "/log/v1/append", json=write.payload, headers=client.headers, timeout=30
                )
                status = str(r.status_code)
            except httpx.HTTPError as exc:
                r, status = None, type(exc).__name__
            with self._lock:
                self.answers[status] += 1
                write.statuses[status] += 1
            if r is not None and r.status_code == 201:
                write.index = int(r.json()["index"])
                return write
            if r is not None and r.status_code == 409 and "already in the log" in r.text:
                write.present = True
                return write
            if r is not None and 400 <= r.status_code < 500:
                write.refused = f"{r.status_code} {r.text[:300]}"
                return write
            if r is not None and r.status_code not in (503, 507):
                with self._lock:
                    self.errors.append(f"{r.status_code} {r.text[:500]}")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        return write


# ---- live-stream clients --------------------------------------------------------------------


class StreamClients:
    """Live-stream clients (fusioncell.live.client.astream), one per member given, all
    from the same log index, on an event loop in a thread of their own: what each
    received, in order, across whatever reconnections the run causes."""

    def __init__(self, base_url: str, members: list[Member], after: int) -> None:
        self.base_url, self.members, self.after = base_url, members, after
        self.got: list[list[int]] = [[] for _ in members]
        self.failures: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="streams", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(120)

    def _main(self) -> None:
        self._loop.run_until_complete(self._all())
        self._loop.close()

    async def _all(self) -> None:
        self._stop = asyncio.Event()
        tasks = [asyncio.create_task(self._one(i, m)) for i, m in enumerate(self.members)]
        await self._stop.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _one(self, i: int, m: Member) -> None:
        got = self.got[i]
        try:
            async for frame in astream(self.base_url, m.token, after=self.after):
                got.append(int(frame["index"]))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a client that gave up is a failure
            self.failures.append(f"client {i} ({m.party}): {type(exc).__name__}: {exc}")

    def check(self, url: str, timeout: float = 120) -> dict[str, Any]:
        """Wait for the clients to catch up with the log, stop them, and check that each
        got every entry its party may read after `after`, exactly once and in order."""
        wanted = visible_after(url, self.after)

        def complete() -> bool:
            pairs = zip(self.got, self.members, strict=True)
            return all(len(g) >= len(wanted[m.party]) for g, m in pairs)

        t0 = time.monotonic()
        with suppress(AssertionError):
            until("the streams to catch up", complete, timeout, step=0.2)
        caught_up = time.monotonic() - t0
        self.stop()
        wrong = [
            f"client {i} ({m.party}): got {len(g)} entries, wanted {len(wanted[m.party])}"
            + ("" if len(set(g)) == len(g) else ", with repeats")
            for i, (g, m) in enumerate(zip(self.got, self.members, strict=True))
            if g != wanted[m.party]
        ]
        if wrong or self.failures:
            raise AssertionError(f"streams: {wrong[:5]} {self.failures[:5]}")
        return {
            "stream_clients": len(self.members),
            "entries_each_party_streamed": {p: len(v) for p, v in wanted.items()},
            "frames_delivered": sum(len(g) for g in self.got),
            "every_client_got_every_entry_once_in_order": True,
            "catch_up_after_writers_stopped_s": round(caught_up, 2),
        }


def follow(server: Server, members: list[Member], token: str) -> StreamClients:
    """Stream clients for `members`, started, from the log's end now (as `token` reads it)."""
    clients = StreamClients(server.url, members, log_size(server.url, token) - 1)
    clients.start()
    return clients


def visible_after(url: str, after: int) -> dict[str, list[int]]:
    """For each party, the indexes after `after` it may read, from the log itself (the
    Paris charter: US supervises and sees every entry; IL and SY the entries naming them)."""
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            rows = conn.execute(
                select(log_entries.c.idx, log_entries.c.visibility)
                .where(log_entries.c.idx > after)
                .order_by(log_entries.c.idx)
            ).all()
    finally:
        engine.dispose()
    return {
        p: [int(r.idx) for r in rows if p == "US" or f",{p}," in r.visibility]
        for p in ("IL", "SY", "US")
    }


def log_size(base_url: str, token: str) -> int:
    r = httpx.get(
        f"{base_url}/log/v1/checkpoint", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    r.raise_for_status()
    return int(r.text.splitlines()[1])


# ---- checks --------------------------------------------------------------------------------


def log_rows(url: str) -> dict[int, tuple[bytes, bytes, bytes]]:
    """Every entry: index -> (statement sha-256, leaf, body bytes)."""
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            rows = conn.execute(
                select(
                    log_entries.c.idx,
                    log_entries.c.statement_sha256,
                    log_entries.c.leaf,
                    log_bodies.c.body,
                )
                .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
                .order_by(log_entries.c.idx)
            ).all()
    finally:
        engine.dispose()
    return {int(r.idx): (bytes(r.statement_sha256), bytes(r.leaf), bytes(r.body)) for r in rows}


def check_writes(url: str, writes: list[Write]) -> dict[str, Any]:
    """Every settled write is in the log exactly once, with the bytes that were signed; an
    acknowledged one at the index the server gave. Returns figures; raises on a failure."""
    import hashlib

    rows = log_rows(url)
    by_sha: dict[bytes, list[int]] = {}
    for idx, (sha, _, _) in rows.items():
        by_sha.setdefault(sha, []).append(idx)
    problems = []
    unsettled = [w for w in writes if not w.settled]
    if unsettled:
        problems.append(f"{len(unsettled)} writes never settled")
    refused = [w.refused for w in writes if w.refused]
    if refused:
        problems.append(f"{len(refused)} writes refused, e.g. {refused[0]}")
    for w in writes:
        raw = b64d(w.payload["statement"])
        sha = hashlib.sha256(raw).digest()
        found = by_sha.get(sha, [])
        if len(found) > 1:
            problems.append(f"a {w.what} is in the log {len(found)} times: {found}")
        if w.index is None and not w.present:
            continue
        if not found:
            problems.append(f"an acknowledged {w.what} (index {w.index}) is missing")
            continue
        idx = found[0]
        if w.index is not None and idx != w.index:
            problems.append(f"a {w.what} acknowledged at {w.index} is at {idx}")
        _, leaf, body = rows[idx]
        entry = parse_leaf(leaf)
        if entry.statement.raw != raw or entry.sig != b64d(w.payload["sig"]):
            problems.append(f"entry {idx} is not the statement that was signed")
        if loads_canonical(body) != w.payload["body"]:
            problems.append(f"entry {idx} does not hold the body that was sent")
    if len(by_sha) != len(rows):
        problems.append("two entries share a statement")
    if problems:
        raise AssertionError("; ".join(problems[:20]))
    return {
        "log_size": len(rows),
        "writes": len(writes),
        "acknowledged": sum(w.index is not None for w in writes),
        "settled_by_409_already_in_log": sum(w.present for w in writes),
        "by_kind": dict(Counter(w.what for w in writes)),
    }


def verify_log(data: Path, url: str, where: Path) -> dict[str, Any]:
    """Export the whole log and verify it offline (`fusioncell log export` + `log verify`)."""
    cell = open_cell(Settings(data=data, database_url=url))
    try:
        size = export_log(cell.ledger, where, None)
    finally:
        cell.close()
    report = verify_dir(where, workers=1)
    assert report.size == size
    return {"verified_entries": report.size, "origin": report.origin}


def until(what: str, done: Callable[[], bool], timeout: float = 60.0, step: float = 0.05) -> None:
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)

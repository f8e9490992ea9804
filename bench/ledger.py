"""Benchmark of the cell's log on SQLite and PostgreSQL; prints one JSON object to stdout.

    python bench/ledger.py                       # both backends, a 1,000,000-entry log
    python bench/ledger.py --quick               # a ~20,000-entry smoke run
    python bench/ledger.py --backend sqlite --entries 200000

Figures, for each backend (progress goes to stderr):

1. appends: signed statements, verified and committed, from 8 concurrent writers (threads
   calling `Ledger.submit` / `submit_async`, each with its own registered member key; the
   statements are built, signed and parsed into `Submission`s beforehand, as an API route
   hands them to the ledger), in two modes: `sync` (each writer waits for each
   acknowledgement) and `pipelined` (each writer keeps up to --window appends in flight);
   optionally `http` (8 threads POSTing pre-signed payloads to /log/v1/append of a real
   `fusioncell serve` on 127.0.0.1). On a fresh cell, each mode --repeat times.
2. inclusion and consistency proofs at --entries entries: server-side time per call of
   `Ledger.inclusion_proof(i, size)` / `consistency_proof(m, size)`, random i and m.
3. `log verify`: `export_log` of the whole log, then `verify_dir(path, workers=2)`.
4. the resident memory of a `fusioncell serve` process serving that log, after a few hundred
   rounds of requests to /checkpoint, /entries and both proofs.

The big log is built through the ledger on SQLite (real signed statements from the 8 member
keys, the real tree, a signed checkpoint after each group commit) with `submit_async`, many
appends in flight and a larger `max_batch`, and kept under --cache for later runs. For
PostgreSQL its rows are copied (COPY) into a schema made for the run, which the benchmark then
checks in full (proofs against the signed checkpoint, then `log verify` of its export);
`--pg-build ledger` appends it through the PostgreSQL ledger instead (slower). Every
PostgreSQL schema is created for the run (`?options=-csearch_path%3D<schema>`) and dropped at
its end.

Each figure carries the CPU seconds spent meanwhile by this benchmark (and its children), by
PostgreSQL, and by everything else on the machine (`cpu_other_s`): on a shared machine a
large `cpu_other_s` means the figure is depressed by someone else's work.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

import fusioncell
from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell, open_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.client import MemberClient
from fusioncell.clock import rfc3339
from fusioncell.db import make_engine, migrate, target_metadata
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.ledger import merkle
from fusioncell.ledger.canonical import b64d, b64e
from fusioncell.ledger.entry import Author, Submission, build_statement, parse_submission
from fusioncell.ledger.export import export_log
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.note import open_checkpoint
from fusioncell.ledger.verify import verify_dir
from fusioncell.settings import Settings

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CACHE_DEFAULT = Path("/tmp/fusioncell-bench")
WRITERS = 8
KIND = "note.posted"
TARGETS = {
    "append_entries_per_s": 5000,
    "proof_ms": 1.0,
    "verify_entries_per_s": 20000,
    "server_rss_mb": 300,
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def say(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# ---- what else the machine is doing --------------------------------------------------


def _system_busy_s() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine since boot."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = f[:8]
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def _own_cpu_s() -> float:
    """This process and its reaped children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _postgres_ticks() -> dict[int, int]:
    """Cumulative CPU clock ticks of each PostgreSQL process, by pid."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        if "(postgres)" in stat:
            rest = stat.rsplit(")", 1)[1].split()
            out[int(d.name)] = int(rest[11]) + int(rest[12])  # utime + stime
    return out


def _postgres_cpu_s() -> float:
    return sum(_postgres_ticks().values()) / CLK_TCK


class _PostgresSampler:
    """PostgreSQL's CPU during a phase, backends that come and go included: a thread reads
    /proc every 0.2 s and keeps each backend's last reading."""

    def __init__(self) -> None:
        self.base = _postgres_ticks()
        self.last = dict(self.base)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-cpu", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        self.last.update(_postgres_ticks())

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._sample()
        return sum(v - self.base.get(pid, 0) for pid, v in self.last.items()) / CLK_TCK


@dataclass
class Meter:
    """CPU seconds spent during a phase: ours, PostgreSQL's and everyone else's."""

    wall: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def measure(self) -> Iterator[None]:
        busy0, steal0 = _system_busy_s()
        own0, t0 = _own_cpu_s(), time.perf_counter()
        pg_sampler = _PostgresSampler()
        try:
            yield
        finally:
            self.wall = time.perf_counter() - t0
            pg = pg_sampler.stop()
            busy1, steal1 = _system_busy_s()
            own = _own_cpu_s() - own0
            self.cpu = {
                "cpu_bench_s": round(own, 1),
                "cpu_postgres_s": round(pg, 1),
                "cpu_other_s": round(max(busy1 - busy0 - own - pg, 0.0), 1),
                "cpu_steal_s": round(steal1 - steal0, 1),
                "load1_after": round(os.getloadavg()[0], 2),
            }


QUIET = {"max_wait_s": 0.0}  # set from --quiet-wait


def wait_quiet() -> dict[str, Any]:
    """Wait, up to --quiet-wait seconds, until the rest of the machine has used less than
    a sixth of a core for 3 seconds (other sessions' test runs share these 2 cores)."""
    t0 = time.monotonic()
    while True:
        busy0, own0, pg0 = _system_busy_s()[0], _own_cpu_s(), _postgres_cpu_s()
        time.sleep(3)
        busy1, own1, pg1 = _system_busy_s()[0], _own_cpu_s(), _postgres_cpu_s()
        other = busy1 - busy0 - (own1 - own0) - max(pg1 - pg0, 0.0)
        waited = time.monotonic() - t0
        if other < 0.5:
            return {"quiet_before": True, "waited_s": round(waited)}
        if waited > QUIET["max_wait_s"]:
            say(f"  the machine is still busy ({other / 3:.1f} cores used by others): going on")
            return {"quiet_before": False, "waited_s": round(waited)}


@contextmanager
def metered(out: dict[str, Any]) -> Iterator[None]:
    """Wait for a quiet machine, then count the CPU spent during the block into `out`."""
    if QUIET["max_wait_s"] > 0:
        out.update(wait_quiet())
    m = Meter()
    with m.measure():
        yield
    out.update(m.cpu)


# ---- writers and statements ------------------------------------------------------------


@dataclass(frozen=True)
class Writer:
    party: str
    member: str
    key: SigningKey


def writer_ids() -> list[tuple[str, str]]:
    parties = ("IL", "SY", "US")
    return [(parties[i % 3], f"bench-w{i}") for i in range(WRITERS)]


def enroll_writers(cell: Cell) -> list[Writer]:
    """Register 8 member keys (signed by each party's root key) and keep them in the cell."""
    out = []
    for party, member in writer_ids():
        key = new_member_key(party, member, "bench")
        register_member_key(cell, party, member, key.verifier.encode())
        key.save(cell.data / "bench-keys" / f"{member}.key")
        out.append(Writer(party, member, key))
    return out


def sign_statements(
    origin: str, key_text: str, party: str, member: str, first: int, count: int, tag: str
) -> list[Submission]:
    """Build, sign and parse `count` statements as the author's client and the API route
    would (runs in worker processes too). Each body has a fresh salt: no two are alike."""
    key = SigningKey.decode_private(key_text)
    author = Author(party, member, key.key_id_hex)
    visibility = sorted({party, "US"})
    now = rfc3339(datetime.now(UTC))
    out = []
    for seq in range(first, first + count):
        raw, body = build_statement(
            origin=origin,
            kind=KIND,
            subject=f"thread-{seq % 997}",
            author=author,
            visibility=visibility,
            body={"text": f"{tag} message {seq} from {member}", "lang": "en"},
            client_time=now,
        )
        out.append(parse_submission(b64e(raw), b64e(key.sign(raw)), body))
    return out


def prepare(cell: Cell, writers: list[Writer], per_writer: int, tag: str) -> list[list[Submission]]:
    return [
        sign_statements(
            cell.ledger.origin, w.key.encode_private(), w.party, w.member, 0, per_writer, tag
        )
        for w in writers
    ]


# ---- backends ------------------------------------------------------------------------


@dataclass
class Backend:
    name: str  # sqlite | postgresql
    pg_base: str
    run_id: str
    schemas: list[str] = field(default_factory=list)

    def db_url(self) -> str | None:
        """A new database for a cell: None (its SQLite file) or a fresh PostgreSQL schema."""
        if self.name == "sqlite":
            return None
        schema = f"fcbench_{self.run_id}_{len(self.schemas)}"
        with self._admin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        sep = "&" if "?" in self.pg_base else "?"
        return f"{self.pg_base}{sep}options=-csearch_path%3D{schema}"

    def drop_all(self) -> None:
        with self._admin() as conn:
            for schema in self.schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.schemas.clear()

    @contextmanager
    def _admin(self) -> Iterator[Any]:
        eng = create_engine(self.pg_base, isolation_level="AUTOCOMMIT")
        try:
            with eng.connect() as conn:
                yield conn
        finally:
            eng.dispose()


def new_cell(data: Path, db_url: str | None) -> Cell:
    if data.exists():
        shutil.rmtree(data)
    return init_cell(paris_charter_text(), Settings(data=data, database_url=db_url))


def reopen(data: Path, db_url: str | None) -> Cell:
    return open_cell(Settings(data=data, database_url=db_url))


# ---- 1. appends ----------------------------------------------------------------------


def run_writers(work: Callable[[int], int], n: int = WRITERS) -> tuple[float, int]:
    """Run work(i) in n threads started together; (wall seconds, total returned)."""
    barrier = threading.Barrier(n + 1)
    counts = [0] * n
    errors: list[BaseException] = []

    def body(i: int) -> None:
        barrier.wait()
        try:
            counts[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} writer(s) failed: {errors[0]!r}") from errors[0]
    return wall, sum(counts)


def append_sync(cell: Cell, subs: list[list[Submission]]) -> tuple[float, int]:
    def work(i: int) -> int:
        for s in subs[i]:
            cell.ledger.submit(s)
        return len(subs[i])

    return run_writers(work)


def append_pipelined(cell: Cell, subs: list[list[Submission]], window: int) -> tuple[float, int]:
    def work(i: int) -> int:
        inflight: deque[cf.Future[Any]] = deque()
        for s in subs[i]:
            if len(inflight) >= window:
                inflight.popleft().result()
            inflight.append(cell.ledger.submit_async(s))
        while inflight:
            inflight.popleft().result()
        return len(subs[i])

    return run_writers(work)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(data: Path, db_url: str | None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`fusioncell serve` as a child process on a free port of 127.0.0.1."""
    port = free_port()
    env = dict(os.environ)
    env.pop("FUSIONCELL_DATABASE_URL", None)
    if db_url is not None:
        env["FUSIONCELL_DATABASE_URL"] = db_url
    exe = Path(sys.executable).parent / "fusioncell"
    cmd = [str(exe), "serve", "--data", str(data), "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"fusioncell serve exited {proc.returncode}: {err[-2000:]}")
            try:
                httpx.get(f"{base}/log/v1/key", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield proc, base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def append_http(
    cell: Cell, db_url: str | None, writers: list[Writer], per_writer: int
) -> dict[str, Any]:
    origin = cell.ledger.origin
    tokens = [
        create_token(cell.engine, w.party, w.member, Role.LIAISON_OFFICER, cell.clock.now())[1]
        for w in writers
    ]
    payloads = []
    for w in writers:
        mc = MemberClient(key=w.key, party=w.party, member=w.member, origin=origin)
        payloads.append(
            [
                mc.sign(
                    KIND,
                    f"thread-{i % 997}",
                    sorted({w.party, "US"}),
                    {"text": f"http message {i}", "lang": "en"},
                )
                for i in range(per_writer)
            ]
        )
        mc.http.close()
    before = cell.ledger.size()
    cell.ledger.close()  # the server process is now the only writer
    out: dict[str, Any] = {}
    with metered(out), server(cell.data, db_url) as (_, base):

        def work(i: int) -> int:
            headers = {"Authorization": f"Bearer {tokens[i]}"}
            with httpx.Client(base_url=base, timeout=60) as client:
                for p in payloads[i]:
                    r = client.post("/log/v1/append", json=p, headers=headers)
                    if r.status_code != 201:
                        raise RuntimeError(f"append: {r.status_code} {r.text}")
            return len(payloads[i])

        wall, n = run_writers(work)
    if cell.ledger.size() != before + n:
        raise RuntimeError("the HTTP appends did not all reach the log")
    return {"entries": n, "seconds": round(wall, 3), "entries_per_s": round(n / wall), **out}


def bench_appends(backend: Backend, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"writers": WRITERS, "per_writer_per_run": args.per_writer}
    data = root / f"appends-{backend.name}"
    db_url = backend.db_url()
    cell = new_cell(data, db_url)
    expected = cell.ledger.size() + WRITERS
    try:
        writers = enroll_writers(cell)
        for mode in ("sync", "pipelined"):
            runs = []
            for r in range(args.repeat):
                subs = prepare(cell, writers, args.per_writer, f"{mode}{r}")
                m: dict[str, Any] = {}
                with metered(m):
                    if mode == "sync":
                        wall, n = append_sync(cell, subs)
                    else:
                        wall, n = append_pipelined(cell, subs, args.window)
                expected += n
                runs.append({"entries_per_s": round(n / wall), "seconds": round(wall, 3), **m})
                say(f"{backend.name}: appends {mode} run {r}: {runs[-1]}")
            out[mode] = {
                "entries_per_run": WRITERS * args.per_writer,
                **({"window": args.window} if mode == "pipelined" else {}),
                "entries_per_s_median": statistics.median(x["entries_per_s"] for x in runs),
                "entries_per_s_best": max(x["entries_per_s"] for x in runs),
                "runs": runs,
            }
        if cell.ledger.size() != expected:
            raise RuntimeError(f"log has {cell.ledger.size()} entries, expected {expected}")
        if args.http:
            n = max(args.per_writer // 4, 50)
            say(f"{backend.name}: appends over HTTP, {WRITERS}x{n}")
            out["http"] = append_http(cell, db_url, writers, n)
            say(f"  {out['http']}")
    finally:
        cell.close()
        shutil.rmtree(data, ignore_errors=True)
    return out


# ---- building the big log --------------------------------------------------------------


def build_log(cell: Cell, writers: list[Writer], total: int) -> dict[str, Any]:
    """Append statements until the log holds `total` entries, through the ledger: statements
    are built and signed in worker processes, verified and committed by the ledger in batches
    of up to 4000 (one transaction and one signed checkpoint per batch)."""
    ledger = cell.ledger
    ledger.max_batch = 4000
    need = total - ledger.size()
    chunk = 2000
    tasks = []
    seq = 0
    while seq < need:
        w = writers[(seq // chunk) % WRITERS]
        n = min(chunk, need - seq)
        tasks.append((ledger.origin, w.key.encode_private(), w.party, w.member, seq, n, "bulk"))
        seq += n
    inflight: deque[cf.Future[Any]] = deque()
    ctx = multiprocessing.get_context("spawn")  # never fork a process that holds threads
    t0 = last = time.perf_counter()
    done = 0
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        it = iter(tasks)
        pending: deque[cf.Future[list[Submission]]] = deque(
            pool.submit(sign_statements, *t) for _, t in zip(range(3), it, strict=False)
        )
        while pending:
            subs = pending.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(sign_statements, *nxt))
            for s in subs:
                inflight.append(ledger.submit_async(s))
                if len(inflight) > 3 * ledger.max_batch:
                    inflight.popleft().result()
                    done += 1
            if time.perf_counter() - last > 30:
                last = time.perf_counter()
                say(f"  built {done}/{need} ({done / (last - t0):.0f}/s)")
    while inflight:
        inflight.popleft().result()
    wall = time.perf_counter() - t0
    ledger.max_batch = 500
    return {"appended": need, "seconds": round(wall, 1), "entries_per_s": round(need / wall)}


def sqlite_big_cell(cache: Path, entries: int) -> tuple[Path, dict[str, Any]]:
    """The cached SQLite cell of `entries` entries (built through the ledger if missing)."""
    data = cache / f"sqlite-{entries}"
    marker = data / "bench-built.json"
    if marker.exists():
        info: dict[str, Any] = json.loads(marker.read_text())
        cell = reopen(data, None)
        try:
            if cell.ledger.size() == entries:
                say(f"sqlite: reusing the {entries}-entry cell in {data}")
                return data, {"how": "reused from cache", **info}
        finally:
            cell.close()
        say(f"sqlite: cached cell in {data} has another size: rebuilding")
    cell = new_cell(data, None)
    try:
        writers = enroll_writers(cell)
        say(f"sqlite: building a {entries}-entry log through the ledger in {data}")
        m: dict[str, Any] = {}
        with metered(m):
            build = build_log(cell, writers, entries)
        info = {
            **build,
            **m,
            "built": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "built_by_commit": code_version().get("commit"),
        }
        say(f"  {info}")
    finally:
        cell.close()
    marker.write_text(json.dumps(info))
    return data, {"how": "built through the SQLite ledger", **info}


def copy_to_postgres(src: Path, url: str) -> dict[str, Any]:
    """Copy every row of a SQLite cell's database into the (migrated) PostgreSQL schema."""
    t0 = time.perf_counter()
    engine = make_engine(url)
    migrate(engine)
    lite = sqlite3.connect(src)
    have = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    rows = 0
    try:
        with engine.connect() as conn:
            pg = conn.connection.driver_connection
            assert pg is not None
            with pg.cursor() as cur:
                for table in target_metadata().sorted_tables:
                    if table.name not in have:
                        continue
                    cols = ", ".join(f'"{c.name}"' for c in table.columns)
                    with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as cp:
                        for row in lite.execute(f'SELECT {cols} FROM "{table.name}"'):
                            cp.write_row(row)
                            rows += 1
                for table in target_metadata().sorted_tables:
                    if table.name in have:
                        cur.execute(f'ANALYZE "{table.name}"')
            pg.commit()
    finally:
        lite.close()
        engine.dispose()
    wall = time.perf_counter() - t0
    return {"rows": rows, "seconds": round(wall, 1)}


def big_cell(
    backend: Backend, args: argparse.Namespace, work: Path
) -> tuple[Cell, Path, str | None, dict[str, Any]]:
    """The big log on this backend: (open cell, data dir, database URL, how it was made)."""
    if backend.name == "sqlite":
        data, how = sqlite_big_cell(args.cache, args.entries)
        return reopen(data, None), data, None, how
    data = work / "pg-cell"
    db_url = backend.db_url()
    assert db_url is not None
    if args.pg_build == "ledger":
        cell = new_cell(data, db_url)
        writers = enroll_writers(cell)
        say(f"postgresql: building a {args.entries}-entry log through the ledger")
        m: dict[str, Any] = {}
        with metered(m):
            build = build_log(cell, writers, args.entries)
        how = {"how": "built through the PostgreSQL ledger", **build, **m}
        say(f"  {how}")
        return cell, data, db_url, how
    src, _ = sqlite_big_cell(args.cache, args.entries)
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(src, data, ignore=shutil.ignore_patterns("fusioncell.db*", "bench-built.json"))
    say(f"postgresql: copying the {args.entries}-entry SQLite log into a new schema")
    copied = copy_to_postgres(src / "fusioncell.db", db_url)
    how = {"how": "rows of the SQLite-built log copied in with COPY", **copied}
    say(f"  {how}")
    return reopen(data, db_url), data, db_url, how


# ---- 2. proofs ----------------------------------------------------------------------


def summary_ms(samples_ns: list[int]) -> dict[str, Any]:
    ms = sorted(x / 1e6 for x in samples_ns)
    return {
        "calls": len(ms),
        "p50_ms": round(statistics.median(ms), 4),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 4),
        "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 4),
        "mean_ms": round(statistics.fmean(ms), 4),
    }


def bench_proofs(cell: Cell, calls: int) -> dict[str, Any]:
    ledger = cell.ledger
    cp, _ = open_checkpoint(ledger.checkpoint(), ledger.genesis.log_key)
    size = cp.size
    rng = random.Random(1)
    # Correctness first: proofs checked against the signed checkpoint.
    for _ in range(20):
        i = rng.randrange(size)
        (row,) = ledger.all_entries(i, i + 1)
        path = ledger.inclusion_proof(i, size)
        if not merkle.verify_inclusion(b64d(row["leaf_hash"]), i, size, path, cp.root):
            raise RuntimeError(f"inclusion proof of {i} does not verify")
        m = rng.randrange(1, size + 1)
        path = ledger.consistency_proof(m, size)
        if not merkle.verify_consistency(m, size, ledger.root_at(m), cp.root, path):
            raise RuntimeError(f"consistency proof {m}->{size} does not verify")
    out: dict[str, Any] = {"size": size}
    for name, fn, lo in (
        ("inclusion", ledger.inclusion_proof, 0),
        ("consistency", ledger.consistency_proof, 1),
    ):
        args = [rng.randrange(lo, size) for _ in range(calls + 200)]
        samples = []
        m_: dict[str, Any] = {}
        with metered(m_):
            for k, a in enumerate(args):
                t = time.perf_counter_ns()
                fn(a, size)
                dt = time.perf_counter_ns() - t
                if k >= 200:  # the first 200 warm the pool and the caches
                    samples.append(dt)
        out[name] = {**summary_ms(samples), **m_}
    return out


# ---- 3. export and verify ---------------------------------------------------------------


def bench_verify(cell: Cell, where: Path, workers: int) -> dict[str, Any]:
    out_dir = where / "export"
    shutil.rmtree(out_dir, ignore_errors=True)
    m_export: dict[str, Any] = {}
    with metered(m_export):
        t0 = time.perf_counter()
        size = export_log(cell.ledger, out_dir, None)
        t_export = time.perf_counter() - t0
    m_verify: dict[str, Any] = {}
    with metered(m_verify):
        t0 = time.perf_counter()
        report = verify_dir(out_dir, workers=workers)
        t_verify = time.perf_counter() - t0
    if report.size != size or report.visible != size:
        raise RuntimeError(f"verify saw {report.size} entries ({report.visible} readable)")
    mb = (out_dir / "entries.jsonl").stat().st_size / 1e6
    shutil.rmtree(out_dir, ignore_errors=True)
    return {
        "entries": size,
        "export": {
            "seconds": round(t_export, 1),
            "entries_per_s": round(size / t_export),
            "mb": round(mb, 1),
            **m_export,
        },
        "verify": {
            "workers": workers,
            "seconds": round(t_verify, 1),
            "entries_per_s": round(size / t_verify),
            **m_verify,
        },
    }


# ---- 4. server memory -------------------------------------------------------------------


def rss_mb(pid: int) -> dict[str, float]:
    vals = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            vals[key] = round(int(rest.split()[0]) / 1024, 1)
    return vals


def bench_server(cell: Cell, db_url: str | None, rounds: int) -> dict[str, Any]:
    _, token = create_token(cell.engine, "US", "bench-auditor", Role.AUDITOR, cell.clock.now())
    size = cell.ledger.size()
    rng = random.Random(2)
    lat: dict[str, list[int]] = {
        k: [] for k in ("checkpoint", "entries", "inclusion", "consistency")
    }
    m: dict[str, Any] = {}
    with metered(m), server(cell.data, db_url) as (proc, base):
        time.sleep(0.5)
        start = rss_mb(proc.pid)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, timeout=60, headers=headers) as c:

            def get(kind: str, path: str, **params: int) -> httpx.Response:
                t = time.perf_counter_ns()
                r = c.get(path, params=params)
                lat[kind].append(time.perf_counter_ns() - t)
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: {r.status_code} {r.text[:200]}")
                return r

            for _ in range(rounds):
                get("checkpoint", "/log/v1/checkpoint")
                s = rng.randrange(max(size - 1000, 1))
                e = min(s + 1000, size)
                if (
                    len(get("entries", "/log/v1/entries", start=s, end=e).json()["entries"])
                    != e - s
                ):
                    raise RuntimeError("short /entries answer")
                get("inclusion", "/log/v1/proof/inclusion", index=rng.randrange(size), size=size)
                get(
                    "consistency",
                    "/log/v1/proof/consistency",
                    old=rng.randrange(1, size + 1),
                    size=size,
                )
        end = rss_mb(proc.pid)
    return {
        "rounds": rounds,
        "rss_mb_after_start": start.get("VmRSS"),
        "rss_mb_after_load": end.get("VmRSS"),
        "peak_rss_mb": end.get("VmHWM"),
        "http_p50_ms": {k: round(statistics.median(v) / 1e6, 2) for k, v in lat.items()},
        **m,
    }


# ---- driver -----------------------------------------------------------------------------


def bench_backend(backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    res: dict[str, Any] = {}
    work = args.cache / f"run-{backend.run_id}-{backend.name}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.appends:
            res["appends"] = bench_appends(backend, work, args)
        cell, _, db_url, how = big_cell(backend, args, work)
        res["big_log"] = how
        try:
            say(f"{backend.name}: proofs at {args.entries}")
            res["proofs"] = bench_proofs(cell, args.proof_calls)
            say(f"  {res['proofs']}")
            cell.ledger.close()  # no committer thread while verify starts its workers
            say(f"{backend.name}: export and verify")
            res["verify"] = bench_verify(cell, work, args.verify_workers)
            say(f"  {res['verify']}")
            say(f"{backend.name}: server memory")
            res["server"] = bench_server(cell, db_url, args.rounds)
            say(f"  {res['server']}")
        finally:
            cell.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return res


def verdicts(res: dict[str, Any]) -> dict[str, bool]:
    t = TARGETS
    out: dict[str, bool] = {}
    ap = res.get("appends", {})
    for mode in ("sync", "pipelined"):
        if mode in ap:
            out[f"append_{mode}"] = ap[mode]["entries_per_s_median"] >= t["append_entries_per_s"]
    if "http" in ap:
        out["append_http"] = ap["http"]["entries_per_s"] >= t["append_entries_per_s"]
    if "proofs" in res:
        for k in ("inclusion", "consistency"):
            out[f"{k}_proof_p95"] = res["proofs"][k]["p95_ms"] < t["proof_ms"]
    if "verify" in res:
        out["verify"] = res["verify"]["verify"]["entries_per_s"] >= t["verify_entries_per_s"]
    if "server" in res:
        out["server_rss"] = res["server"]["peak_rss_mb"] < t["server_rss_mb"]
    return out


def machine() -> dict[str, Any]:
    cpu = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0.0
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 1024 / 1024
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


REPO = Path(__file__).resolve().parents[1]


def _git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def code_version() -> dict[str, Any]:
    """Which fusioncell was measured: its path, and its git commit."""
    src = Path(fusioncell.__file__).resolve().parent
    out: dict[str, Any] = {"fusioncell": str(src)}
    pinned = os.environ.get("FUSIONCELL_BENCH_COMMIT")
    if pinned:
        out.update({"commit": pinned, "src_modified": False, "pinned": True})
        return out
    with suppress(OSError, subprocess.CalledProcessError):
        dirty = _git("status", "--porcelain", "--", ".", cwd=src)
        out.update({"commit": _git("rev-parse", "HEAD", cwd=src), "src_modified": bool(dirty)})
    return out


def pin_code(rev: str, cache: Path, argv: list[str]) -> None:
    """Measure src/ as committed at `rev` (not the working tree, which others may be editing):
    extract it under the cache once, then run this script again with it first on sys.path."""
    full = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    if os.environ.get("FUSIONCELL_BENCH_COMMIT") == full:
        return
    dest = cache / f"src-{full[:12]}"
    if not (dest / "src" / "fusioncell").is_dir():
        tmp = cache / f"src-{full[:12]}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", full, "src"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        x for x in (str(dest / "src"), env.get("PYTHONPATH", "")) if x
    )
    env["FUSIONCELL_BENCH_COMMIT"] = full
    say(f"measuring src/ of commit {full[:12]} (extracted in {dest})")
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *argv], env)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--entries", type=int, default=1_000_000, help="size of the big log")
    p.add_argument("--quick", action="store_true", help="smoke run: ~20,000 entries, fewer calls")
    p.add_argument("--per-writer", type=int, default=3000, help="appends per writer per run")
    p.add_argument("--repeat", type=int, default=3, help="runs of each append mode")
    p.add_argument("--window", type=int, default=32, help="appends in flight per pipelined writer")
    p.add_argument("--appends", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--http", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--proof-calls", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=300, help="request rounds for the RSS figure")
    p.add_argument("--verify-workers", type=int, default=2)
    p.add_argument("--cache", type=Path, default=CACHE_DEFAULT)
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="before each figure, wait up to this many seconds for other work to stop (0: no)",
    )
    p.add_argument(
        "--commit",
        help="measure src/ as committed at this git revision (e.g. HEAD), not the working tree",
    )
    p.add_argument("--pg-url", default=os.environ.get("FUSIONCELL_BENCH_PG", PG_DEFAULT))
    p.add_argument(
        "--pg-build",
        choices=("copy", "ledger"),
        default="copy",
        help="PostgreSQL's big log: COPY of the SQLite-built one, or appended through its ledger",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.entries = min(args.entries, 20_000)
        args.per_writer = min(args.per_writer, 500)
        args.repeat = min(args.repeat, 2)
        args.proof_calls = min(args.proof_calls, 500)
        args.rounds = min(args.rounds, 50)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    shown = argv if argv is not None else sys.argv[1:]
    if args.commit:
        pin_code(args.commit, args.cache, shown)
    QUIET["max_wait_s"] = args.quiet_wait
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    run_id = uuid.uuid4().hex[:8]
    result: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join(["python", "bench/ledger.py", *shown]),
        "machine": machine(),
        "code": code_version(),
        "entries": args.entries,
        "targets": TARGETS,
        "results": {},
    }
    for name in backends:
        backend = Backend(name, args.pg_url, run_id)
        try:
            res = bench_backend(backend, args)
        finally:
            if name == "postgresql":
                backend.drop_all()
        res["meets_target"] = verdicts(res)
        result["results"][name] = res
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

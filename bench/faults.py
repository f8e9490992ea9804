"""Faults under load: a crashed server, a restarted database, a full disk. Prints JSON.

    python -m bench.faults crash [--backend sqlite|postgresql|both] [--kills 20] [--seed 1]
    python -m bench.faults pg-restart [--restarts fast,immediate,down10]
    python -m bench.faults disk-full [--size-mb 24]

(from the repository root). Each run builds a fresh cell, serves it with `fusioncell
serve` in a subprocess and drives it over HTTP with the mixed workload of bench/harness.py
(messages of three visibilities, acknowledgements, incidents), every write signed once
and retried with the same bytes until it is settled. What each checks is in
docs/reliability.md; any failed check raises, and the JSON is printed only on success.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
from bench.harness import (
    PrivatePg,
    Workload,
    check_writes,
    database,
    follow,
    machine,
    serve_cell,
    until,
    verify_log,
)

# ---- crash -------------------------------------------------------------------------------


def crash(
    backend: str,
    kills: int,
    where: Path,
    *,
    seed: int = 1,
    delay: tuple[float, float] = (0.5, 4.0),
) -> dict[str, Any]:
    with database(backend, where) as url:
        return {"backend": backend, **crash_on(url, where, kills, seed=seed, delay=delay)}


def crash_on(
    url: str,
    where: Path,
    kills: int,
    *,
    seed: int = 1,
    delay: tuple[float, float] = (0.5, 4.0),
) -> dict[str, Any]:
    """SIGKILL the server `kills` times at random moments (`delay` seconds of work apart)
    of a mixed workload (three writers, as fast as they are answered), start it again
    each time, and check the log: every acknowledged write there once, as signed; the
    whole log verifies; no 5xx but the 503 an outage may cause."""
    rng = random.Random(seed)
    data = where / "cell"
    server, writers, _ = serve_cell(data, url, where / "server.log")
    load = Workload(server.url, writers, seed=seed)
    load.start()
    settled_at_kill = []
    try:
        for _ in range(kills):
            time.sleep(rng.uniform(*delay))
            server.kill()
            settled_at_kill.append(load.settled)
            time.sleep(rng.uniform(0, 0.5))
            server.start(writers[0].token)
        time.sleep(rng.uniform(*delay))
        load.stop()
    finally:
        server.stop()
    if load.errors:
        raise AssertionError(f"unexpected answers: {load.errors[:5]}")
    figures = check_writes(url, load.writes)
    figures.update(verify_log(data, url, where / "export"))
    starts = server.starts
    return {
        "kills": kills,
        "kill_delay_s": list(delay),
        **figures,
        "answers": dict(load.answers),
        "writes_settled_at_each_kill": settled_at_kill,
        "server_start_s": {
            "median": round(sorted(starts)[len(starts) // 2], 2),
            "max": round(max(starts), 2),
        },
    }


# ---- PostgreSQL restarted under load --------------------------------------------------------


class Reads:
    """A reader in a thread of its own, asking for a list that is read from the
    projections, all the time: reads too must fail cleanly while the database is away."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url, self.token = base_url, token
        self.answers: Counter[str] = Counter()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reads", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _run(self) -> None:
        h = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, headers=h, timeout=30) as c:
            while not self._stop.is_set():
                try:
                    r = c.get("/api/v1/cell/threads")
                    self.answers[str(r.status_code)] += 1
                    if r.status_code not in (200, 503):
                        self.errors.append(f"{r.status_code} {r.text[:300]}")
                except httpx.HTTPError as exc:
                    self.answers[type(exc).__name__] += 1
                self._stop.wait(0.05)


def pg_restart(
    where: Path, restarts: list[str], *, load_s: float = 4.0, rate: float = 8.0
) -> dict[str, Any]:
    """A private PostgreSQL cluster restarted (pg_ctl restart -m MODE, each in turn; or
    "downN": stopped for N seconds) under load: writers, a reader and live-stream clients.
    The server must answer 503 while the database is away, never 500, and go on by
    itself: appends acknowledged again, streams complete, nothing acknowledged lost, the
    log verifying."""
    pg = PrivatePg()
    try:
        pg.start()
        with database("postgresql", where, pg.url) as url:
            data = where / "cell"
            server, writers, readers = serve_cell(data, url, where / "server.log", readers=6)
            streams = follow(server, readers, writers[0].token)
            load = Workload(server.url, writers, rate=rate, retry_for=120)
            load.start()
            reads = Reads(server.url, writers[1].token)
            reads.start()
            try:
                outages = [_restart(pg, load, mode, load_s) for mode in restarts]
                time.sleep(load_s)
                load.stop()
                reads.stop()
                figures = streams.check(url)
            finally:
                try:
                    streams.stop()
                finally:
                    server.stop()  # never left running, whatever failed
            if load.errors or reads.errors:
                raise AssertionError(f"unexpected answers: {(load.errors + reads.errors)[:5]}")
            figures.update(check_writes(url, load.writes))
            figures.update(verify_log(data, url, where / "export"))
    finally:
        pg.close()
    return {
        "database": "postgresql (a private cluster)",
        "restarts": outages,
        **figures,
        "append_answers": dict(load.answers),
        "read_answers": dict(reads.answers),
    }


def _restart(pg: PrivatePg, load: Workload, mode: str, load_s: float) -> dict[str, Any]:
    time.sleep(load_s)
    before = len(load.acked())
    t0 = time.monotonic()
    if mode.startswith("down"):  # "down10": stopped for 10 s, then started
        pg.stop("fast")
        time.sleep(float(mode.removeprefix("down")))
        pg.start()
    else:
        pg.restart(mode)
    down = time.monotonic() - t0
    # Recovered by itself: new writes are acknowledged again.
    until("appends to resume", lambda: len(load.acked()) > before + 3, 120)
    return {
        "mode": mode,
        "database_away_s": round(down, 2),
        "appends_acknowledged_again_after_s": round(time.monotonic() - t0, 2),
    }


# ---- full disk ---------------------------------------------------------------------------


def mount_tmpfs(where: Path, size_mb: int) -> bool:
    """A small tmpfs of our own, if this process may mount (root with CAP_SYS_ADMIN)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def can_mount_tmpfs(where: Path) -> bool:
    if not mount_tmpfs(where, 1):
        return False
    umount(where)
    return True


def umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(where: Path) -> Path:
    """Fill the file system of `where` to its last byte; returns the filler file."""
    filler = where / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 4096, 1):  # unbuffered: each write fails or lands whole
            with suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


class FileSizeLimit:
    """Where no file system can be mounted: the kernel refuses the server's writes past
    `limit` bytes of any file (RLIMIT_FSIZE, set on the running process with prlimit;
    Python ignores SIGXFSZ, so a write fails with EFBIG instead of killing it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def fill(self) -> None:
        resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))

    def free(self) -> None:
        inf = resource.RLIM_INFINITY
        resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (inf, inf))


def disk_full(where: Path, backend: str = "sqlite", mode: str = "tmpfs") -> dict[str, Any]:
    """The disk under the database fills up while writers run. Writes must be refused
    cleanly (507, or 503 where the kernel reports an I/O error rather than ENOSPC), never
    a 500; reads go on; once space is freed writes are acknowledged again, nothing
    acknowledged is lost and the log verifies.

    sqlite/tmpfs: the data directory on a tmpfs of 24 MB, filled with a file.
    sqlite/rlimit: RLIMIT_FSIZE 0 on the server process (no mount needed).
    postgresql/tmpfs: a private cluster whose tables live in a tablespace on a tmpfs
    (its write-ahead log stays on the ordinary disk)."""
    if backend == "postgresql":
        return _disk_full_pg(where, mode)
    mnt = where / "mnt"
    if mode == "tmpfs" and not mount_tmpfs(mnt, 24):
        raise RuntimeError("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        base = mnt if mode == "tmpfs" else where
        with database("sqlite", base) as url:
            return _disk_full_on(url, base / "cell", where, mode, mnt)
    finally:
        if mode == "tmpfs":
            umount(mnt)


def _disk_full_pg(where: Path, mode: str) -> dict[str, Any]:
    """mode "tmpfs": the cell's tables in a tablespace on a tmpfs; "cluster": the whole
    cluster on one (its write-ahead log too)."""
    from sqlalchemy import create_engine, text

    mnt = Path(tempfile.mkdtemp(prefix="fc-pgdisk-"))
    if not mount_tmpfs(mnt, 48 if mode == "cluster" else 24):
        raise RuntimeError("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    shutil.chown(mnt, "postgres", "postgres")
    pg = PrivatePg(mnt if mode == "cluster" else None)
    try:
        pg.start()
        options = ""
        if mode != "cluster":
            tiny = mnt / "tiny"
            tiny.mkdir()
            shutil.chown(tiny, "postgres", "postgres")
            admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f"CREATE TABLESPACE tiny LOCATION '{tiny}'"))
            admin.dispose()
            options = "-cdefault_tablespace=tiny"
        with database("postgresql", where, pg.url, options=options) as url:
            how = "whole cluster on a tmpfs" if mode == "cluster" else "tablespace on a tmpfs"
            return _disk_full_on(url, where / "cell", where, how, mnt, pg)
    finally:
        pg.close()
        umount(mnt)
        with suppress(OSError):
            mnt.rmdir()


def _disk_full_on(
    url: str, data: Path, where: Path, mode: str, mnt: Path, pg: PrivatePg | None = None
) -> dict[str, Any]:
    server, writers, _ = serve_cell(data, url, where / "server.log")
    limit = FileSizeLimit(server.pid)
    load = Workload(server.url, writers, rate=10, retry_for=600)
    load.start()
    h = {"Authorization": f"Bearer {writers[1].token}"}
    try:
        until("some writes", lambda: len(load.acked()) > 20, 60)
        filler: Path | None = None
        if mode == "rlimit":
            limit.fill()
        else:
            filler = fill(mnt)
        full_at = len(load.acked())
        before = load.answers.copy()
        refusals = ("503", "507")
        until("writes to be refused", lambda: sum(load.answers[s] for s in refusals) >= 10, 120)
        paths = ["/api/v1/cell/threads", "/log/v1/checkpoint", "/api/v1/deesc/incidents"]
        reads = Counter(
            str(httpx.get(f"{server.url}{p}", headers=h, timeout=30).status_code) for p in paths * 5
        )
        upload = httpx.post(
            f"{server.url}/api/v1/cell/attachments",
            headers=h,
            files={"file": ("note.txt", b"full disk " * 20_000, "text/plain")},
            timeout=30,
        )
        while_full = load.answers - before
        acked_while_full = len(load.acked()) - full_at
        if filler is None:
            limit.free()
        else:
            filler.unlink()
        # A PostgreSQL that could not write its WAL stopped (PANIC): the operator starts it.
        pg_restarted = pg is not None and not pg.running()
        if pg is not None and pg_restarted:
            pg.start()
        until("writes to resume", lambda: len(load.acked()) > full_at + 20, 120)
        load.stop()
    finally:
        server.stop()
    if load.errors:
        raise AssertionError(f"unexpected answers: {load.errors[:5]}")
    if set(reads) != {"200"}:
        raise AssertionError(f"reads on a full disk: {dict(reads)}")
    if upload.status_code not in (503, 507):
        raise AssertionError(f"an upload on a full disk: {upload.status_code} {upload.text}")
    figures = check_writes(url, load.writes)
    figures.update(verify_log(data, url, where / "export"))
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "full_by": mode,
        "answers_while_full": dict(while_full),
        "answers_in_all": dict(load.answers),
        "acknowledged_while_full": acked_while_full,
        "postgresql_had_stopped_and_was_started_again": pg_restarted if pg else None,
        "reads_while_full": dict(reads),
        "upload_while_full": {"status": upload.status_code, **upload.json()},
        **figures,
    }


# ---- main --------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="run", required=True)
    c = sub.add_parser("crash")
    c.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    c.add_argument("--kills", type=int, default=20)
    c.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("pg-restart")
    r.add_argument(
        "--restarts",
        default="fast,immediate,down10",
        help="pg_ctl restart -m MODE for each; downN: stop, wait N s, start",
    )
    d = sub.add_parser("disk-full")
    d.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    d.add_argument(
        "--mode",
        choices=["tmpfs", "rlimit", "cluster"],
        default="tmpfs",
        help="sqlite: its data directory on a tmpfs, or RLIMIT_FSIZE; postgresql: a "
        "tablespace on a tmpfs (tmpfs), or the whole cluster on one (cluster)",
    )
    args = ap.parse_args()
    out: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="fc-faults-") as tmp:
        if args.run == "crash":
            backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
            for b in backends:
                where = Path(tmp) / b
                where.mkdir()
                out[f"crash_{b}"] = crash(b, args.kills, where, seed=args.seed)
        elif args.run == "pg-restart":
            out["pg_restart"] = pg_restart(Path(tmp), args.restarts.split(","))
        else:
            out["disk_full"] = disk_full(Path(tmp), args.backend, args.mode)
    out["machine"]["loadavg_at_end"] = list(os.getloadavg())
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

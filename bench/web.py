"""Web benchmark: home page and API list endpoints with 100,000 log entries; demo start-up.

    python bench/web.py [--entries 100000] [--backend sqlite|postgresql|both] [--requests 300]

Prints JSON. Builds the cell once per backend (signed entries through the real ledger,
with a mix of visibilities), serves it with `fusioncell serve` in a separate process, and
times requests from this process over loopback, one at a time, as a person's browser does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from fusioncell.authz import Role
from fusioncell.cell import init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.clock import rfc3339
from fusioncell.identity.accounts import do_add_member, set_password
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.ledger.canonical import b64e
from fusioncell.ledger.entry import Author, build_statement, parse_submission
from fusioncell.settings import Settings

PG = os.environ.get("FUSIONCELL_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench password 1"
VIS = [["IL", "SY", "US"], ["SY", "US"], ["IL", "US"], ["IL", "SY", "US"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(data: Path, url: str | None, entries: int) -> dict[str, str]:
    settings = Settings(data=data, database_url=url, require_totp=False)
    cell = init_cell(paris_charter_text(), settings)
    writers = []
    for party in ("IL", "SY", "US"):
        member = f"{party.lower()}-liaison"
        do_add_member(cell, party, member, Role.LIAISON_OFFICER)
        set_password(cell.engine, member, PASSWORD)
        key = new_member_key(party, member)
        register_member_key(cell, party, member, key.verifier.encode())
        writers.append((party, member, key))
    token = create_token(cell.engine, "SY", "sy-liaison", Role.LIAISON_OFFICER, cell.clock.now())[1]
    cell.ledger.max_batch = 1000
    pending: list[Future[Any]] = []
    now = rfc3339(cell.clock.now())
    for i in range(entries - cell.ledger.size()):
        party, member, key = writers[i % 3]
        vis = [p for p in VIS[i % 4] if True]
        if party not in vis:
            vis = sorted({*vis, party})
        raw, body = build_statement(
            origin=cell.ledger.origin,
            kind="note.posted",
            subject=f"thread-{i % 50}",
            author=Author(party, member, key.key_id_hex),
            visibility=vis,
            body={"text": f"message {i} — رسالة — הודעה", "lang": "en"},
            client_time=now,
        )
        pending.append(
            cell.ledger.submit_async(parse_submission(b64e(raw), b64e(key.sign(raw)), body))
        )
        if len(pending) >= 4000:
            for f in pending:
                f.result()
            pending.clear()
    for f in pending:
        f.result()
    size = cell.ledger.size()
    cell.close()
    return {"token": token, "size": str(size)}


def serve(data: Path, url: str | None, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FUSIONCELL_SECURE_COOKIES": "false", "FUSIONCELL_REQUIRE_TOTP": "false"}
    if url:
        env["FUSIONCELL_DATABASE_URL"] = url
    proc = subprocess.Popen(
        [sys.executable, "-m", "fusioncell.cli", "serve", "--data", str(data), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_up(port)
    return proc


def wait_up(port: int, limit: float = 60) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        try:
            httpx.get(f"http://127.0.0.1:{port}/signin", timeout=1)
            return time.perf_counter() - start
        except httpx.HTTPError:
            time.sleep(0.02)
    raise RuntimeError("server did not start")


def timings(client: httpx.Client, path: str, n: int, **kw: Any) -> dict[str, float]:
    client.get(path, **kw)  # warm
    ms = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(path, **kw)
        ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
    ms.sort()
    return {
        "p50_ms": round(ms[len(ms) // 2], 2),
        "p95_ms": round(ms[int(len(ms) * 0.95)], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def run_backend(backend: str, entries: int, n: int, cache: Path) -> dict[str, Any]:
    url = None
    schema = None
    if backend == "postgresql":
        schema = "bench_web_" + uuid.uuid4().hex[:8]
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG}?options=-csearch_path%3D{schema}"
    data = cache / f"{backend}-{entries}-{uuid.uuid4().hex[:6]}"
    try:
        t = time.perf_counter()
        info = build(data, url, entries)
        build_s = time.perf_counter() - t
        port = free_port()
        proc = serve(data, url, port)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=30) as c:
                c.get("/signin")
                pre = c.cookies["fc_pre"]
                r = c.post(
                    "/signin",
                    data={"member": "sy-liaison", "password": PASSWORD, "csrf": pre, "next": "/"},
                )
                assert r.status_code == 303, r.text
                bearer = {"Authorization": f"Bearer {info['token']}"}
                size = int(info["size"])
                result = {
                    "entries": size,
                    "build_s": round(build_s, 1),
                    "home_page": timings(c, "/", n),
                    "api_entries": timings(c, "/api/v1/entries?limit=50", n, headers=bearer),
                    "api_members": timings(c, "/api/v1/members", n, headers=bearer),
                    "log_entries_1000": timings(
                        c,
                        f"/log/v1/entries?start={size - 1000}&end={size}",
                        max(n // 5, 20),
                        headers=bearer,
                    ),
                }
        finally:
            proc.terminate()
            proc.wait(10)
        return result
    finally:
        if schema:
            admin = create_engine(PG, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def demo_startup(cache: Path) -> dict[str, float]:
    """`fusioncell demo` on an existing demo cell: seconds until its first page answers."""
    data = cache / f"demo-{uuid.uuid4().hex[:6]}"
    subprocess.run(
        [sys.executable, "-m", "fusioncell.cli", "demo", "--data", str(data), "--no-serve"],
        check=True,
        capture_output=True,
    )
    out = []
    for _ in range(3):
        port = free_port()
        t = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fusioncell.cli",
                "demo",
                "--data",
                str(data),
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_up(port)
            out.append(time.perf_counter() - t)
        finally:
            proc.terminate()
            proc.wait(10)
    return {"startup_s_median": round(statistics.median(out), 2), "runs": len(out)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="fusioncell-bench-web-"))
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "targets": {"p95_ms": 50, "demo_startup_s": 3},
    }
    for b in backends:
        report[b] = run_backend(b, args.entries, args.requests, cache)
    report["demo"] = demo_startup(cache)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Messaging benchmark: the real server, driven over HTTP and WebSocket on 127.0.0.1.

    python bench/cell.py                  # latency, throughput (c1, c8, c32), fanout
    python bench/cell.py --quick          # a 10-second fanout only (under 40 s in all)
    python bench/cell.py --soak 600       # memory over time: one steady sender + listeners

Prints one JSON object (progress goes to stderr). The cell is a fresh Paris cell with the
demo's twelve role accounts (each with a registered device key and an API token), served
by `fusioncell serve` (SQLite, one process) as a child process.

- `latency`: 1 sender, 1 listener, 300 messages, one started every 20 ms.
- `throughput`: `c1`, `c8`, `c32`: 1, 8 and 32 concurrent senders, each posting its next
  message as soon as the previous one is acknowledged, for 20 s; no listeners.
- `fanout`: 50 listeners spread over the members of IL, SY and US, one sender at 20
  messages/s for 20 s.

Every message is built and signed when it is sent (RFC 8785 statement, Ed25519 with
PyNaCl, a fresh salt), in a thread visible to the three parties, and POSTed to
/log/v1/append on a keep-alive connection. `send_ms` is from the start of building the
statement to the 201; `delivery_ms` from that same start to the moment a listener has the
entry's frame from /api/v1/stream (each listener counts: 50 listeners, 50 samples). Send
start times travel inside the message text, and CLOCK_MONOTONIC is shared by the
processes of one machine, so a listener computes delivery itself.

The client side is kept cheap because it shares the machine's cores with the server:
senders are coroutines on one event loop with a minimal HTTP/1.1 client (one request line,
four headers, Content-Length), and listeners run in their own process(es) with the
`websockets` client. Each figure also reports the CPU seconds the server, the benchmark's
own processes and everything else used meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import nacl.signing

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.clock import SystemClock, rfc3339
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.ledger.canonical import b64d, b64e
from fusioncell.ledger.entry import Author, build_statement
from fusioncell.ledger.keys import SigningKey
from ledger import CLK_TCK, QUIET, code_version, machine, new_cell, rss_mb, say, server, wait_quiet

OPENED = "cell.thread.opened"
POSTED = "cell.message.posted"
PARTIES = ["IL", "SY", "US"]
# Members who write (the auditor and the admins only read here); listeners are everyone.
SENDERS = [
    "sy-liaison",
    "il-liaison",
    "us-supervisor",
    "sy-duty",
    "il-duty",
    "us-duty",
    "sy-head",
    "il-head",
]
URGENCIES = ["ROUTINE", "PRIORITY", "IMMEDIATE", "FLASH"]
TEXTS = [
    ("ar", "نطلب توضيحاً بشأن تحركات قرب خط الفصل صباح اليوم."),
    ("he", "התקבל. נמסור הבהרה בתוך 48 שעות, כנדרש."),
    ("en", "Patrol schedule for sector 4 confirmed; observers in place at 06:00."),
]
TARGETS = {
    "fanout_delivery_p99_ms": 25,
    "latency_delivery_p99_ms": 10,
    "c32_msgs_per_s": 1000,
}
# Matrix Synapse 1.163.2 (Python, SQLite) on this kind of machine, for the docs' comparison.
SYNAPSE = {
    "latency_delivery_p50_ms": 25,
    "latency_delivery_p99_ms": 32,
    "msgs_per_s": {"c1": 35, "c8": 60, "c32": 72},
    "fanout_delivery_p99_ms": 2037,
}


# ---- figures ---------------------------------------------------------------------------


def summary(ms: list[float]) -> dict[str, float] | None:
    """Nearest-rank percentiles of a list of milliseconds."""
    if not ms:
        return None
    s = sorted(ms)

    def q(p: float) -> float:
        return round(s[min(len(s) - 1, max(0, math.ceil(p * len(s)) - 1))], 2)

    return {"p50": q(0.50), "p90": q(0.90), "p99": q(0.99), "max": round(s[-1], 2)}


def _proc_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a live process, its threads included."""
    try:
        rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def _machine_busy_s() -> float:
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (f[0] + f[1] + f[2] + f[5] + f[6]) / CLK_TCK


@dataclass
class CpuMeter:
    """CPU seconds of the server, of this benchmark's processes, and of everyone else."""

    server: int
    listeners: Listeners | None = None

    @contextmanager
    def measure(self, out: dict[str, Any]) -> Iterator[None]:
        def now(helpers: float) -> tuple[float, float, float]:
            own = os.times()
            return _proc_cpu_s(self.server), own.user + own.system + helpers, _machine_busy_s()

        group = self.listeners
        s0, b0, m0 = now(group.cpu_now() if group else 0.0)
        yield
        # The listener processes have exited by now: they reported their own CPU time.
        s1, b1, m1 = now(group.cpu_end if group else 0.0)
        out["cpu_s"] = {
            "server": round(s1 - s0, 1),
            "bench": round(b1 - b0, 1),
            "other": round(max(m1 - m0 - (s1 - s0) - (b1 - b0), 0.0), 1),
        }


# ---- a signing sender on a keep-alive connection ------------------------------------------


class HttpError(Exception):
    pass


class Sender:
    """One member's device: builds and signs each statement, POSTs it on its own connection.

    A minimal HTTP/1.1 client on purpose: httpx costs the client about a millisecond of CPU
    per request, which on two shared cores would be taken from the server being measured.
    """

    def __init__(self, port: int, account: dict[str, Any], key: SigningKey, origin: str) -> None:
        self.port = port
        self.origin = origin
        self.author = Author(account["party"], account["member"], key.key_id_hex)
        # PyNaCl signs in about half the time of `cryptography` here (both RFC 8032).
        seed = b64d(key.encode_private().split("+", 3)[3], length=32)
        self.nacl = nacl.signing.SigningKey(seed)
        self.head = (
            f"POST /log/v1/append HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {account['token']}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()
        self.clock = SystemClock()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with suppress(OSError):
                await self.writer.wait_closed()

    def sign(self, kind: str, subject: str, body: dict[str, Any]) -> bytes:
        raw, salted = build_statement(
            origin=self.origin,
            kind=kind,
            subject=subject,
            author=self.author,
            visibility=PARTIES,
            body=body,
            client_time=rfc3339(self.clock.now()),
        )
        sig = self.nacl.sign(raw).signature
        return json.dumps({"statement": b64e(raw), "sig": b64e(sig), "body": salted}).encode()

    async def post(self, payload: bytes) -> dict[str, Any]:
        if self.reader is None or self.reader.at_eof():
            # uvicorn closes a keep-alive connection after 5 idle seconds.
            await self.close()
            await self.connect()
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(b"%s%d\r\n\r\n%s" % (self.head, len(payload), payload))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        data = await self.reader.readexactly(length)
        if status != 201:
            raise HttpError(f"{status}: {data[:300].decode(errors='replace')}")
        answer: dict[str, Any] = json.loads(data)
        return answer

    async def open_thread(self, thread: str) -> int:
        """Open a thread of the three parties; returns the index of its entry."""
        body = {
            "thread": thread,
            "workstream": "deescalation",
            "topic": {"text": f"Benchmark {thread}", "lang": "en"},
            "parties": PARTIES,
        }
        return int((await self.post(self.sign(OPENED, f"t/{thread}", body)))["index"])

    async def message(self, thread: str, seq: int) -> float:
        """Send one message; returns its send time in ms. The text carries the start time."""
        t0 = time.monotonic_ns()
        lang, text = TEXTS[seq % len(TEXTS)]
        body = {
            "thread": thread,
            "urgency": URGENCIES[seq % len(URGENCIES)],
            "text": f"{text} [{seq} {t0}]",
            "lang": lang,
        }
        await self.post(self.sign(POSTED, f"t/{thread}", body))
        return (time.monotonic_ns() - t0) / 1e6


async def close_all(clients: list[Sender]) -> None:
    await asyncio.gather(*(c.close() for c in clients))


# ---- listeners, in their own process -------------------------------------------------------


def _listener_main(
    port: int, tokens: list[str], thread: str, opened: int, conn: Connection
) -> None:
    try:
        result = asyncio.run(_listen(port, tokens, thread, opened, conn))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which decides
        result = {"error": f"{type(exc).__name__}: {exc}"}
    conn.send(result)
    conn.close()


async def _listen(
    port: int, tokens: list[str], thread: str, opened: int, conn: Connection
) -> dict[str, Any]:
    """One stream per token (fusioncell.live.client.astream), from entry `opened` (the
    thread's opening: its arrival tells that the stream is live), recording the delivery
    time of every message of the thread until told how many to expect."""
    from fusioncell.live.client import astream

    base = f"http://127.0.0.1:{port}"
    subject = f"t/{thread}"
    got: list[list[float]] = [[] for _ in tokens]
    seen: list[set[int]] = [set() for _ in tokens]
    ended = 0
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    expected = -1

    def on_control() -> None:
        nonlocal expected
        expected = int(conn.recv())
        stop.set()

    async def one(i: int, token: str, ready: asyncio.Event) -> None:
        nonlocal ended
        async for entry in astream(base, token, after=opened - 1, reconnect=False):
            now = time.monotonic_ns()
            if entry["index"] == opened:
                ready.set()
            elif entry.get("kind") == POSTED and entry.get("subject") == subject:
                # "... [seq t0]": the send start, in CLOCK_MONOTONIC nanoseconds.
                seq, t0 = entry["body"]["text"].rsplit("[", 1)[1][:-1].split(" ")
                if int(seq) not in seen[i]:
                    seen[i].add(int(seq))
                    got[i].append((now - int(t0)) / 1e6)
        ended += 1  # the server closed the stream (a cutoff, or it stopped)

    readies = [asyncio.Event() for _ in tokens]
    tasks = [
        asyncio.create_task(one(i, t, r))
        for i, (t, r) in enumerate(zip(tokens, readies, strict=True))
    ]
    all_ready = asyncio.create_task(asyncio.wait([asyncio.create_task(r.wait()) for r in readies]))
    await asyncio.wait([all_ready, *tasks], timeout=30, return_when=asyncio.FIRST_COMPLETED)
    for t in tasks:
        if t.done() and t.exception() is not None:
            raise t.exception()  # type: ignore[misc]
    if not all(r.is_set() for r in readies):
        raise RuntimeError("the streams did not all start within 30 s")
    loop.add_reader(conn.fileno(), on_control)
    conn.send("ready")
    await stop.wait()
    # Give the last frames up to 5 s to arrive.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(len(s) < expected for s in seen):
        await asyncio.sleep(0.02)
    loop.remove_reader(conn.fileno())
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    missing = sum(max(expected - len(s), 0) for s in seen)
    return {
        "delivery": got,
        "missing": missing,
        "streams_ended": ended,
        "cpu_s": time.process_time(),
    }


class Listeners:
    """Listener processes: started, awaited until every stream is ready, told to stop."""

    def __init__(self, port: int, tokens: list[str], thread: str, opened: int, procs: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        self.error: str | None = None
        self.cpu_end = 0.0  # CPU seconds of the listener processes, as they reported at exit
        procs = max(1, min(procs, len(tokens)))
        for k in range(procs):
            mine, theirs = ctx.Pipe()
            p = ctx.Process(
                target=_listener_main,
                args=(port, tokens[k::procs], thread, opened, theirs),
                daemon=True,
            )
            p.start()
            theirs.close()
            self.conns.append(mine)
            self.procs.append(p)

    def cpu_now(self) -> float:
        return sum(_proc_cpu_s(p.pid) for p in self.procs if p.pid is not None)

    def wait_ready(self) -> bool:
        for c in self.conns:
            if not c.poll(60):
                self.error = "listeners did not start in 60 s"
                return False
            msg = c.recv()
            if msg != "ready":
                self.error = str(msg.get("error", msg))
                return False
        return True

    def finish(self, expected: int) -> dict[str, Any]:
        delivery: list[float] = []
        missing = ended = 0
        for c in self.conns:
            with suppress(OSError):
                c.send(str(expected))
        for c, p in zip(self.conns, self.procs, strict=True):
            res = c.recv() if c.poll(30) else {"error": "listener process did not answer"}
            p.join(10)
            if "error" in res:
                self.error = self.error or res["error"]
                continue
            for d in res["delivery"]:
                delivery.extend(d)
            missing += res["missing"]
            ended += res["streams_ended"]
            self.cpu_end += res["cpu_s"]
        return {"delivery": delivery, "missing": missing, "streams_ended": ended}


# ---- scenarios ---------------------------------------------------------------------------


@dataclass
class Bench:
    data: Path
    port: int
    server_pid: int
    origin: str
    accounts: dict[str, dict[str, Any]]
    listener_procs: int
    runs: int = 0

    def key(self, member: str) -> SigningKey:
        return SigningKey.load(self.data / "bench-keys" / f"{member}.key")

    def sender(self, member: str) -> Sender:
        return Sender(self.port, self.accounts[member], self.key(member), self.origin)

    def listener_tokens(self, n: int) -> list[str]:
        """n tokens over every member of the three parties, round-robin (IL, SY, US, ...)."""
        by_party = {p: [a for a in self.accounts.values() if a["party"] == p] for p in PARTIES}
        out = []
        for i in range(n):
            members = by_party[PARTIES[i % 3]]
            out.append(members[(i // 3) % len(members)]["token"])
        return out

    def new_thread(self, name: str) -> str:
        self.runs += 1
        return f"bench-{name}{self.runs}-{os.getpid()}"

    def meter(self, listeners: Listeners | None = None) -> CpuMeter:
        return CpuMeter(self.server_pid, listeners)

    def paced(self, name: str, listeners: int, rate: float, count: int) -> dict[str, Any]:
        """One sender at `rate` messages/s, `count` messages, `listeners` streams."""
        out: dict[str, Any] = {"listeners": listeners, "rate_per_s": rate}
        if QUIET["max_wait_s"] > 0:
            out.update(wait_quiet())
        thread = self.new_thread(name)
        sender = self.sender(SENDERS[0])

        async def open_it() -> int:
            await sender.connect()
            return await sender.open_thread(thread)

        loop = asyncio.new_event_loop()
        opened = loop.run_until_complete(open_it())
        tokens = self.listener_tokens(listeners)
        group = Listeners(self.port, tokens, thread, opened, self.listener_procs)
        send_ms: list[float] = []
        errors: list[str] = []
        ok = group.wait_ready()

        async def run() -> float:
            interval = 1 / rate
            start = time.monotonic()
            for seq in range(count):
                delay = start + seq * interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                try:
                    send_ms.append(await sender.message(thread, seq))
                except HttpError as exc:
                    errors.append(str(exc))
            return time.monotonic() - start

        with self.meter(group).measure(out):
            wall = loop.run_until_complete(run())
            got = group.finish(len(send_ms))
        loop.run_until_complete(sender.close())
        loop.close()
        out.update(
            {
                "sent": len(send_ms),
                "seconds": round(wall, 1),
                "msgs_per_s": round(len(send_ms) / wall, 1),
                "send_ms": summary(send_ms),
                "delivery_ms": summary(got["delivery"]),
                "deliveries": len(got["delivery"]),
                "missing_deliveries": got["missing"],
                "streams_ended_early": got["streams_ended"],
            }
        )
        if errors:
            out["errors"] = {"count": len(errors), "first": errors[0]}
        if not ok or group.error:
            out["listener_error"] = group.error
        return out

    def throughput(self, senders: int, seconds: float) -> dict[str, Any]:
        """`senders` concurrent senders, each sending as soon as its last is acknowledged."""
        thread = self.new_thread(f"c{senders}")
        clients = [self.sender(SENDERS[i % len(SENDERS)]) for i in range(senders)]
        send_ms: list[float] = []
        errors: list[str] = []
        out: dict[str, Any] = {"senders": senders}
        if QUIET["max_wait_s"] > 0:
            out.update(wait_quiet())

        async def setup() -> None:
            await asyncio.gather(*(c.connect() for c in clients))
            await clients[0].open_thread(thread)

        async def one(c: Sender, k: int, stop_at: float) -> None:
            seq = k
            while time.monotonic() < stop_at:
                try:
                    send_ms.append(await c.message(thread, seq))
                except HttpError as exc:
                    errors.append(str(exc))
                seq += senders

        async def run() -> float:
            start = time.monotonic()
            await asyncio.gather(*(one(c, k, start + seconds) for k, c in enumerate(clients)))
            return time.monotonic() - start

        loop = asyncio.new_event_loop()
        loop.run_until_complete(setup())
        with self.meter().measure(out):
            wall = loop.run_until_complete(run())
        loop.run_until_complete(close_all(clients))
        loop.close()
        out.update(
            {
                "sent": len(send_ms),
                "seconds": round(wall, 1),
                "msgs_per_s": round(len(send_ms) / wall, 1),
                "send_ms": summary(send_ms),
                "server_cpu_ms_per_msg": round(out["cpu_s"]["server"] * 1000 / len(send_ms), 2)
                if send_ms
                else None,
            }
        )
        if errors:
            out["errors"] = {"count": len(errors), "first": errors[0]}
        return out

    def rss(self) -> float:
        return rss_mb(self.server_pid).get("VmRSS", 0.0)

    def soak(self, seconds: float, rate: float, listeners: int) -> dict[str, Any]:
        """One sender at a steady rate with `listeners` streams; the server's RSS every 10 s."""
        samples: list[tuple[int, float]] = [(0, self.rss())]
        t0 = time.monotonic()
        done = threading.Event()

        def sample() -> None:
            while not done.wait(10 - (time.monotonic() - t0) % 10):
                samples.append((round(time.monotonic() - t0), self.rss()))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out = self.paced("soak", listeners, rate, int(seconds * rate))
        done.set()
        sampler.join()
        samples.append((round(time.monotonic() - t0), self.rss()))
        out["rss_mb_samples"] = samples
        return out


def enroll(cell: Cell) -> dict[str, dict[str, Any]]:
    """The demo's twelve role accounts (fusioncell.demo.ACCOUNTS), each with a device key
    registered in the log (key file kept in the cell) and an API token; as bench/web.py."""
    from fusioncell.demo import ACCOUNTS

    out = {}
    for party, member, role in ACCOUNTS:
        do_add_member(cell, party, member, role)
        key = new_member_key(party, member, "bench")
        register_member_key(cell, party, member, key.verifier.encode())
        key.save(cell.data / "bench-keys" / f"{member}.key")
        _, token = create_token(cell.engine, party, member, role, cell.clock.now(), "bench")
        out[member] = {"party": party, "member": member, "role": Role(role).value, "token": token}
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="only a 10-second fanout (< 40 s)")
    p.add_argument("--soak", type=float, metavar="SECONDS", help="memory run of this length")
    p.add_argument("--soak-rate", type=float, default=20.0, help="messages/s in --soak")
    p.add_argument("--soak-listeners", type=int, default=10, help="streams in --soak")
    p.add_argument("--seconds", type=float, default=20.0, help="length of each throughput run")
    p.add_argument("--fanout-seconds", type=float, default=20.0)
    p.add_argument("--listener-procs", type=int, default=1, help="processes for the listeners")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="before each figure, wait up to this long for other work on the machine to stop"
        " (bench/ledger.py's wait_quiet; --quick: 0)",
    )
    p.add_argument(
        "--only",
        choices=("latency", "throughput", "fanout"),
        action="append",
        help="run only these parts (repeatable)",
    )
    p.add_argument("--keep", action="store_true", help="keep the cell's directory")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    QUIET["max_wait_s"] = 0.0 if args.quick else args.quiet_wait
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="fusioncell-bench-cell-"))
    report: dict[str, Any] = {"machine": machine(), "code": code_version()}
    try:
        data = root / "cell"
        say(f"creating a cell with the demo's accounts in {data}")
        cell = new_cell(data, None)
        accounts = enroll(cell)
        origin = cell.ledger.origin
        cell.close()
        with server(data, None) as (proc, base):
            bench = Bench(
                data,
                int(base.rsplit(":", 1)[1]),
                proc.pid,
                origin,
                accounts,
                args.listener_procs,
            )
            rss_start = bench.rss()
            if args.soak:
                say(f"soak: {args.soak:.0f} s at {args.soak_rate}/s, {args.soak_listeners} streams")
                report["soak"] = bench.soak(args.soak, args.soak_rate, args.soak_listeners)
            else:
                parts = args.only or (
                    ["fanout"] if args.quick else ["latency", "throughput", "fanout"]
                )
                if "latency" in parts:
                    say("latency: 1 sender, 1 listener, 300 messages 20 ms apart")
                    report["latency"] = bench.paced("lat", 1, 50.0, 300)
                if "throughput" in parts:
                    report["throughput"] = {}
                    for n in (1, 8, 32):
                        say(f"throughput: {n} senders for {args.seconds:.0f} s")
                        report["throughput"][f"c{n}"] = bench.throughput(n, args.seconds)
                if "fanout" in parts:
                    secs = 10.0 if args.quick else args.fanout_seconds
                    say(f"fanout: 50 listeners, 1 sender at 20/s for {secs:.0f} s")
                    report["fanout"] = bench.paced("fan", 50, 20.0, int(secs * 20))
            report["server_rss_mb"] = {"start": rss_start, "end": bench.rss()}
            report["server_rss_mb"]["peak"] = rss_mb(proc.pid).get("VmHWM", 0.0)
        report["targets"] = TARGETS
        report["synapse_reference"] = SYNAPSE
        report["wall_s"] = round(time.monotonic() - started, 1)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

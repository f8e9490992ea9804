"""Soak: many live-stream clients for minutes while writers append; nothing lost, memory flat.

    python -m bench.soak [--backend postgresql|sqlite] [--clients 200] [--minutes 10]
                         [--rate 3] [--stream-cache 500]

(from the repository root). Prints JSON. Serves a fresh cell with `fusioncell serve` in a
subprocess; `--clients` WebSocket clients (fusioncell.live.client.astream, in this process,
spread over the three parties, each with a token of its own) follow the stream from the
same log index, while three writers append a steady mix (`--rate` writes a second in all:
messages in threads of three visibilities, acknowledgements, incidents). At the end every
client must have received every entry its party may read after that index, exactly once
and in order, read back from the log itself. The server's resident memory (VmRSS) is read
every 10 s; the report gives first, last, peak and the least-squares slope in MB/min over
the whole run and over its last two thirds (after the caches filled).

`--stream-cache` sets the server's cache of encoded entries (default 4096 in production):
smaller than the run's entries, so the cache reaches its bound early and what the slope
measures afterwards is whatever else could grow.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import Workload, check_writes, database, follow, machine, serve_cell

SAMPLE_S = 10.0


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB), in MB per minute."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    den = sum((t - mx) ** 2 for t, _ in points)
    return 0.0 if den == 0 else sum((t - mx) * (v - my) for t, v in points) / den * 60


def soak(
    backend: str, clients: int, minutes: float, rate: float, stream_cache: int, where: Path
) -> dict[str, Any]:
    with database(backend, where) as url:
        server, writers, readers = serve_cell(
            where / "cell",
            url,
            where / "server.log",
            readers=clients,
            FUSIONCELL_STREAM_CACHE=str(stream_cache),
        )
        crowd = follow(server, readers, writers[0].token)
        time.sleep(5)  # let them connect
        load = Workload(server.url, writers, rate=rate / len(writers), seed=7)
        rss: list[tuple[float, float]] = []
        loads: list[float] = []
        t0 = time.monotonic()
        load.start()
        try:
            while time.monotonic() - t0 < minutes * 60:
                rss.append((time.monotonic() - t0, server.rss_mb()))
                loads.append(os.getloadavg()[0])
                time.sleep(SAMPLE_S)
            rss.append((time.monotonic() - t0, server.rss_mb()))
            load.stop()
            streams = crowd.check(url)
        finally:
            try:
                crowd.stop()
            finally:
                server.stop()  # never left running, whatever failed
        if load.errors:
            raise AssertionError(f"writers: {load.errors[:5]}")
        writes = check_writes(url, load.writes)
    third = [p for p in rss if p[0] >= rss[-1][0] / 3]
    return {
        "backend": backend,
        "clients": clients,
        "minutes": minutes,
        "stream_cache": stream_cache,
        "writes_per_s": round(len(load.writes) / (rss[-1][0] or 1), 2),
        "writes": writes,
        **streams,
        "append_answers": dict(load.answers),
        "server_rss_mb": {
            "first": round(rss[0][1], 1),
            "last": round(rss[-1][1], 1),
            "peak": round(max(v for _, v in rss), 1),
            "slope_mb_per_min": round(slope(rss), 3),
            "slope_last_two_thirds_mb_per_min": round(slope(third), 3),
            "samples": [round(v, 1) for _, v in rss],
        },
        "loadavg_1min_during": {
            "min": round(min(loads), 2),
            "mean": round(sum(loads) / len(loads), 2),
            "max": round(max(loads), 2),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--rate", type=float, default=3.0, help="writes per second, all writers")
    ap.add_argument("--stream-cache", type=int, default=500)
    args = ap.parse_args()
    out: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="fc-soak-") as tmp:
        out["soak"] = soak(
            args.backend, args.clients, args.minutes, args.rate, args.stream_cache, Path(tmp)
        )
    out["machine"]["loadavg_at_end"] = list(os.getloadavg())
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

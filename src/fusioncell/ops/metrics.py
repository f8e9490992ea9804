"""Prometheus metrics (docs/operations.md).

Two sorts:

- **Events**, counted where they happen, in this process: HTTP requests, log appends, live
  deliveries. Module-level metrics, imported by the code that observes them (this module
  imports nothing of fusioncell, so the ledger may use it).
- **State**, read from the database when scraped (`CellCollector`): open deadlines, the
  notification outbox's backlog, the log's size. Always fresh, the same whichever process
  answers, and nothing to keep in step.

With PROMETHEUS_MULTIPROC_DIR set in the environment before the server starts, the
events of every server process sharing that directory are summed in each scrape
(prometheus-client's multiprocess mode); without it, each process reports its own.
"""

from __future__ import annotations

import collections
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE_LATEST", "CellCollector", "kind_label", "observe_append", "registry"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Seconds. Requests and appends answer in milliseconds; a group commit under load or a
# slow page takes longer, and anything past 10 s is an incident whatever its exact value.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "fusioncell_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=None,
)
HTTP_SECONDS = Histogram(
    "fusioncell_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method, route template "
    "and status class (2xx, 3xx, 4xx, 5xx).",
    ["method", "route", "status_class"],
    buckets=LATENCY_BUCKETS,
    registry=None,
)
LOG_APPENDS = Counter(
    "fusioncell_log_appends",
    "Entries committed to the log by this process, by the first part of their kind "
    "(cell, intel, system, ...).",
    ["kind"],
    registry=None,
)
LOG_APPEND_SECONDS = Histogram(
    "fusioncell_log_append_duration_seconds",
    "Time from an append's submission to its commit (queue, group commit, fsync): what a "
    "writer waits before its acknowledgement.",
    buckets=LATENCY_BUCKETS,
    registry=None,
)
LIVE_LAG_SECONDS = Histogram(
    "fusioncell_live_fanout_lag_seconds",
    "Time from an entry's append (its log time) to its delivery to a connected live "
    "subscriber, per subscriber and entry (backfill after a reconnection not counted).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=None,
)

LIVE_SUBSCRIBERS = Gauge(
    "fusioncell_live_subscribers",
    "Live stream (WebSocket) subscribers connected now.",
    registry=None,
    multiprocess_mode="livesum",
)
LIVE_CUTOFFS = Counter(
    "fusioncell_live_cutoffs",
    "Live subscribers cut off for being too slow (they resume from their last index).",
    registry=None,
)

EVENT_METRICS: tuple[Collector, ...] = (
    HTTP_REQUESTS,
    HTTP_SECONDS,
    LOG_APPENDS,
    LOG_APPEND_SECONDS,
    LIVE_LAG_SECONDS,
    LIVE_SUBSCRIBERS,
    LIVE_CUTOFFS,
)

# Kinds are chosen by whoever writes (any kind the write policy allows), so the label is
# the kind's first part, of a bounded set: past MAX_KINDS distinct ones, "other".
MAX_KINDS = 48
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_kinds: set[str] = set()
_kinds_lock = threading.Lock()


def kind_label(kind: str) -> str:
    """`cell.message` -> `cell`; an odd or one-too-many prefix -> `other`."""
    prefix = kind.split(".", 1)[0]
    if prefix in _kinds:
        return prefix
    if not _KIND.fullmatch(prefix):
        return "other"
    with _kinds_lock:
        if len(_kinds) >= MAX_KINDS:
            return "other"
        _kinds.add(prefix)
    return prefix


def observe_append(kinds: Iterable[str], waited: Iterable[float]) -> None:
    """After a commit: the kinds of its entries, and how long each writer waited."""
    for label, n in collections.Counter(kind_label(k) for k in kinds).items():
        LOG_APPENDS.labels(label).inc(n)
    for s in waited:
        LOG_APPEND_SECONDS.observe(s)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def process_stopped() -> None:
    """In multiprocess mode, drop this process's live gauges (its subscribers are gone)."""
    if multiprocess_dir() is not None:
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class CellCollector(Collector):
    """The cell's state, read from the database at each scrape.

    `read()` returns the rows; a database that does not answer gives
    `fusioncell_database_up 0` and no other state (the scrape itself still succeeds, so
    the events and that 0 reach Prometheus)."""

    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        self._read = read

    def describe(self) -> list[Metric]:
        return []  # collect() reads the database: never at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "fusioncell_database_up", "1 if the database answered this scrape's queries."
        )
        try:
            state = self._read()
        except Exception:  # noqa: BLE001 - any failure means "the database did not answer"
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        size = GaugeMetricFamily("fusioncell_log_size", "Entries in the log.")
        size.add_metric([], state["log_size"])
        yield size
        open_ = GaugeMetricFamily(
            "fusioncell_deadlines_open",
            "Open clocks (acknowledgements owed, line checks, RFIs, ...), by the party that "
            "owes and the clock's kind.",
            labels=["party", "kind"],
        )
        for (party, kind), n in sorted(state["deadlines_open"].items()):
            open_.add_metric([party, kind], n)
        yield open_
        overdue = GaugeMetricFamily(
            "fusioncell_deadlines_overdue",
            "Open clocks past their due time (breached, not yet met), by the party that owes.",
            labels=["party"],
        )
        for party, n in sorted(state["deadlines_overdue"].items()):
            overdue.add_metric([party], n)
        yield overdue
        outbox = GaugeMetricFamily(
            "fusioncell_notify_outbox",
            "Notification deliveries by e-mail and webhook waiting (pending: to be sent or "
            "retried) or given up (failed: see `fusioncell notify retry`), by channel.",
            labels=["channel", "state"],
        )
        for (channel, st), n in sorted(state["outbox"].items()):
            outbox.add_metric([channel, st], n)
        yield outbox
        behind = GaugeMetricFamily(
            "fusioncell_notify_behind_entries",
            "Log entries the notifier has not yet turned into outbox rows.",
        )
        behind.add_metric([], state["notify_behind"])
        yield behind


def registry(cell_collector: Collector) -> CollectorRegistry:
    """What GET /metrics renders: this process's events (or, in multiprocess mode, every
    process's, from the shared directory), the process's own figures, and the cell's
    state."""
    reg = CollectorRegistry(auto_describe=False)
    path = multiprocess_dir()
    if path is not None:
        MultiProcessCollector(reg, path=path)  # type: ignore[no-untyped-call]
    else:
        for c in (*EVENT_METRICS, PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            reg.register(c)
    reg.register(cell_collector)
    return reg


def render(reg: CollectorRegistry) -> bytes:
    return generate_latest(reg)

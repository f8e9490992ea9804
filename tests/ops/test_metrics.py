"""GET /metrics: what real appends, requests, clocks, deliveries and live subscribers
show, who may read it, and several processes summed in multiprocess mode."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from fusioncell.app import create_app
from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.clock import FrozenClock
from fusioncell.messaging.client import CellClient
from fusioncell.notify import outbox, prefs
from fusioncell.settings import Settings
from tests.live.conftest import WAIT_S, Live, append, recv
from tests.ops.conftest import ALL, METRICS_TOKEN, Samples, parse, scrape, total, value
from tests.web.conftest import serving

APPENDS = "fusioncell_log_appends_total"
APPEND_S = "fusioncell_log_append_duration_seconds_count"
REQUESTS = "fusioncell_http_requests_total"
LAG = "fusioncell_live_fanout_lag_seconds_count"
KINDS = ("cell", "member")


def test_metrics_after_real_appends_requests_clocks_and_deliveries(
    cell: Cell, http: TestClient, member: Any
) -> None:
    before = scrape(http)
    sy: CellClient = member("SY", "sy-liaison")
    il: CellClient = member("IL", "il-liaison")
    tid, _ = sy.open_thread("deescalation", "Movement near the line", "en", ALL)
    flash = sy.send(tid, "Confirm receipt of the convoy's route", "en", "FLASH")
    sy.send(tid, "Routine follow-up", "en")
    il.thread(tid)  # a read by another member: GET with the thread's id in the path
    # IL owes an acknowledgement of the FLASH message within 5 minutes; 10 have passed.
    assert isinstance(cell.clock, FrozenClock)
    cell.clock.advance(timedelta(minutes=10))
    # IL gave an address: the notifier (here, one step of it) queues a mail for it.
    who = Principal("IL", "il-liaison", Role.LIAISON_OFFICER)
    prefs.do_set_settings(cell, who, email="il@example.org")
    outbox.enqueue(cell)

    after = scrape(http)
    # Appends: counted by the kind's first part, each with how long its writer waited.
    grew = {k: value(after, APPENDS, kind=k) - value(before, APPENDS, kind=k) for k in KINDS}
    assert grew["cell"] >= 3  # the thread and two messages (and the process's other cells')
    assert grew["member"] >= 2  # the two members' device keys
    assert value(after, APPEND_S) - value(before, APPEND_S) >= 5
    assert value(after, "fusioncell_log_size") == cell.ledger.size()
    # Requests: by route template; no series names a thread, whatever was asked for.
    routes = {dict(ls)["route"] for (n, ls) in after if n == REQUESTS}
    assert "/api/v1/cell/threads/{thread}" in routes
    assert not any(tid in r for r in routes)
    got = total(after, REQUESTS, route="/api/v1/cell/threads/{thread}", status="200")
    assert got - total(before, REQUESTS, route="/api/v1/cell/threads/{thread}", status="200") >= 1
    assert total(after, REQUESTS, route="/log/v1/append", method="POST", status="201") >= 3
    assert total(after, "fusioncell_http_request_duration_seconds_count", status_class="2xx") > 0
    # The cell's state, read at the scrape: IL's open clock, overdue; the mail waiting.
    assert value(after, "fusioncell_database_up") == 1
    assert value(after, "fusioncell_deadlines_open", party="IL", kind="cell.ack") == 1
    assert value(after, "fusioncell_deadlines_overdue", party="IL") == 1
    assert value(after, "fusioncell_notify_outbox", channel="email", state="pending") == 1
    assert value(after, "fusioncell_notify_behind_entries") == 0
    # Acknowledged: the clock closes, and the next scrape says so at once.
    il.acknowledge(tid, flash.index)
    now = scrape(http)
    assert value(now, "fusioncell_deadlines_open", party="IL", kind="cell.ack") == 0
    assert value(now, "fusioncell_deadlines_overdue", party="IL") == 0
    assert value(now, "fusioncell_notify_behind_entries") == 1  # the ack, not yet read


# What differs between two 404 pages of different paths: the form's fresh CSRF token, and
# the path to come back to after a change of language.
_PER_REQUEST = re.compile(r'(data-csrf|name="csrf" value|name="next" value)="[^"]*"')


def _page(r: httpx.Response) -> str:
    return _PER_REQUEST.sub(r"\1=...", r.text)


def _get(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers=headers, timeout=WAIT_S)


def test_only_the_operator_reads_metrics(cell: Cell) -> None:
    """Loopback (and not relayed by a proxy) or the token; anyone else gets the very answer
    of a path that does not exist."""
    with serving(create_app(cell)) as url:
        missing = _get(f"{url}/no-such-page")
        assert missing.status_code == 404

        def hidden(r: httpx.Response) -> bool:
            same_type = r.headers["content-type"] == missing.headers["content-type"]
            return r.status_code == 404 and same_type and _page(r) == _page(missing)

        assert _get(f"{url}/metrics").status_code == 200  # from this machine
        # Through a proxy on this machine (it says whom it relays): not the operator.
        for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
            assert hidden(_get(f"{url}/metrics", **{header: "203.0.113.9"})), header
        relayed = {"X-Forwarded-For": "203.0.113.9"}
        assert hidden(_get(f"{url}/metrics", Authorization="Bearer wrong-token", **relayed))
        assert hidden(_get(f"{url}/metrics", Authorization=METRICS_TOKEN, **relayed))  # no scheme
        ok = _get(f"{url}/metrics", Authorization=f"Bearer {METRICS_TOKEN}", **relayed)
        assert ok.status_code == 200
        parse(ok.text)
        # The loopback rule can be turned off: then only the token opens it.
        cell.settings.metrics_loopback = False
        assert hidden(_get(f"{url}/metrics"))
        assert _get(f"{url}/metrics", Authorization=f"Bearer {METRICS_TOKEN}").status_code == 200
        # No token configured (and no loopback): nobody, whatever they send.
        cell.settings.metrics_token = None
        assert hidden(_get(f"{url}/metrics", Authorization=f"Bearer {METRICS_TOKEN}"))
        cell.settings.metrics_loopback = True
    # A test client's address is no IP address at all: not the operator either.
    with TestClient(create_app(cell)) as c:
        assert c.get("/metrics").status_code == 404


def test_fanout_lag_is_observed_when_a_subscriber_receives_an_entry(live: Live) -> None:
    def lag_count() -> float:
        return value(parse(_get(f"{live.url}/metrics").text), LAG)

    before = lag_count()
    with live.connect(live.token("SY", "sy-reader")) as ws:
        assert recv(ws)["type"] == "ready"
        (done,) = append(live.cell, [("SY", "US")])
        frame = recv(ws)
        assert frame["index"] == done.index
        # Observed just after the send, on the server: look until it shows.
        limit = time.monotonic() + WAIT_S
        while lag_count() < before + 1 and time.monotonic() < limit:
            time.sleep(0.05)
        connected = parse(_get(f"{live.url}/metrics").text)
        assert value(connected, "fusioncell_live_subscribers") >= 1
    samples: Samples = parse(_get(f"{live.url}/metrics").text)
    assert value(samples, LAG) >= before + 1
    assert value(samples, "fusioncell_live_fanout_lag_seconds_sum") >= 0


_WRITER = """
import sys
from pathlib import Path
from fusioncell.cell import open_cell
from fusioncell.settings import Settings

data, kind, n, show = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "show"
cell = open_cell(Settings.for_data(Path(data)))
for i in range(n):
    cell.ledger.append_system(kind, f"mp-{i}", ["IL", "SY", "US"], {"i": i})
if show:  # the app only here: the first process needs no server to count its appends
    from fastapi.testclient import TestClient
    from fusioncell.app import create_app

    with TestClient(create_app(cell)) as c:
        r = c.get("/metrics", headers={"Authorization": "Bearer " + sys.argv[5]})
        print(r.text)
cell.close()
"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_multiprocess_mode_sums_every_process(tmp_path: Path, settings: Settings) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, a scrape of one process shows every process's
    events (the cell's state is read from the database either way)."""
    init_cell(paris_charter_text(), settings).close()
    shared = tmp_path / "prom"
    shared.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
        "FUSIONCELL_DATABASE_URL": str(settings.database_url),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }

    def run(kind: str, n: int, *, show: bool) -> str:
        args = [str(settings.data), kind, str(n), "show" if show else "-", METRICS_TOKEN]
        done = subprocess.run(
            [sys.executable, "-c", _WRITER, *args],
            env={**env, "FUSIONCELL_METRICS_TOKEN": METRICS_TOKEN},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("opsmp.first", 3, show=False)
    samples = parse(run("opsmp.second", 2, show=True))
    assert value(samples, APPENDS, kind="opsmp") == 5  # 3 by the first process, 2 here
    assert value(samples, "fusioncell_log_size") == 6

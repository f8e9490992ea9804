"""The supervisor's board: open clocks, breaches and per-party figures, as each reader may
see them. The clock is frozen and moved by the tests; the engine is run by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fusioncell.authz import Role
from fusioncell.board.queries import percentile
from fusioncell.cell import Cell
from fusioncell.clock import FrozenClock
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.messaging.client import CellClient
from tests.messaging.conftest import MakeClient

PARTIES = ["IL", "SY", "US"]


def board(c: CellClient, period: str = "7d", status: int = 200) -> Any:
    r = c.http.get("/api/v1/board", params={"period": period}, headers=c.headers)
    assert r.status_code == status, r.text
    return r.json()


def advance(cell: Cell, **kw: float) -> None:
    assert isinstance(cell.clock, FrozenClock)
    cell.clock.advance(timedelta(**kw))


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 90) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([float(i) for i in range(1, 11)], 90) == 9.0
    assert percentile([float(i) for i in range(1, 11)], 50) == 5.0
    assert percentile([3.0, 1.0, 2.0], 100) == 3.0


def test_figures_clocks_and_breaches(cell: Cell, member: MakeClient) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    tid, _ = sy.open_thread("deescalation", "Movement near the line", "en", PARTIES)
    m1 = sy.send(tid, "first", "en", "FLASH").index
    advance(cell, minutes=2)
    il.acknowledge(tid, m1)  # 2 minutes
    m2 = sy.send(tid, "second", "en", "IMMEDIATE").index
    advance(cell, minutes=40)
    il.acknowledge(tid, m2)  # 40 minutes: late (30)
    m3 = sy.send(tid, "third", "en", "FLASH").index  # never acknowledged: a breach
    m4 = sy.send(tid, "fourth", "en", "PRIORITY").index  # open, 4 hours to go
    advance(cell, minutes=6)
    DeadlineEngine(cell, schedules=[]).run_due()

    b = board(us)
    assert b["open"] == {"total": 2, "overdue": 1, "by_kind": {"cell.ack": 2}}
    # m3 passed and is still open (its FLASH repeats are to come): first, overdue.
    assert [(c["refs"]["message"], c["party"]) for c in b["clocks"]] == [(m3, "IL"), (m4, "IL")]
    first, second = b["clocks"]
    assert first["seconds_left"] == -60 and first["step"] == 2  # missed, one step taken
    assert second["seconds_left"] == 4 * 3600 - 6 * 60 and second["step"] == 0
    figures = {p["party"]: p for p in b["parties"]}
    il_f = figures["IL"]
    assert (il_f["addressed"], il_f["acknowledged"], il_f["late"], il_f["owed"]) == (4, 2, 1, 2)
    assert il_f["median_s"] == 21 * 60  # of 2 and 40 minutes
    assert il_f["p90_s"] == 40 * 60
    assert il_f["breaches"] == 1
    assert figures["SY"]["addressed"] == 0 and figures["SY"]["median_s"] is None

    il.acknowledge(tid, m3)
    b = board(us)
    assert b["open"]["total"] == 1 and b["clocks"][0]["refs"]["message"] == m4
    assert {p["party"]: p["late"] for p in b["parties"]}["IL"] == 2
    # A week later the period holds none of it; the open clock is still listed.
    advance(cell, days=8)
    b = board(us)
    assert {p["party"]: p["addressed"] for p in b["parties"]} == {"IL": 0, "SY": 0, "US": 0}
    assert board(us, "30d")["parties"][0]["addressed"] == 4


def test_each_reader_sees_its_side(cell: Cell, member: MakeClient) -> None:
    sy = member("SY", "sy-liaison")
    il_head = member("IL", "il-head", Role.HEAD_OF_DELEGATION)
    sy_head = member("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    both, _ = sy.open_thread("deescalation", "All three", "en", PARTIES)
    sy_us, _ = sy.open_thread("general", "Only the supervisor", "en", ["SY", "US"])
    sy.send(both, "to both", "en", "FLASH")
    us.send(sy_us, "to SY only", "en", "FLASH")
    assert board(us)["open"]["total"] == 2  # IL for the first, SY for the second
    assert board(sy_head)["open"]["total"] == 2
    il_view = board(il_head)
    assert il_view["open"]["total"] == 1 and il_view["clocks"][0]["party"] == "IL"
    figures = {p["party"]: p["addressed"] for p in il_view["parties"]}
    assert figures == {"IL": 1, "SY": 0, "US": 0}  # IL does not learn of the SY-US thread
    assert {p["party"]: p["addressed"] for p in board(us)["parties"]} == {
        "IL": 1,
        "SY": 1,
        "US": 0,
    }


@pytest.mark.parametrize("role", [Role.LIAISON_OFFICER, Role.AUDITOR, Role.PARTY_ADMIN])
def test_the_board_is_for_supervisors_heads_and_duty_officers(
    cell: Cell, member: MakeClient, role: Role
) -> None:
    board(member("IL", "il-someone", role), status=403)


def test_bad_period_is_refused(cell: Cell, member: MakeClient) -> None:
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    r = board(us, "1y", status=400)
    assert "unknown period" in r["detail"]
    assert "at most 8" in board(us, "x" * 50, status=400)["detail"]

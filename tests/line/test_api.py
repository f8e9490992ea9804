"""GET /api/v1/line and /api/v1/line/checks/{id}: the same line for every party, what the
caller may do, and bad input answered with a clear 4xx."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.line.client import LineClient
from tests.line.conftest import PARTIES, Person, clock


def test_overview(
    cell: Cell, http: TestClient, person: Person, on_duty: dict[str, LineClient]
) -> None:
    sup = person("US", "us-supervisor", Role.SUPERVISOR)
    il_head = person("IL", "il-head", Role.HEAD_OF_DELEGATION)
    sy_liaison = person("SY", "sy-liaison", Role.LIAISON_OFFICER)
    a, _ = sup.request_check()
    on_duty["IL"].answer(a)
    clock(cell).advance(timedelta(minutes=10))
    DeadlineEngine(cell, schedules=[]).run_due()  # SY and US missed
    b, _ = sup.request_check(["SY"])
    view = sy_liaison.overview()
    assert view["state"] == "resumed" and view["history"] == []
    assert view["on_duty"] == {"IL": "il-duty", "SY": "sy-duty", "US": "us-duty"}
    assert [c["check"] for c in view["checks"]["SY"]] == [b, a]  # newest first
    assert [c["state"] for c in view["checks"]["SY"]] == ["open", "missed"]
    assert [c["state"] for c in view["checks"]["IL"]] == ["answered"]
    assert view["totals"] == {
        "IL": {"answered": 1},
        "SY": {"missed": 1, "open": 1},
        "US": {"missed": 1},
    }
    assert [(c["check"], c["party"], c["overdue"]) for c in view["open"]] == [(b, "SY", False)]
    assert view["schedule"] == {
        "times": ["09:00", "17:00"],
        "timezone": "Asia/Damascus",
        "answer_within": 600,
        "next": "2026-11-26T14:00:00.000Z",
    }
    assert view["you"] == {
        "on_duty": False,
        "answer": [],
        "may_request": False,
        "may_suspend": False,
        "may_resume": False,
    }
    assert on_duty["SY"].overview()["you"]["answer"] == [b]
    assert on_duty["SY"].overview()["you"]["on_duty"] is True
    assert sup.overview()["you"] == {
        "on_duty": False,
        "answer": [],
        "may_request": True,
        "may_suspend": True,
        "may_resume": False,
    }
    il_head.suspend("Technical failure on our side", "en")
    assert il_head.overview()["you"]["may_resume"] is True
    assert person("SY", "sy-head", Role.HEAD_OF_DELEGATION).overview()["you"]["may_resume"] is False
    assert sup.overview()["you"]["may_resume"] is True
    # The same line for everyone.
    views = [c.overview() for c in (sup, il_head, sy_liaison)]
    for v in views:
        v.pop("you")
    assert views[0] == views[1] == views[2]
    assert views[0]["since"]["member"] == "il-head"
    # One check.
    one = sup.check(a)
    assert one["check"] == a and [r["party"] for r in one["parties"]] == PARTIES
    assert sup.overview(limit=1)["checks"]["SY"] == [view["checks"]["SY"][0]]


def test_bad_requests(http: TestClient, person: Person) -> None:
    reader = person("IL", "il-liaison")
    h = reader.headers
    assert http.get("/api/v1/line").status_code == 401
    for q in ("limit=0", "limit=201", "limit=x"):
        r = http.get(f"/api/v1/line?{q}", headers=h)
        assert 400 <= r.status_code < 500, q
    assert http.get("/api/v1/line/checks/0123456789abcdef", headers=h).status_code == 404
    r = http.get("/api/v1/line/checks/NOT-A-CHECK", headers=h)
    assert 400 <= r.status_code < 500
    r = http.get("/api/v1/line/checks/" + "a" * 40, headers=h)
    assert 400 <= r.status_code < 500

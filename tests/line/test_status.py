"""The line's status: suspended with a reason and resumed, by whom, no-ops and bad input
refused, the history visible to every party, and which entries were written while the
line was suspended (for the cell to mark its messages)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.db import reading
from fusioncell.line import kinds
from fusioncell.line.queries import Suspension, line_state, suspended_at, suspended_between
from tests.line.conftest import PARTIES, Person, clock

REASON_AR = "نعلّق الخط احتجاجاً على الخرق الأخير."


def refused(status: int, match: str = "") -> Any:
    return pytest.raises(ClientError, match=f"^{status}: .*{match}")


def state(cell: Cell) -> tuple[str, int | None]:
    with reading(cell.engine) as c:
        return line_state(c)


def test_suspend_and_resume(cell: Cell, person: Person) -> None:
    sy_head = person("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    il_head = person("IL", "il-head", Role.HEAD_OF_DELEGATION)
    sup = person("US", "us-supervisor", Role.SUPERVISOR)
    auditor = person("US", "us-auditor", Role.AUDITOR)
    assert state(cell) == ("resumed", None)
    assert sup.overview()["state"] == "resumed" and sup.overview()["since"] is None
    with refused(409, "not suspended"):
        sup.resume()
    s = sy_head.suspend(REASON_AR, "ar")
    assert state(cell) == ("suspended", s.index)
    with refused(409, "suspended already"):
        il_head.suspend("We suspend too", "en")
    # Another party may not lift a suspension it did not declare; the supervisor may.
    with refused(403, "resumed by the party that suspended it \\(SY\\) or by the supervisor"):
        il_head.resume("We resume", "en")
    clock(cell).advance(timedelta(hours=2))
    r = sup.resume("Resumed after consultations with both parties", "en")
    assert state(cell) == ("resumed", r.index)
    # Everyone reads the same history, newest first.
    view = auditor.overview()
    assert view["state"] == "resumed"
    assert view["since"]["index"] == r.index
    assert [
        (h["state"], h["party"], h["member"], h["text"], h["lang"]) for h in view["history"]
    ] == [
        ("resumed", "US", "us-supervisor", "Resumed after consultations with both parties", "en"),
        ("suspended", "SY", "sy-head", REASON_AR, "ar"),
    ]
    # The suspending party resumes its own suspension, with no reason needed.
    il_head.suspend("השעיה זמנית", "he")
    il_head.resume()
    assert state(cell)[0] == "resumed"


def test_who_may_declare(cell: Cell, person: Person) -> None:
    admin = person("IL", "il-admin", Role.PARTY_ADMIN)
    for party, member, role in [
        ("IL", "il-liaison", Role.LIAISON_OFFICER),
        ("SY", "sy-duty", Role.DUTY_OFFICER),
        ("SY", "sy-super", Role.SUPERVISOR),  # the role, in a party that does not supervise
    ]:
        with refused(403, "head of delegation, a party administrator or the supervisor"):
            person(party, member, role).suspend("No", "en")
    with refused(403, "may not log:append"):  # an auditor writes nothing at all
        person("US", "us-auditor", Role.AUDITOR).suspend("No", "en")
    admin.suspend("Maintenance of our end", "en")
    assert state(cell)[0] == "suspended"


def test_bad_input(cell: Cell, person: Person) -> None:
    head = person("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    size = cell.ledger.size()
    for body, why in [
        ({"state": "suspended"}, "a reason is required"),
        ({"state": "suspended", "text": "  ", "lang": "en"}, "reason is empty"),
        ({"state": "suspended", "text": "x", "lang": "fr"}, "language must be one of"),
        ({"state": "suspended", "text": "x"}, "text with its lang"),
        ({"state": "suspended", "text": "abc\u202edef", "lang": "en"}, "U\\+202E"),
        ({"state": "suspended", "text": "a\x07b", "lang": "en"}, "control character U\\+0007"),
        ({"state": "suspended", "text": "x" * 2001, "lang": "en"}, "longer than 2000"),
        ({"state": "paused", "text": "x", "lang": "en"}, "state must be one of"),
        ({"state": "suspended", "text": "x", "lang": "en", "why": 1}, "unknown fields why"),
        ({"text": "x", "lang": "en"}, "body lacks state"),
    ]:
        with refused(400, why):
            head.post(kinds.DECLARED, kinds.STATUS_SUBJECT, PARTIES, body)
    ok = {"state": "suspended", "text": "x", "lang": "en"}
    with refused(400, "subject must be line"):
        head.post(kinds.DECLARED, "line/x", PARTIES, ok)
    with refused(400, "visible to every party"):
        head.post(kinds.DECLARED, kinds.STATUS_SUBJECT, ["SY", "US"], ok)
    assert cell.ledger.size() == size
    assert state(cell) == ("resumed", None)


def test_entries_written_while_suspended(cell: Cell, person: Person) -> None:
    head = person("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    sup = person("US", "us-supervisor", Role.SUPERVISOR)

    def entry() -> int:  # any entry: here, a check sent on demand
        return sup.request_check(["IL"])[1].index

    m0 = entry()
    s1 = head.suspend("First suspension", "en").index
    m1 = entry()
    r1 = sup.resume().index
    m2 = entry()
    s2 = head.suspend("Second suspension", "en").index
    m3 = entry()
    with reading(cell.engine) as c:
        assert [suspended_at(c, i) for i in (m0, s1, r1, m2, s2)] == [None] * 5
        got = suspended_at(c, m1)
        assert got == Suspension(s1, got.time, "SY", "sy-head", "First suspension", "en")  # type: ignore[union-attr]
        assert suspended_at(c, m3).idx == s2  # type: ignore[union-attr]
        periods = suspended_between(c, 0, m3)
        assert [(p.idx, p.resumed_idx) for p in periods] == [(s1, r1), (s2, None)]
        assert periods[0].resumed_at is not None
        assert suspended_between(c, 0, s1) == []
        assert suspended_between(c, r1, s2) == []
        assert [p.idx for p in suspended_between(c, m1, m1)] == [s1]
        assert [p.idx for p in suspended_between(c, m2, m3)] == [s2]
    first, second = periods
    assert [first.covers(i) for i in (m0, s1, m1, r1, m2)] == [False, False, True, False, False]
    assert second.covers(m3) and second.covers(10**6) and not second.covers(s2)

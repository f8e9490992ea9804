"""The demo's rosters: every party has a holder now and a next one, in its own time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.duty import queries
from fusioncell.duty.demo import TURNS, seed_rosters, week
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.ledger.keys import SigningKey


def test_week_follows_local_shift_changes_across_a_clock_change() -> None:
    # New York leaves daylight saving time on 2026-11-01 at 02:00
    now = datetime(2026, 10, 31, 13, 37, 21, tzinfo=UTC)
    shifts = week(now, ZoneInfo("America/New_York"))
    assert shifts[0][0] == datetime(2026, 10, 31, 13, 37, tzinfo=UTC)
    local = [(a.astimezone(ZoneInfo("America/New_York")).hour) for a, _ in shifts[1:]]
    assert set(local) == {0, 8, 16}
    assert all(b > a for a, b in shifts)
    assert all(shifts[i][1] == shifts[i + 1][0] for i in range(len(shifts) - 1))
    hours = {(b - a).total_seconds() / 3600 for a, b in shifts[1:]}
    assert hours == {8, 9}  # the night the clocks go back is an hour longer


def test_seeded_rosters(cell: Cell) -> None:
    keys: dict[str, SigningKey] = {}
    for party, members in TURNS.items():
        for m in [f"{party.lower()}-admin", *members]:
            role = Role.PARTY_ADMIN if m.endswith("admin") else Role.DUTY_OFFICER
            do_add_member(cell, party, m, role)
            keys[m] = new_member_key(party, m)
            register_member_key(cell, party, m, keys[m].verifier.encode())
    seed_rosters(cell, keys)
    board = queries.board(cell)
    for p in board["parties"]:
        assert p["now"]["member"] == TURNS[p["party"]][0]
        assert p["next"]["member"] == TURNS[p["party"]][1]
    us = Principal("US", "us-supervisor", Role.SUPERVISOR)
    notes = {n["party"]: n for party in TURNS for n in queries.handovers(cell, us, party)}
    assert notes["IL"]["lang"] == "he" and notes["SY"]["lang"] == "ar"
    assert notes["IL"]["to"] == "il-duty-2"

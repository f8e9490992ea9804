"""The demo's intelligence: what each party sees of it."""

from __future__ import annotations

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.intel import queries
from fusioncell.intel.demo import IL_REPORT, RFI, SY_REPORT, seed_intel
from fusioncell.ledger.keys import SigningKey


def test_seeded_intel(cell: Cell) -> None:
    keys: dict[str, SigningKey] = {}
    for m, role in (
        ("sy-liaison", Role.LIAISON_OFFICER),
        ("il-liaison", Role.LIAISON_OFFICER),
        ("us-supervisor", Role.SUPERVISOR),
    ):
        party = m[:2].upper()
        do_add_member(cell, party, m, role)
        keys[m] = new_member_key(party, m)
        register_member_key(cell, party, m, keys[m].verifier.encode())
    seed_intel(cell, keys)
    us = Principal("US", "us-supervisor", Role.SUPERVISOR)
    sy = Principal("SY", "sy-liaison", Role.LIAISON_OFFICER)
    il = Principal("IL", "il-liaison", Role.LIAISON_OFFICER)
    assert {r["id"]: r["withheld"] for r in queries.reports(cell, us)} == {
        SY_REPORT: False,
        IL_REPORT: False,
    }
    assert queries.report(cell, us, SY_REPORT)["lang"] == "ar"
    assert [r["id"] for r in queries.reports(cell, il)] == [IL_REPORT]
    assert {r["id"]: r["withheld"] for r in queries.reports(cell, sy)} == {
        SY_REPORT: False,
        IL_REPORT: True,
    }
    assert queries.rfi(cell, sy, RFI)["status"] == "answered"
    assert queries.report(cell, il, IL_REPORT)["assessments"][0]["party"] == "US"

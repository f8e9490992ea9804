"""The demo's dispute: raised in Arabic about the incident deesc's demo reported, answered
in Hebrew, in mediation with findings in English and a proposal awaiting Israel."""

from __future__ import annotations

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.deesc.demo import seed_deescalation
from fusioncell.disputes import queries
from fusioncell.disputes.demo import DISPUTE, seed_disputes
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.ledger.keys import SigningKey

MEMBERS = {
    "il-head": Role.HEAD_OF_DELEGATION,
    "il-liaison": Role.LIAISON_OFFICER,
    "sy-head": Role.HEAD_OF_DELEGATION,
    "sy-liaison": Role.LIAISON_OFFICER,
    "us-supervisor": Role.SUPERVISOR,
}


def test_seeded_dispute(cell: Cell) -> None:
    keys: dict[str, SigningKey] = {}
    for m, role in MEMBERS.items():
        party = m.split("-")[0].upper()
        do_add_member(cell, party, m, role)
        keys[m] = new_member_key(party, m)
        register_member_key(cell, party, m, keys[m].verifier.encode())
    seed_deescalation(cell, keys)
    seed_disputes(cell, keys)
    il = Principal("IL", "il-head", Role.HEAD_OF_DELEGATION)
    [row] = queries.disputes_list(cell, il)
    assert row["id"] == DISPUTE and row["stage"] == "in_mediation" and row["lang"] == "ar"
    view = queries.dispute_view(cell, il, DISPUTE)
    kinds = [c["kind"] for c in view["cites"]]
    assert kinds == ["deesc.incident.reported", "deesc.clarification.answered"]
    assert all(c["link"].startswith("/deesc/items/") for c in view["cites"])
    assert [(s["kind"], s["lang"]) for s in view["statements"]] == [("answer", "he")]
    assert {f["lang"] for f in view["findings"]} == {"en"}
    assert len(view["findings"]) == 3
    current = view["current_proposal"]
    assert current is not None and current["now"] == {"SY": True}

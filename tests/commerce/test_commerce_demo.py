"""The demo's proposals: two, in the three languages, at different stages."""

from __future__ import annotations

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.commerce import queries
from fusioncell.commerce.demo import CORRIDOR, GRID, seed_commerce
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


def test_seeded_proposals(cell: Cell) -> None:
    keys: dict[str, SigningKey] = {}
    for m, role in MEMBERS.items():
        party = m.split("-")[0].upper()
        do_add_member(cell, party, m, role)
        keys[m] = new_member_key(party, m)
        register_member_key(cell, party, m, keys[m].verifier.encode())
    seed_commerce(cell, keys)
    il = Principal("IL", "il-liaison", Role.LIAISON_OFFICER)
    stages = {p["id"]: p["stage"] for p in queries.proposals(cell, il)}
    assert stages == {CORRIDOR: "agreed_in_principle", GRID: "under_review"}
    corridor = queries.proposal_view(cell, il, CORRIDOR)
    grid = queries.proposal_view(cell, il, GRID)
    langs = {
        corridor["proposal"]["lang"],
        grid["versions"][0]["lang"],
        grid["proposal"]["lang"],
        *(i["lang"] for i in corridor["interest"] + grid["interest"]),
    }
    assert langs == {"ar", "he", "en"}
    assert grid["proposal"]["version"] == 2
    assert grid["interest_now"] == {"SY": "need_more"}

"""The demo's de-escalation: zones loaded, an incident in Arabic clarified in Hebrew and
answered, a notification in conflict with the agreed zone (asked about and answered in
English) and a late one."""

from __future__ import annotations

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.deesc import queries
from fusioncell.deesc.demo import seed_deescalation
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.ledger.keys import SigningKey


def test_seeded_deescalation(cell: Cell) -> None:
    keys: dict[str, SigningKey] = {}
    for party, m, role in (
        ("IL", "il-liaison", Role.LIAISON_OFFICER),
        ("SY", "sy-liaison", Role.LIAISON_OFFICER),
        ("US", "us-supervisor", Role.SUPERVISOR),
    ):
        do_add_member(cell, party, m, role)
        keys[m] = new_member_key(party, m)
        register_member_key(cell, party, m, keys[m].verifier.encode())
    seed_deescalation(cell, keys)
    us = Principal("US", "us-supervisor", Role.SUPERVISOR)
    assert {z["status"] for z in queries.zones(cell, us)} == {"agreed", "illustrative"}
    [inc] = queries.incidents(cell, us)
    assert inc["lang"] == "ar"
    # the three languages: the incident's clarification in Hebrew and Arabic, the
    # conflict's in English
    got = {c["about_kind"]: c for c in queries.clarifications(cell, us)}
    c = got["incident"]
    assert (c["lang"], c["state"], c["answer_lang"]) == ("he", "answered", "ar")
    c = got["activity"]
    assert (c["party"], c["lang"], c["state"], c["answer_lang"]) == ("US", "en", "answered", "en")
    acts = {a["party"]: a for a in queries.activities(cell, us)}
    assert acts["IL"]["conflicts"] == [{"with": "zone", "ref": "demo-buffer"}]
    assert acts["IL"]["late"] is False and acts["SY"]["late"] is True
    assert acts["SY"]["conflicts"] == []

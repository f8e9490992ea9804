"""The demo's understandings: the charter's eight with statuses given by signed entries in
the three languages, milestones, a verification report and a link; and the rebuild."""

from __future__ import annotations

from sqlalchemy import select

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.commerce.demo import seed_commerce
from fusioncell.deesc.demo import seed_deescalation
from fusioncell.demo import ACCOUNTS
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.ledger.keys import SigningKey
from fusioncell.projections import PROJECTED, rebuild
from fusioncell.understandings import queries
from fusioncell.understandings.demo import seed_understandings


def test_seeded_understandings(cell: Cell) -> None:
    keys: dict[str, SigningKey] = {}
    for party, m, role in ACCOUNTS:
        do_add_member(cell, party, m, role)
        keys[m] = new_member_key(party, m)
        register_member_key(cell, party, m, keys[m].verifier.encode())
    seed_commerce(cell, keys)
    seed_deescalation(cell, keys)
    seed_understandings(cell, keys)
    il = Principal("IL", "il-liaison", Role.LIAISON_OFFICER)
    rows = {u["id"]: u for u in queries.understandings_list(cell, il)}
    assert len(rows) == 8
    assert rows["fusion-mechanism"]["status"] == "met"
    assert rows["security-arrangements"]["status"] == "in_progress"
    assert rows["halt-military-activity"]["status"] == "disputed"
    assert rows["borders-economy"]["status"] == "in_progress"
    assert rows["withdrawal-timeline"]["next_milestone"]["lang"] == "ar"
    sec = queries.understanding_view(cell, il, "security-arrangements")
    assert len(sec["milestones"]) == 2 and sec["understanding"]["end"] is not None
    [report] = sec["verifications"]
    assert report["member"] == "us-supervisor" and report["evidence"][0]["kind"]
    halt = queries.understanding_view(cell, il, "halt-military-activity")
    [status] = halt["statuses"]
    assert status["party"] == "SY" and status["lang"] == "ar"
    assert status["evidence"][0]["kind"] == "deesc.incident.reported"
    assert [k["kind"] for k in halt["links"]] == ["deesc.incident.reported"]
    fm = queries.understanding_view(cell, il, "fusion-mechanism")
    assert fm["statuses"][0]["evidence"][0]["index"] == 0
    langs = {
        s["lang"]
        for u in ("fusion-mechanism", "security-arrangements", "halt-military-activity")
        for s in queries.understanding_view(cell, il, u)["statuses"]
    }
    assert langs == {"ar", "he", "en"}
    assert [p["id"] for p in queries.understanding_view(cell, il, "borders-economy")["proposals"]]

    def snapshot() -> dict[str, list[object]]:
        with cell.engine.connect() as c:
            return {t.name: sorted(map(tuple, c.execute(select(t)).all())) for t in PROJECTED}

    live = snapshot()
    rebuild(cell)
    assert snapshot() == live

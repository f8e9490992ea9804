"""A dispute referred to the next round of talks appears on that round's agenda (and on no
other), linked to the dispute, for the dispute's parties only."""

from __future__ import annotations

from fusioncell.cell import Cell
from fusioncell.diplomacy.client import DiplomacyClient
from fusioncell.disputes.client import DisputesClient
from tests.disputes.test_disputes import ANSWER_HE, World, w

__all__ = ["w"]


def diplomat(c: DisputesClient) -> DiplomacyClient:
    token = c.headers["Authorization"].removeprefix("Bearer ")
    a = c.author
    return DiplomacyClient(token=token, key=c.key, party=a.party, member=a.member, http=c.http)


def test_a_referral_goes_on_the_next_rounds_agenda(cell: Cell, w: World) -> None:
    us = diplomat(w.us)
    everyone = {p: ["head_of_delegation"] for p in ("IL", "JO", "SY", "US")}
    place = [("Paris", "en")]
    past, _ = us.record_round(place, "2026-11-01", "2026-11-02", everyone)
    nxt, _ = us.record_round(place, "2026-12-10", "2026-12-11", everyone, follows=past)
    later, _ = us.record_round(place, "2027-01-15", "2027-01-16", everyone, follows=nxt)

    did = w.raise_()
    w.il.answer(did, ANSWER_HE, "he")
    w.il_head.refer(did, "next_round", "נדון בסבב הבא.", "he")

    def referred(who: DiplomacyClient, rid: str) -> list[dict[str, object]]:
        return [a for a in who.round(rid)["agenda"] if a["source"] == "dispute"]

    [item] = referred(us, nxt)
    assert item["href"] == f"/disputes/d/{did}" and item["lang"] == "ar"
    assert item["state"] == "referred"
    assert referred(us, past) == [] and referred(us, later) == []
    # Jordan sits in the round but not in the dispute: nothing of it on its agenda.
    assert referred(diplomat(w.jo), nxt) == []

"""A planned activity that conflicts with an agreed zone, or with another party's activity,
is notified to every party."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.deesc import kinds, zones
from fusioncell.identity.accounts import do_add_member
from fusioncell.notify.tables import notify_outbox
from fusioncell.notify.texts import describe
from fusioncell.notify.worker import Notifier
from tests.deesc.conftest import MakeMember
from tests.deesc.test_deesc import BUFFER, INSIDE, OUTSIDE, notify, zone_doc


def add(cell: Cell, *members: tuple[str, str, Role]) -> None:
    for party, name, role in members:
        do_add_member(cell, party, name, role)


def activity_notices(cell: Cell) -> list[Any]:
    """The web notifications of planned activities, by recipient."""
    Notifier(cell).enqueue()
    with cell.engine.connect() as c:
        return list(
            c.execute(
                select(
                    notify_outbox.c.entry_idx, notify_outbox.c.recipient, notify_outbox.c.payload
                )
                .where(notify_outbox.c.kind == kinds.ACTIVITY, notify_outbox.c.channel == "web")
                .order_by(notify_outbox.c.recipient)
            )
        )


def test_a_conflict_is_notified_to_every_party(cell: Cell, member: MakeMember) -> None:
    add(
        cell,
        ("IL", "il-liaison", Role.LIAISON_OFFICER),
        ("IL", "il-duty", Role.DUTY_OFFICER),
        ("SY", "sy-liaison", Role.LIAISON_OFFICER),
        ("US", "us-sup", Role.SUPERVISOR),
    )
    zones.load(cell, zone_doc("buffer", BUFFER), kinds.AGREED)
    il = member("IL", "il-liaison")
    quiet = notify(il, OUTSIDE, 80, 82)  # no conflict: nobody is told
    clash = notify(il, INSIDE, 80, 82)
    rows = activity_notices(cell)
    assert {r.entry_idx for r in rows} == {clash} and quiet != clash
    # every member of every party but the author, IMMEDIATE
    assert [r.recipient for r in rows] == ["il-duty", "sy-liaison", "us-sup"]
    item = json.loads(rows[0].payload)["items"][0]
    assert item["conflicts"] == [{"with": "zone", "ref": "buffer"}]
    with cell.engine.connect() as c:
        words = describe(cell, c, kinds.ACTIVITY, "IMMEDIATE", [item], "en", "UTC", with_text=False)
    assert words.subject == "Conflict: a planned activity of \u2068Israel\u2069"
    assert "conflicts with an agreed zone" in words.lines[0]
    assert words.link.endswith(f"/deesc/items/{clash}")


def test_a_clash_between_two_parties_activities_is_notified_to_every_party(
    cell: Cell, member: MakeMember
) -> None:
    add(
        cell,
        ("IL", "il-liaison", Role.LIAISON_OFFICER),
        ("SY", "sy-liaison", Role.LIAISON_OFFICER),
        ("SY", "sy-duty", Role.DUTY_OFFICER),
        ("US", "us-sup", Role.SUPERVISOR),
    )
    il, sy = member("IL", "il-liaison"), member("SY", "sy-liaison")
    first = notify(il, OUTSIDE, 80, 82)
    near = {"type": "Point", "coordinates": [35.601, 33.101]}  # ~150 m away, the same hours
    clash = notify(sy, near, 81, 83, activity_type="exercise")
    rows = activity_notices(cell)
    # The earlier notifier's party is told too (il-liaison), and the author's own party.
    assert {r.entry_idx for r in rows} == {clash}
    assert [r.recipient for r in rows] == ["il-liaison", "sy-duty", "us-sup"]
    item = json.loads(rows[0].payload)["items"][0]
    assert item["conflicts"] == [{"with": "activity", "ref": str(first)}]

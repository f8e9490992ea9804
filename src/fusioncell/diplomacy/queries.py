"""Reading the diplomatic record as a member sees it.

A party reads the rounds and meetings whose parties name it, or all of them where the
charter says it sees all (the log's one visibility rule); a hidden round or meeting and a
missing one get the same 404.

Carry-over: the follow-up items of a round's meetings (and those carried into it) that
were still open when the round ended, that is not closed by an entry of a UTC date on or
before its last day, are carried into the round recorded as following it, and shown on its
agenda linked to the meeting they came from. Other capabilities add items to a round's
agenda through `AGENDA_SOURCES` (each returns items of the same shape).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Select, select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import where_readable
from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.diplomacy.projector import NO_MEETING, NO_ROUND
from fusioncell.diplomacy.tables import (
    diplomacy_followups,
    diplomacy_meetings,
    diplomacy_minutes,
    diplomacy_outcomes,
    diplomacy_rounds,
)
from fusioncell.errors import NotFound
from fusioncell.messaging.projector import split

MAX_LIST = 500
MAX_CHAIN = 100  # rounds looked back through for items carried over

# (cell, reader, round id) -> more agenda items of the round: each a dict with at least
# {source, text, lang} and optionally {href, state}. Disputes referred to the next round
# are listed through it.
AgendaSource = Callable[[Cell, Principal, str], list[dict[str, Any]]]
AGENDA_SOURCES: list[AgendaSource] = []


def _rounds_visible(q: Select[Any], cell: Cell, who: Principal) -> Select[Any]:
    return where_readable(q, diplomacy_rounds.c.parties, who, cell.ledger.genesis)


def _meetings_visible(q: Select[Any], cell: Cell, who: Principal) -> Select[Any]:
    return where_readable(q, diplomacy_meetings.c.parties, who, cell.ledger.genesis)


def _round_summary(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "parties": split(r.parties),
        "source": r.source,
        "place": json.loads(r.place),
        "start": r.start,
        "end": r.end,
        "delegations": json.loads(r.delegations),
        "note": json.loads(r.note),
        "follows": r.follows,
        "next": {"state": r.next_state, "date": r.next_date, "round": r.next_round},
        "version": int(r.version),
        "last": {"index": int(r.last_idx), "time": r.last_at},
        "text_index": None if r.text_idx is None else int(r.text_idx),
    }


def _meeting_summary(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "round": m.round,
        "parties": split(m.parties),
        "scheduled": {"index": int(m.idx), "time": m.time, "party": m.party, "member": m.member},
        "title": json.loads(m.title),
        "place": json.loads(m.place),
        "start": m.start_local,
        "end": m.end_local,
        "tz": m.tz,
        "start_utc": m.start_utc,
        "end_utc": m.end_utc,
        "delegations": json.loads(m.delegations),
    }


def _item(f: Any, carried_from: str | None = None) -> dict[str, Any]:
    return {
        "id": f.id,
        "meeting": f.meeting,
        "round": f.round,
        "party": f.party,
        "text": f.text,
        "lang": f.lang,
        "due": f.due,
        "added": {"index": int(f.added_idx), "time": f.added_at, "member": f.added_by},
        "state": "open" if f.closed_idx is None else "closed",
        "closed": None
        if f.closed_idx is None
        else {
            "index": int(f.closed_idx),
            "time": f.closed_at,
            "member": f.closed_by,
            "party": f.closed_party,
            "note": f.note,
            "lang": f.note_lang,
        },
        "carried_from": carried_from,
    }


def _round_row(conn: Connection, cell: Cell, who: Principal, rid: str) -> Any:
    q = _rounds_visible(select(diplomacy_rounds), cell, who).where(diplomacy_rounds.c.id == rid)
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(NO_ROUND)
    return row


def rounds(cell: Cell, who: Principal) -> list[dict[str, Any]]:
    """The rounds the member may see, latest first (rounds without dates last)."""
    q = _rounds_visible(select(diplomacy_rounds), cell, who).limit(MAX_LIST)
    with reading(cell.engine) as conn:
        rows = [_round_summary(r) for r in conn.execute(q)]
    rows.sort(key=lambda r: (r["start"] or "", r["id"]), reverse=True)
    rows.sort(key=lambda r: r["start"] is None)
    return rows


def _open_at_end(f: Any, end: str) -> bool:
    return f.closed_at is None or f.closed_at[:10] > end


def carried_into(conn: Connection, cell: Cell, who: Principal, rid: str) -> list[dict[str, Any]]:
    """The follow-up items carried into round `rid` from the rounds before it, each with the
    round it was carried from (its own round's meetings aside), as far as `who` may read."""
    chain: list[Any] = []
    row = conn.execute(select(diplomacy_rounds).where(diplomacy_rounds.c.id == rid)).first()
    while row is not None and row.follows is not None and len(chain) < MAX_CHAIN:
        row = conn.execute(
            select(diplomacy_rounds).where(diplomacy_rounds.c.id == row.follows)
        ).first()
        if row is not None:
            chain.append(row)
    carried: dict[str, tuple[Any, str]] = {}
    for r in reversed(chain):  # oldest first
        q = (
            select(diplomacy_followups)
            .join(diplomacy_meetings, diplomacy_meetings.c.id == diplomacy_followups.c.meeting)
            .where(diplomacy_followups.c.round == r.id)
            .order_by(diplomacy_followups.c.added_idx)
        )
        items = conn.execute(_meetings_visible(q, cell, who)).all()
        pool = carried | {f.id: (f, r.id) for f in items}
        carried = {k: (f, src) for k, (f, src) in pool.items() if _open_at_end(f, r.end)}
    return [_item(f, src) for f, src in sorted(carried.values(), key=lambda x: int(x[0].added_idx))]


def round_view(cell: Cell, who: Principal, rid: str) -> dict[str, Any]:
    """A round: its meetings, the items carried into it, its open follow-up items and its
    agenda (the items carried over, then those of AGENDA_SOURCES)."""
    with reading(cell.engine) as conn:
        r = _round_row(conn, cell, who, rid)
        meetings = [
            _meeting_summary(m)
            for m in conn.execute(
                _meetings_visible(select(diplomacy_meetings), cell, who)
                .where(diplomacy_meetings.c.round == rid)
                .order_by(diplomacy_meetings.c.start_utc, diplomacy_meetings.c.id)
            )
        ]
        own = [
            _item(f)
            for f in conn.execute(
                _meetings_visible(
                    select(diplomacy_followups).join(
                        diplomacy_meetings,
                        diplomacy_meetings.c.id == diplomacy_followups.c.meeting,
                    ),
                    cell,
                    who,
                )
                .where(diplomacy_followups.c.round == rid)
                .order_by(diplomacy_followups.c.added_idx)
            )
        ]
        carried = carried_into(conn, cell, who, rid)
        follows = conn.execute(
            _rounds_visible(select(diplomacy_rounds), cell, who).where(
                diplomacy_rounds.c.id == (r.follows or "")
            )
        ).first()
    agenda: list[dict[str, Any]] = [
        {
            "source": "followup",
            "text": c["text"],
            "lang": c["lang"],
            "href": f"/diplomacy/m/{c['meeting']}#item-{c['id']}",
            "entry": c["added"]["index"],
            "field": "text",
            "state": c["state"],
            "item": c,
        }
        for c in carried
    ]
    for source in AGENDA_SOURCES:
        agenda.extend(source(cell, who, rid))
    return {
        "round": _round_summary(r),
        "follows": _round_summary(follows) if follows is not None else None,
        "meetings": meetings,
        "carried": carried,
        "open": [i for i in carried + own if i["state"] == "open"],
        "followups": own,
        "agenda": agenda,
    }


def _meeting_row(conn: Connection, cell: Cell, who: Principal, mid: str) -> Any:
    q = _meetings_visible(select(diplomacy_meetings), cell, who).where(
        diplomacy_meetings.c.id == mid
    )
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(NO_MEETING)
    return row


def meeting_view(cell: Cell, who: Principal, mid: str) -> dict[str, Any]:
    """A meeting: its agenda, every version of its minutes, its outcomes and follow-ups."""
    with reading(cell.engine) as conn:
        m = _meeting_row(conn, cell, who, mid)
        r = conn.execute(select(diplomacy_rounds).where(diplomacy_rounds.c.id == m.round)).one()
        minutes = [
            {
                "index": int(v.idx),
                "version": int(v.version),
                "party": v.party,
                "member": v.member,
                "text": v.text,
                "lang": v.lang,
                "time": v.time,
            }
            for v in conn.execute(
                select(diplomacy_minutes)
                .where(diplomacy_minutes.c.meeting == mid)
                .order_by(diplomacy_minutes.c.version)
            )
        ]
        outcomes = [
            {
                "index": int(o.idx),
                "party": o.party,
                "member": o.member,
                "text": o.text,
                "lang": o.lang,
                "time": o.time,
            }
            for o in conn.execute(
                select(diplomacy_outcomes)
                .where(diplomacy_outcomes.c.meeting == mid)
                .order_by(diplomacy_outcomes.c.idx)
            )
        ]
        followups = [
            _item(f)
            for f in conn.execute(
                select(diplomacy_followups)
                .where(diplomacy_followups.c.meeting == mid)
                .order_by(diplomacy_followups.c.added_idx)
            )
        ]
    return {
        "meeting": {**_meeting_summary(m), "agenda": json.loads(m.agenda)},
        "round": _round_summary(r),
        "minutes": minutes,
        "outcomes": outcomes,
        "followups": followups,
    }

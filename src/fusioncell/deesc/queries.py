"""De-escalation as the pages and the API read it: zones, incidents, notifications with
their conflicts, clarifications. Every read goes through the one visibility rule; a hidden
item and a missing one give the same 404."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, or_, select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import where_readable
from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import reading
from fusioncell.deesc.tables import (
    deesc_activities,
    deesc_clarifications,
    deesc_conflicts,
    deesc_incidents,
    deesc_zones,
)
from fusioncell.duty.kinds import check_time
from fusioncell.errors import N_, Invalid, NotFound

MAX_ROWS = 500

ANSWERED = "answered"
OPEN = "open"
OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Filters:
    """The map's and the timeline's filters: a time window, a category (an incident's
    category or an activity's type) and a party (who reported or notified)."""

    since: str | None = None
    until: str | None = None
    category: str | None = None
    party: str | None = None

    @classmethod
    def of(
        cls,
        since: str | None = None,
        until: str | None = None,
        category: str | None = None,
        party: str | None = None,
    ) -> Filters:
        s = check_time(since, "since") if since else None
        u = check_time(until, "until") if until else None
        if s is not None and u is not None and u <= s:
            raise Invalid(N_("the time window ends before it starts"))
        return cls(s, u, category or None, party or None)


def _readable(q: Select[Any], column: Any, cell: Cell, who: Principal) -> Select[Any]:
    return where_readable(q, column, who, cell.ledger.genesis)


def _zone(r: Any) -> dict[str, Any]:
    return {
        "zone": r.zone,
        "name": r.name,
        "lang": r.lang,
        "status": r.status,
        "party": r.party,
        "geometry": json.loads(r.geometry),
        "index": int(r.idx),
        "time": r.time,
    }


def _incident(r: Any) -> dict[str, Any]:
    return {
        "index": int(r.idx),
        "kind": "incident",
        "party": r.party,
        "member": r.member,
        "reported": r.reported,
        "time": r.at,
        "time_precision": r.at_precision,
        "place": json.loads(r.place),
        "place_precision_m": int(r.place_precision_m),
        "category": r.category,
        "actors": json.loads(r.actors),
        "casualties": None if r.casualties is None else json.loads(r.casualties),
        "description": r.description,
        "lang": r.lang,
        "sources": json.loads(r.sources),
    }


def _activity(r: Any, found: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "index": int(r.idx),
        "kind": "activity",
        "party": r.party,
        "member": r.member,
        "notified": r.notified,
        "activity_type": r.activity_type,
        "start": r.start,
        "end": r.end,
        "place": json.loads(r.place),
        "description": r.description,
        "lang": r.lang,
        "late": bool(r.late),
        "conflicts": found,
    }


def _clarification(r: Any, now: str) -> dict[str, Any]:
    state = ANSWERED if r.answered_idx is not None else OVERDUE if now >= r.due else OPEN
    return {
        "index": int(r.idx),
        "about": int(r.about),
        "about_kind": r.about_kind,
        "party": r.party,
        "member": r.member,
        "owing": r.owing,
        "question": r.question,
        "lang": r.lang,
        "time": r.time,
        "due": r.due,
        "state": state,
        "answer": r.answer,
        "answer_lang": r.answer_lang,
        "answered_by": r.answered_by,
        "answered_index": None if r.answered_idx is None else int(r.answered_idx),
        "answered_at": r.answered_at,
    }


def _conflicts_of(conn: Connection, idxs: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each activity's conflicts, both ways: one notified later that met it counts too."""
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in idxs}
    if not idxs:
        return out
    refs = [str(i) for i in idxs]
    rows = conn.execute(
        select(deesc_conflicts).where(
            or_(
                deesc_conflicts.c.activity.in_(idxs),
                (deesc_conflicts.c.with_kind == "activity") & deesc_conflicts.c.with_ref.in_(refs),
            )
        )
    ).all()
    for r in rows:
        a = int(r.activity)
        if a in out:
            out[a].append({"with": r.with_kind, "ref": r.with_ref})
        if r.with_kind == "activity" and int(r.with_ref) in out:
            out[int(r.with_ref)].append({"with": "activity", "ref": str(a)})
    for v in out.values():
        v.sort(key=lambda c: (c["with"], c["ref"]))
    return out


def zones(cell: Cell, who: Principal) -> list[dict[str, Any]]:
    with reading(cell.engine) as conn:
        q = _readable(select(deesc_zones), deesc_zones.c.visibility, cell, who)
        return [_zone(r) for r in conn.execute(q.order_by(deesc_zones.c.zone)).all()]


def incidents(cell: Cell, who: Principal, f: Filters | None = None) -> list[dict[str, Any]]:
    f = f or Filters()
    t = deesc_incidents
    q = _readable(select(t), t.c.visibility, cell, who)
    if f.since:
        q = q.where(t.c.at >= f.since)
    if f.until:
        q = q.where(t.c.at < f.until)
    if f.category:
        q = q.where(t.c.category == f.category)
    if f.party:
        q = q.where(t.c.party == f.party)
    with reading(cell.engine) as conn:
        rows = conn.execute(q.order_by(t.c.at.desc(), t.c.idx.desc()).limit(MAX_ROWS)).all()
    return [_incident(r) for r in rows]


def activities(cell: Cell, who: Principal, f: Filters | None = None) -> list[dict[str, Any]]:
    f = f or Filters()
    t = deesc_activities
    q = _readable(select(t), t.c.visibility, cell, who)
    if f.since:
        q = q.where(t.c.end > f.since)
    if f.until:
        q = q.where(t.c.start < f.until)
    if f.category:
        q = q.where(t.c.activity_type == f.category)
    if f.party:
        q = q.where(t.c.party == f.party)
    with reading(cell.engine) as conn:
        rows = conn.execute(q.order_by(t.c.start.desc(), t.c.idx.desc()).limit(MAX_ROWS)).all()
        found = _conflicts_of(conn, [int(r.idx) for r in rows])
    return [_activity(r, found[int(r.idx)]) for r in rows]


def clarifications(
    cell: Cell, who: Principal, about: int | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    t = deesc_clarifications
    q = _readable(select(t), t.c.visibility, cell, who)
    if about is not None:
        q = q.where(t.c.about == about)
    with reading(cell.engine) as conn:
        rows = conn.execute(q.order_by(t.c.idx.desc()).limit(MAX_ROWS)).all()
    now = rfc3339(cell.clock.now())
    out = [_clarification(r, now) for r in rows]
    return [c for c in out if state is None or c["state"] == state]


def item(cell: Cell, who: Principal, index: int) -> dict[str, Any]:
    """An incident or a notification with its clarifications (404 if hidden or missing)."""
    with reading(cell.engine) as conn:
        t = deesc_incidents
        r = conn.execute(
            _readable(select(t), t.c.visibility, cell, who).where(t.c.idx == index)
        ).first()
        if r is not None:
            out = _incident(r)
        else:
            a = deesc_activities
            r = conn.execute(
                _readable(select(a), a.c.visibility, cell, who).where(a.c.idx == index)
            ).first()
            if r is None:
                raise NotFound(N_("no such incident or notification"))
            out = _activity(r, _conflicts_of(conn, [index])[index])
    out["clarifications"] = clarifications(cell, who, about=index)
    return out

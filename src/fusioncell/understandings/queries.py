"""Reading understandings as a member sees them.

Understandings, their statuses, timelines, milestones and verification reports are the
shared record: every party of the charter reads them. Links are read through the log's
visibility rule (a link is visible to exactly the linked entry's readers), and an entry
cited as evidence is described (its kind, a link to it) only to those who may read it;
its index is part of the shared record either way. Proposals come from commerce through
its own visibility rule; disputes from `fusioncell.disputes.queries.about_understanding`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import where_readable
from fusioncell.cell import Cell
from fusioncell.commerce.tables import commerce_proposals, commerce_versions
from fusioncell.db import reading
from fusioncell.disputes.queries import about_understanding
from fusioncell.errors import NotFound
from fusioncell.ledger.tables import log_entries
from fusioncell.messaging.projector import split
from fusioncell.understandings import kinds
from fusioncell.understandings.projector import NO_UNDERSTANDING, may_read, stewards_of
from fusioncell.understandings.tables import (
    understanding_links,
    understanding_milestone_events,
    understanding_milestones,
    understanding_statuses,
    understanding_timelines,
    understanding_verifications,
    understandings,
)

MAX_LIST = 500


# Subjects whose entries have a page: prefix -> the page (the rest of the subject appended).
_PAGES = {
    "c/": "/commerce/p/",
    "intel/": "/intel/r/",
    "u/": "/understandings/",
    "d/": "/disputes/d/",
}
_ITEMS = frozenset({"deesc.incident.reported", "deesc.activity.notified"})


def entry_href(kind: str, subject: str, index: int) -> str | None:
    """The page that shows an entry, where there is one."""
    if subject.startswith("t/"):
        thread = f"/cell/t/{subject[2:]}"
        return f"{thread}/m/{index}" if kind == "cell.message.posted" else thread
    if kind in _ITEMS:
        return f"/deesc/items/{index}"
    for prefix, page in _PAGES.items():
        if subject.startswith(prefix):
            return page + subject[len(prefix) :]
    return None


def _summary(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.origin,
        "text": json.loads(r.texts),
        "lang": r.lang,
        "source": json.loads(r.sources),
        "stated_by": r.stated_by,
        "parties": split(r.parties),
        "workstream": r.workstream,
        "recorded": {"index": int(r.recorded_idx), "time": r.recorded_at, "member": r.member},
        "status": r.status,
        "status_at": r.status_at,
        "start": r.start_on,
        "end": r.end_on,
        "last": {"index": int(r.last_idx), "time": r.last_at},
    }


def _charter_default(cell: Cell, uid: str) -> dict[str, Any] | None:
    """A charter's understanding before any entry about it in a cell made before this
    package (its row comes with the first entry)."""
    for u in cell.charter.understandings:
        if u.id == uid:
            return {
                "id": u.id,
                "kind": u.kind,
                "text": dict(u.text),
                "lang": None,
                "source": dict(u.source),
                "stated_by": u.stated_by,
                "parties": sorted(u.parties),
                "workstream": u.workstream,
                "recorded": {"index": 0, "time": None, "member": None},
                "status": kinds.NOT_STARTED,
                "status_at": None,
                "start": None,
                "end": None,
                "last": {"index": 0, "time": None},
            }
    return None


def _milestone(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "understanding": m.understanding,
        "title": m.title,
        "lang": m.lang,
        "parties": split(m.parties),
        "due": m.due,
        "state": m.state,
        "set": {"index": int(m.set_idx), "time": m.set_at, "member": m.member},
        "closed": {"index": int(m.closed_idx), "time": m.closed_at}
        if m.closed_idx is not None
        else None,
    }


def understandings_list(cell: Cell, who: Principal) -> list[dict[str, Any]]:
    """Every understanding (the charter's first, in its order, then those recorded), each
    with its next open milestone."""
    with reading(cell.engine) as conn:
        rows = {r.id: _summary(r) for r in conn.execute(select(understandings))}
        nxt: dict[str, dict[str, Any]] = {}
        for m in conn.execute(
            select(understanding_milestones)
            .where(understanding_milestones.c.state == kinds.OPEN)
            .order_by(understanding_milestones.c.due)
        ):
            nxt.setdefault(m.understanding, _milestone(m))
    order = [u.id for u in cell.charter.understandings]
    out = []
    for uid in order:
        u = rows.pop(uid, None) or _charter_default(cell, uid)
        if u is not None:
            out.append(u)
    out.extend(sorted(rows.values(), key=lambda u: u["recorded"]["index"]))
    for u in out[:MAX_LIST]:
        u["next_milestone"] = nxt.get(u["id"])
    return out[:MAX_LIST]


def _evidence(
    conn: Connection, cell: Cell, who: Principal, indices: list[int]
) -> list[dict[str, Any]]:
    """Each cited index, described (kind, page) only where the reader may read it."""
    rows = {}
    if indices:
        rows = {
            int(r.idx): r
            for r in conn.execute(
                select(
                    log_entries.c.idx,
                    log_entries.c.kind,
                    log_entries.c.subject,
                    log_entries.c.visibility,
                ).where(log_entries.c.idx.in_(indices))
            )
        }
    out = []
    for i in indices:
        r = rows.get(i)
        if r is not None and may_read(cell.charter, who.party, split(r.visibility)):
            out.append(
                {
                    "index": i,
                    "kind": r.kind,
                    "href": entry_href(r.kind, r.subject, i),
                }
            )
        else:
            out.append({"index": i, "kind": None, "href": None})
    return out


def _row(conn: Connection, cell: Cell, uid: str) -> dict[str, Any]:
    r = conn.execute(select(understandings).where(understandings.c.id == uid)).first()
    if r is not None:
        return _summary(r)
    d = _charter_default(cell, uid)
    if d is None:
        raise NotFound(NO_UNDERSTANDING)
    return d


def disputes_about(cell: Cell, who: Principal, uid: str) -> list[dict[str, Any]]:
    """The disputes about an understanding the reader may see (the disputes capability's
    query, through its own visibility rule)."""
    return about_understanding(cell, who, uid)


def understanding_view(cell: Cell, who: Principal, uid: str) -> dict[str, Any]:
    """An understanding: its status and every change of it (reason, evidence), its
    timeline and its changes, its milestones with what happened to each, the verification
    reports, the entries linked to it that the reader may read, the commercial proposals
    made under it and the disputes about it."""
    charter = cell.charter
    with reading(cell.engine) as conn:
        u = _row(conn, cell, uid)
        statuses = [
            {
                "index": int(s.idx),
                "party": s.party,
                "member": s.member,
                "from": s.from_status,
                "status": s.status,
                "reason": s.reason,
                "lang": s.lang,
                "evidence": _evidence(conn, cell, who, json.loads(s.evidence)),
                "time": s.time,
            }
            for s in conn.execute(
                select(understanding_statuses)
                .where(understanding_statuses.c.understanding == uid)
                .order_by(understanding_statuses.c.idx)
            )
        ]
        timelines = [
            {
                "index": int(t.idx),
                "party": t.party,
                "member": t.member,
                "start": t.start_on,
                "end": t.end_on,
                "reason": t.reason,
                "lang": t.lang,
                "time": t.time,
            }
            for t in conn.execute(
                select(understanding_timelines)
                .where(understanding_timelines.c.understanding == uid)
                .order_by(understanding_timelines.c.idx)
            )
        ]
        milestones = [
            _milestone(m)
            for m in conn.execute(
                select(understanding_milestones)
                .where(understanding_milestones.c.understanding == uid)
                .order_by(understanding_milestones.c.due, understanding_milestones.c.id)
            )
        ]
        events: dict[str, list[dict[str, Any]]] = {}
        for e in conn.execute(
            select(understanding_milestone_events)
            .where(understanding_milestone_events.c.understanding == uid)
            .order_by(understanding_milestone_events.c.idx)
        ):
            events.setdefault(e.milestone, []).append(
                {
                    "index": int(e.idx),
                    "event": e.event,
                    "party": e.party,
                    "member": e.member,
                    "due": e.due,
                    "text": e.text,
                    "lang": e.lang,
                    "evidence": _evidence(conn, cell, who, json.loads(e.evidence)),
                    "time": e.time,
                }
            )
        for m in milestones:
            m["history"] = events.get(m["id"], [])
        verifications = [
            {
                "index": int(v.idx),
                "party": v.party,
                "member": v.member,
                "assessment": v.assessment,
                "findings": v.findings,
                "lang": v.lang,
                "evidence": _evidence(conn, cell, who, json.loads(v.evidence)),
                "time": v.time,
            }
            for v in conn.execute(
                select(understanding_verifications)
                .where(understanding_verifications.c.understanding == uid)
                .order_by(understanding_verifications.c.idx)
            )
        ]
        links = [
            {
                "index": int(k.idx),
                "entry": int(k.entry),
                "kind": k.entry_kind,
                "href": entry_href(k.entry_kind, k.entry_subject, int(k.entry)),
                "party": k.party,
                "member": k.member,
                "note": k.note,
                "lang": k.lang,
                "time": k.time,
            }
            for k in conn.execute(
                where_readable(
                    select(understanding_links).where(understanding_links.c.understanding == uid),
                    understanding_links.c.visibility,
                    who,
                    cell.ledger.genesis,
                ).order_by(understanding_links.c.idx)
            )
        ]
        proposals = [
            {
                "id": p.id,
                "title": p.title,
                "lang": p.lang,
                "party": p.party,
                "stage": p.stage,
                "submitted_idx": int(p.submitted_idx),
                "submitted_at": p.submitted_at,
            }
            for p in conn.execute(
                where_readable(
                    select(commerce_proposals).where(commerce_proposals.c.understanding == uid),
                    commerce_proposals.c.parties,
                    who,
                    cell.ledger.genesis,
                ).order_by(commerce_proposals.c.submitted_idx)
            )
        ]
        # The entry whose title is shown (the newest version), for its translation.
        newest = (
            {
                str(v.proposal): int(v.idx)
                for v in conn.execute(
                    select(
                        commerce_versions.c.proposal, func.max(commerce_versions.c.idx).label("idx")
                    )
                    .where(commerce_versions.c.proposal.in_([p["id"] for p in proposals]))
                    .group_by(commerce_versions.c.proposal)
                )
            }
            if proposals
            else {}
        )
        for p in proposals:
            p["version_index"] = newest.get(p["id"], p["submitted_idx"])
    return {
        "understanding": u,
        "stewards": stewards_of(charter, u["parties"], u["stated_by"]),
        "statuses": statuses,
        "timelines": timelines,
        "milestones": milestones,
        "verifications": verifications,
        "links": links,
        "proposals": proposals,
        "disputes": disputes_about(cell, who, uid),
    }

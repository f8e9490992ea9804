"""Reading the cell as a member sees it: the inbox, a thread, one message, what is owed.

Every query goes through `_visible_threads`: a party reads the threads it is in, or all of
them where the charter says it sees all (the same rule as the log's visibility, since a
thread's entries are visible to exactly its parties)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import names, where_readable
from fusioncell.cell import Cell
from fusioncell.charter.schema import Urgency
from fusioncell.clock import rfc3339
from fusioncell.db import reading
from fusioncell.deadlines.api import ack_key
from fusioncell.deadlines.tables import deadlines
from fusioncell.errors import N_, NotFound
from fusioncell.line.queries import suspended_between
from fusioncell.messaging.projector import split
from fusioncell.messaging.receipts import DELIVERED, READ
from fusioncell.messaging.tables import (
    cell_acks,
    cell_messages,
    cell_receipts,
    cell_threads,
    cell_versions,
)

PRECEDENCE = {u.value: i for i, u in enumerate(Urgency)}
MAX_MESSAGES = 500


def _visible_threads(q: Select[Any], cell: Cell, who: Principal) -> Select[Any]:
    return where_readable(q, cell_threads.c.parties, who, cell.ledger.genesis)


def _thread_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "workstream": r.workstream,
        "topic": {"text": r.topic, "lang": r.topic_lang},
        "parties": split(r.parties),
        "opened": {
            "index": int(r.opened_idx),
            "party": r.opened_party,
            "member": r.opened_member,
            "time": r.opened_at,
        },
        "last": {"index": int(r.last_idx), "time": r.last_at},
        "messages": int(r.messages),
    }


def inbox(cell: Cell, who: Principal, workstream: str | None = None) -> list[dict[str, Any]]:
    """Every thread the member may see. First those where their party owes an
    acknowledgement (highest urgency, then nearest deadline), then those with any open
    deadline, then the most recently active."""
    now = rfc3339(cell.clock.now())
    q = _visible_threads(select(cell_threads), cell, who)
    if workstream:
        q = q.where(cell_threads.c.workstream == workstream)
    with reading(cell.engine) as conn:
        threads = {r.id: _thread_json(r) for r in conn.execute(q)}
        if not threads:
            return []
        ids = list(threads)
        open_rows = conn.execute(
            select(
                cell_messages.c.idx,
                cell_messages.c.thread,
                cell_messages.c.urgency,
                cell_messages.c.ack_due,
                cell_messages.c.addressed,
                cell_acks.c.party.label("acked"),
            )
            .outerjoin(
                cell_acks,
                and_(cell_acks.c.message == cell_messages.c.idx, cell_acks.c.party == who.party),
            )
            .where(cell_messages.c.acks_missing > 0, cell_messages.c.thread.in_(ids))
        ).all()
        unread: dict[str, int] = dict(
            conn.execute(
                select(cell_messages.c.thread, func.count())
                .where(
                    cell_messages.c.thread.in_(ids),
                    cell_messages.c.party != who.party,
                    cell_messages.c.retracted_idx.is_(None),
                    ~select(cell_receipts.c.message)
                    .where(
                        cell_receipts.c.message == cell_messages.c.idx,
                        cell_receipts.c.party == who.party,
                        cell_receipts.c.what == READ,
                    )
                    .exists(),
                )
                .group_by(cell_messages.c.thread)
            ).all()
        )
    for t in threads.values():
        t.update(unread=int(unread.get(t["id"], 0)), owed=[], open=0, next_due=None, top=None)
    for r in open_rows:
        t = threads[r.thread]
        t["open"] += 1
        if t["next_due"] is None or r.ack_due < t["next_due"]:
            t["next_due"] = r.ack_due
        if r.acked is None and f",{who.party}," in r.addressed:
            t["owed"].append(
                {
                    "message": int(r.idx),
                    "urgency": r.urgency,
                    "due": r.ack_due,
                    "overdue": r.ack_due <= now,
                }
            )
            if t["top"] is None or PRECEDENCE[r.urgency] < PRECEDENCE[t["top"]]:
                t["top"] = r.urgency
    for t in threads.values():
        t["owed"].sort(key=lambda o: (PRECEDENCE[o["urgency"]], o["due"]))

    def order(t: dict[str, Any]) -> tuple[Any, ...]:
        owed = t["owed"]
        first = owed[0] if owed else None
        return (
            0 if owed else (1 if t["open"] else 2),
            PRECEDENCE[first["urgency"]] if first else 9,
            (first["due"] if first else t["next_due"]) or "",
            -t["last"]["index"],
        )

    return sorted(threads.values(), key=order)


def _thread_row(conn: Connection, cell: Cell, who: Principal, thread: str) -> Any:
    row = conn.execute(
        _visible_threads(select(cell_threads).where(cell_threads.c.id == thread), cell, who)
    ).first()
    if row is None:
        raise NotFound(N_("no such thread"))
    return row


def _messages(
    conn: Connection, cell: Cell, where: Any, limit: int = MAX_MESSAGES
) -> list[dict[str, Any]]:
    rows = list(
        conn.execute(
            select(cell_messages).where(where).order_by(cell_messages.c.idx.desc()).limit(limit)
        )
    )
    rows.reverse()
    ids = [int(r.idx) for r in rows]
    if not ids:
        return []
    versions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for v in conn.execute(
        select(cell_versions).where(cell_versions.c.message.in_(ids)).order_by(cell_versions.c.idx)
    ):
        versions[int(v.message)].append(
            {
                "index": int(v.idx),
                "member": v.member,
                "text": v.text,
                "lang": v.lang,
                "time": v.time,
            }
        )
    acks: dict[int, dict[str, Any]] = defaultdict(dict)
    for a in conn.execute(select(cell_acks).where(cell_acks.c.message.in_(ids))):
        acks[int(a.message)][a.party] = {"index": int(a.idx), "member": a.member, "time": a.time}
    # Breaches and escalations: the missed entry written, and the escalation steps taken.
    escalated: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    keys = [ack_key(int(r.idx), p) for r in rows for p in split(r.addressed)]
    if keys:
        for d in conn.execute(
            select(
                deadlines.c.opened_idx, deadlines.c.party, deadlines.c.step, deadlines.c.plan
            ).where(deadlines.c.key.in_(keys), deadlines.c.step >= 1)
        ):
            escalated[int(d.opened_idx)][d.party] = json.loads(d.plan)[: int(d.step) - 1]
    # Messages written while the line was suspended are marked (the line's history is
    # visible to every party).
    suspensions = suspended_between(conn, ids[0], ids[-1])
    receipts: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for rc in conn.execute(select(cell_receipts).where(cell_receipts.c.message.in_(ids))):
        per = receipts[int(rc.message)].setdefault(rc.party, {DELIVERED: None, READ: None})
        per[rc.what] = {"member": rc.member, "time": rc.time}
    for i, per_party in acks.items():
        # A signed acknowledgement says the party had it, whatever the stream observed.
        for party, a in per_party.items():
            got = receipts[i].setdefault(party, {DELIVERED: None, READ: None})
            for what in (DELIVERED, READ):
                if got[what] is None or got[what]["time"] > a["time"]:
                    got[what] = {"member": a["member"], "time": a["time"]}
    now = rfc3339(cell.clock.now())
    out = []
    for r in rows:
        i = int(r.idx)
        addressed = split(r.addressed)
        by = acks.get(i, {})
        retracted = (
            {
                "index": int(r.retracted_idx),
                "time": r.retracted_at,
                "reason": r.retract_reason,
                "lang": r.retract_lang,
            }
            if r.retracted_idx is not None
            else None
        )
        waiting = [p for p in addressed if p not in by] if retracted is None else []
        during = next((x for x in suspensions if x.covers(i)), None)
        out.append(
            {
                "index": i,
                "thread": r.thread,
                "party": r.party,
                "member": r.member,
                "time": r.posted_at,
                "urgency": r.urgency,
                "text": r.text,
                "lang": r.lang,
                # the entry that wrote the text shown (the newest edit's, else the post's)
                "text_index": versions[i][-1]["index"] if versions.get(i) else i,
                "reply_to": None if r.reply_to is None else int(r.reply_to),
                "attachments": json.loads(r.attachments),
                "versions": versions.get(i, []),
                "edited": r.edited_at,
                "retracted": retracted,
                "pinned": bool(r.pinned),
                "ack": {
                    "required": bool(r.requires_ack),
                    "due": r.ack_due,
                    "addressed": addressed,
                    "by": {
                        p: {**a, "late": r.ack_due is not None and a["time"] > r.ack_due}
                        for p, a in by.items()
                    },
                    "waiting": waiting,
                    "overdue": waiting if r.ack_due is not None and r.ack_due <= now else [],
                    # parties whose breach is in the log, and the escalation steps taken
                    "breached": sorted(escalated.get(i, {})),
                    "escalated": escalated.get(i, {}),
                },
                "receipts": receipts.get(i, {}),
                "suspended": None if during is None else during.to_json(),
            }
        )
    return out


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def thread_view(
    cell: Cell, who: Principal, thread: str, q: str | None = None, before: int | None = None
) -> dict[str, Any]:
    """A thread with its messages (oldest first; the newest MAX_MESSAGES, or those before
    `before`), each with its versions, acknowledgements and receipts. `q` keeps the
    messages any version of which contains it."""
    with reading(cell.engine) as conn:
        row = _thread_row(conn, cell, who, thread)
        where = cell_messages.c.thread == thread
        if before is not None:
            where = and_(where, cell_messages.c.idx < before)
        if q:
            hits = select(cell_versions.c.message).where(
                cell_versions.c.text.ilike(_like(q), escape="\\")
            )
            where = and_(where, or_(cell_messages.c.idx.in_(hits)))
        messages = _messages(conn, cell, where)
        pinned = _messages(
            conn, cell, and_(cell_messages.c.thread == thread, cell_messages.c.pinned)
        )
    return {"thread": _thread_json(row), "messages": messages, "pinned": pinned}


def thread_info(cell: Cell, who: Principal, thread: str) -> dict[str, Any]:
    """A thread without its messages."""
    with reading(cell.engine) as conn:
        return _thread_json(_thread_row(conn, cell, who, thread))


def message_view(cell: Cell, who: Principal, thread: str, index: int) -> dict[str, Any]:
    with reading(cell.engine) as conn:
        _thread_row(conn, cell, who, thread)
        found = _messages(
            conn, cell, and_(cell_messages.c.thread == thread, cell_messages.c.idx == index), 1
        )
    if not found:
        raise NotFound(N_("no such message in this thread"))
    return found[0]


def owed(
    cell: Cell, who: Principal, urgencies: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """Messages that still wait for the member's party to acknowledge them, most urgent
    first: what the FLASH banner keeps on screen."""
    with reading(cell.engine) as conn:
        q = (
            select(cell_messages.c.idx, cell_messages.c.thread)
            .join(cell_threads, cell_threads.c.id == cell_messages.c.thread)
            .where(
                cell_messages.c.acks_missing > 0,
                names(cell_messages.c.addressed, who.party),
                ~select(cell_acks.c.message)
                .where(cell_acks.c.message == cell_messages.c.idx, cell_acks.c.party == who.party)
                .exists(),
            )
        )
        if urgencies:
            q = q.where(cell_messages.c.urgency.in_(urgencies))
        ids = [int(r.idx) for r in conn.execute(_visible_threads(q, cell, who))]
        msgs = _messages(conn, cell, cell_messages.c.idx.in_(ids)) if ids else []
        topics = {
            r.id: {"text": r.topic, "lang": r.topic_lang, "index": int(r.opened_idx)}
            for r in conn.execute(
                select(
                    cell_threads.c.id,
                    cell_threads.c.topic,
                    cell_threads.c.topic_lang,
                    cell_threads.c.opened_idx,
                ).where(cell_threads.c.id.in_({m["thread"] for m in msgs}))
            )
        }
    for m in msgs:
        m["topic"] = topics.get(m["thread"])
    msgs.sort(key=lambda m: (PRECEDENCE[m["urgency"]], m["ack"]["due"] or ""))
    return msgs

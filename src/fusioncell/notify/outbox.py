"""The outbox, driven by the log position.

`enqueue` reads the entries after the cursor, computes what each causes (rules.py), and in
ONE transaction inserts the outbox rows and moves the cursor, compare-and-set: however many
notifiers run, and wherever one crashes, each entry's rows are written exactly once. The
sender (worker.py) then delivers the due rows and marks each sent right after the remote
accepted it.

A row's `delivery` id is derived from its unique key (entry, recipient, channel, item), so a
delivery repeated after a crash carries the same id (the `X-Fusioncell-Delivery` header, the
mail's Message-ID) and a receiver can drop the repeat.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import reading, transaction
from fusioncell.errors import N_, NotFound
from fusioncell.ledger.canonical import loads_canonical
from fusioncell.ledger.tables import log_bodies, log_entries
from fusioncell.notify import prefs, rules
from fusioncell.notify.tables import notify_cursor, notify_outbox

CURSOR = "notifier"
CHUNK = 200  # entries per transaction: short write transactions beside the appends
PENDING = "pending"
SENT = "sent"
FAILED = "failed"
NO_NOTIFICATION = N_("no such notification")


def delivery_id(origin: str, entry: int, recipient: str, channel: str, item: str) -> str:
    """Stable for the row's unique key: the same notification always has the same id."""
    key = f"{origin}\n{entry}\n{recipient}\n{channel}\n{item}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


# ---- the cursor ---------------------------------------------------------------------------


def cursor(conn: Connection) -> int | None:
    """The last entry whose notifications are enqueued; None before the first run."""
    v = conn.execute(select(notify_cursor.c.idx).where(notify_cursor.c.name == CURSOR)).scalar()
    return None if v is None else int(v)


def _read_entries(conn: Connection, after: int, limit: int) -> list[rules.Entry]:
    rows = conn.execute(
        select(
            log_entries.c.idx,
            log_entries.c.kind,
            log_entries.c.subject,
            log_entries.c.party,
            log_entries.c.member,
            log_entries.c.visibility,
            log_entries.c.time,
            log_bodies.c.body,
        )
        .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
        .where(log_entries.c.idx > after)
        .order_by(log_entries.c.idx)
        .limit(limit)
    ).all()
    out = []
    for r in rows:
        # Only the kinds a rule reads need their body parsed.
        body = loads_canonical(bytes(r.body)) if r.kind in rules.KINDS else {}
        out.append(
            rules.Entry(
                int(r.idx),
                r.kind,
                r.subject,
                r.party,
                r.member,
                tuple(p for p in r.visibility.split(",") if p),
                r.time,
                body,
            )
        )
    return out


# ---- from notices to rows ----------------------------------------------------------------------


@dataclass
class _Planner:
    cell: Cell
    conn: Connection
    now: str
    offered: frozenset[str]

    def __post_init__(self) -> None:
        self._settings: dict[str, prefs.MemberSettings] = {}
        self._hooks: dict[str, list[prefs.Webhook]] = {}

    def settings(self, member: str) -> prefs.MemberSettings:
        if member not in self._settings:
            self._settings[member] = prefs.load_settings(self.conn, member)
        return self._settings[member]

    def hooks(self, party: str) -> list[prefs.Webhook]:
        if prefs.WEBHOOK not in self.offered:
            return []
        if party not in self._hooks:
            self._hooks[party] = prefs.party_hooks(self.conn, party)
        return self._hooks[party]

    def row(
        self, e: rules.Entry, recipient: str, party: str, channel: str, found: list[rules.Notice]
    ) -> dict[str, Any]:
        urgency = min((n.urgency for n in found), key=prefs.RANK.__getitem__)
        web = channel == prefs.WEB
        return {
            "entry_idx": e.idx,
            "recipient": recipient,
            "channel": channel,
            "item": "",  # the entry's items for a recipient travel together
            "delivery": delivery_id(self.cell.ledger.origin, e.idx, recipient, channel, ""),
            "party": party,
            "kind": e.kind,
            "urgency": urgency,
            "rank": prefs.RANK[urgency],
            "payload": json.dumps(
                {"items": [n.item for n in found], "urgencies": [n.urgency for n in found]},
                ensure_ascii=False,
                sort_keys=True,
            ),
            # The web channel is delivered by being stored: pages read it from here.
            "state": SENT if web else PENDING,
            "attempts": 0,
            "next_at": None if web else self.now,
            "last_error": None,
            "created_at": self.now,
            "sent_at": self.now if web else None,
            "read_at": None,
        }

    def rows(self, e: rules.Entry, found: list[rules.Notice]) -> list[dict[str, Any]]:
        out = []
        for member, mine in rules.by_member(found).items():
            s = self.settings(member)
            for channel in prefs.CHANNELS:
                items = [n for n in mine if channel in s.channels_for(n.urgency, self.offered)]
                if items:
                    out.append(self.row(e, member, items[0].party, channel, items))
        for party in sorted({n.party for n in found}):
            theirs = [n for n in found if n.party == party]
            for hook in self.hooks(party):
                items = []
                for n in theirs:
                    wanted = n.urgency in hook.urgencies or n.urgency == prefs.FLASH
                    if wanted and all(n.item != m.item for m in items):
                        items.append(n)
                if items:
                    rcpt = prefs.HOOK_PREFIX + hook.id
                    out.append(self.row(e, rcpt, party, prefs.WEBHOOK, items))
        return out


def plan(cell: Cell, conn: Connection, entries: Sequence[rules.Entry]) -> list[dict[str, Any]]:
    """The outbox rows `entries` cause, as the members' settings stand now."""
    ctx = rules.Context(cell.charter, cell.ledger.genesis)
    planner = _Planner(cell, conn, rfc3339(cell.clock.now()), prefs.available(cell.settings))
    out: list[dict[str, Any]] = []
    for e in entries:
        # Hand the GIL over between entries: the notifier runs beside the append path and
        # the live stream, which should not wait a whole switch interval (5 ms) for it.
        time.sleep(0)
        found = rules.notices(conn, ctx, e)
        if found:
            out.extend(planner.rows(e, found))
    return out


def enqueue(cell: Cell, *, limit: int = CHUNK) -> tuple[int, list[dict[str, Any]]]:
    """One step: the notifications of up to `limit` entries after the cursor, written with
    the cursor's move in one transaction. Returns (entries read, rows written); (0, [])
    when there is nothing new, or when another notifier moved the cursor meanwhile."""
    with reading(cell.engine) as conn:
        start = cursor(conn)
        entries = _read_entries(conn, -1 if start is None else start, limit)
        if not entries:
            return 0, []
        rows = plan(cell, conn, entries)
    last = entries[-1].idx
    try:
        with transaction(cell.engine) as conn:
            if start is None:
                conn.execute(insert(notify_cursor).values(name=CURSOR, idx=last))
            else:
                moved = conn.execute(
                    update(notify_cursor)
                    .where(notify_cursor.c.name == CURSOR, notify_cursor.c.idx == start)
                    .values(idx=last)
                )
                if moved.rowcount != 1:
                    raise _Raced  # noqa: TRY301 - leaves the transaction, rolled back
            if rows:
                conn.execute(insert(notify_outbox), rows)
    except (_Raced, IntegrityError):
        return 0, []  # another notifier took these entries: nothing written here
    return len(entries), rows


class _Raced(Exception):
    pass


# ---- the sender's bookkeeping --------------------------------------------------------------


def due(conn: Connection, now: str, limit: int, busy: Sequence[int] = ()) -> list[Any]:
    """Pending rows whose time has come, most urgent first, then oldest."""
    c = notify_outbox.c
    q = (
        select(notify_outbox)
        .where(c.state == PENDING, c.next_at <= now)
        .order_by(c.rank, c.id)
        .limit(limit)
    )
    if busy:
        q = q.where(c.id.not_in(list(busy)))
    return list(conn.execute(q).all())


def next_due(conn: Connection) -> str | None:
    c = notify_outbox.c
    v = conn.execute(select(func.min(c.next_at)).where(c.state == PENDING)).scalar()
    return None if v is None else str(v)


def mark_sent(cell: Cell, row_id: int) -> None:
    with transaction(cell.engine) as conn:
        conn.execute(
            update(notify_outbox)
            .where(notify_outbox.c.id == row_id, notify_outbox.c.state == PENDING)
            .values(
                state=SENT,
                attempts=notify_outbox.c.attempts + 1,
                sent_at=rfc3339(cell.clock.now()),
                next_at=None,
                last_error=None,
            )
        )


def mark_failed(cell: Cell, row_id: int, error: str, *, permanent: bool = False) -> str:
    """An attempt failed: try again after the next back-off step, or give up ("failed")
    once every step was used (or at once for a failure no retry can mend)."""
    schedule = cell.settings.notify_retry
    now = cell.clock.now()
    with transaction(cell.engine) as conn:
        r = conn.execute(
            select(notify_outbox.c.attempts, notify_outbox.c.state).where(
                notify_outbox.c.id == row_id
            )
        ).first()
        if r is None or r.state != PENDING:
            return "gone"
        attempts = int(r.attempts) + 1
        if permanent or attempts > len(schedule):
            values: dict[str, Any] = {"state": FAILED, "next_at": None}
        else:
            wait = timedelta(seconds=float(schedule[attempts - 1]))
            values = {"next_at": rfc3339(now + wait)}
        conn.execute(
            update(notify_outbox)
            .where(notify_outbox.c.id == row_id)
            .values(attempts=attempts, last_error=error[:500], **values)
        )
    return str(values.get("state", PENDING))


def retry(cell: Cell, *, row_id: int | None = None, party: str | None = None) -> int:
    """Failed rows (one, or all of a party's, or all) back to pending, due now, with a
    fresh set of attempts. Returns how many."""
    c = notify_outbox.c
    cond = [c.state == FAILED]
    if row_id is not None:
        cond.append(c.id == row_id)
    if party is not None:
        cond.append(c.party == party)
    with transaction(cell.engine) as conn:
        done = conn.execute(
            update(notify_outbox)
            .where(and_(*cond))
            .values(state=PENDING, attempts=0, next_at=rfc3339(cell.clock.now()))
        )
    return int(done.rowcount)


# ---- reading ---------------------------------------------------------------------------------


def row_json(r: Any) -> dict[str, Any]:
    return {
        "id": int(r.id),
        "delivery": r.delivery,
        "entry": int(r.entry_idx),
        "kind": r.kind,
        "urgency": r.urgency,
        "channel": r.channel,
        "recipient": r.recipient,
        "party": r.party,
        "state": r.state,
        "attempts": int(r.attempts),
        "next_at": r.next_at,
        "last_error": r.last_error,
        "created_at": r.created_at,
        "sent_at": r.sent_at,
        "read_at": r.read_at,
        "items": json.loads(r.payload)["items"],
    }


def web_list(
    conn: Connection, member: str, *, after: int | None = None, limit: int = 50
) -> list[Any]:
    """The member's web notifications: newest first, or with `after` those after that id,
    oldest first."""
    c = notify_outbox.c
    q = select(notify_outbox).where(c.recipient == member, c.channel == prefs.WEB)
    if after is not None:
        return list(conn.execute(q.where(c.id > after).order_by(c.id).limit(limit)).all())
    return list(conn.execute(q.order_by(c.id.desc()).limit(limit)).all())


def web_counts(conn: Connection, member: str) -> tuple[int, int]:
    """(unread count, newest id) of the member's web notifications."""
    c = notify_outbox.c
    mine = and_(c.recipient == member, c.channel == prefs.WEB)
    unread = conn.execute(
        select(func.count()).select_from(notify_outbox).where(mine, c.read_at.is_(None))
    ).scalar()
    newest = conn.execute(select(func.max(c.id)).where(mine)).scalar()
    return int(unread or 0), int(newest or 0)


def web_newest(conn: Connection) -> int:
    """The newest web notification of anyone (what the live feed watches)."""
    c = notify_outbox.c
    return int(conn.execute(select(func.max(c.id)).where(c.channel == prefs.WEB)).scalar() or 0)


def mark_read(cell: Cell, member: str, *, upto: int | None = None, one: int | None = None) -> int:
    """Mark the member's web notifications read: one, or every one up to `upto`."""
    c = notify_outbox.c
    cond = [c.recipient == member, c.channel == prefs.WEB, c.read_at.is_(None)]
    if one is not None:
        cond.append(c.id == one)
    elif upto is not None:
        cond.append(c.id <= upto)
    with transaction(cell.engine) as conn:
        if one is not None:
            mine = conn.execute(
                select(c.id).where(c.id == one, c.recipient == member, c.channel == prefs.WEB)
            ).first()
            if mine is None:
                raise NotFound(NO_NOTIFICATION)
        done = conn.execute(
            update(notify_outbox).where(and_(*cond)).values(read_at=rfc3339(cell.clock.now()))
        )
    return int(done.rowcount)


def party_outbox(
    conn: Connection, party: str, state: str | None = None, limit: int = 200
) -> list[Any]:
    """A party's deliveries (e-mail and webhooks), newest first: what its admin watches."""
    c = notify_outbox.c
    q = select(notify_outbox).where(c.party == party, c.channel != prefs.WEB)
    if state is not None:
        q = q.where(c.state == state)
    return list(conn.execute(q.order_by(c.id.desc()).limit(limit)).all())


def status(conn: Connection) -> dict[str, Any]:
    """The cursor against the log, and rows per channel and state (the CLI's `status`)."""
    c = notify_outbox.c
    head = conn.execute(select(func.max(log_entries.c.idx))).scalar()
    counts: dict[str, dict[str, int]] = {}
    for r in conn.execute(select(c.channel, c.state, func.count()).group_by(c.channel, c.state)):
        counts.setdefault(r[0], {})[r[1]] = int(r[2])
    return {
        "cursor": cursor(conn),
        "log_last": None if head is None else int(head),
        "outbox": counts,
        "next_due": next_due(conn),
    }

"""What each entry of the log causes to be notified, and to whom: the rules, in one place,
keyed by entry kind.

A rule reads the entry and the log's state (members, rosters, the cell's tables) and gives
`Notice`s: a member, an urgency, and the facts of one item (never a text: texts are made in
the reader's language when sent or shown). Whoever is named, a member is only told of an
entry its party may read, and never of their own entry.

    cell.message.posted          the addressed parties' members, at the message's urgency
    system.deadline.missed       per item: the owing party's duty holder, at the item's urgency
    system.escalation.notified   per item: the members of each target (party, role)
    system.line_check.sent       each checked party's duty holder, IMMEDIATE
    line.check.requested         the same
    line.status.declared         every member, FLASH
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select

from fusioncell.authz import Role
from fusioncell.charter.schema import Charter
from fusioncell.clock import parse_rfc3339
from fusioncell.deadlines.projector import MISSED, NOTIFIED, items_of
from fusioncell.deesc import kinds as deesc_kinds
from fusioncell.deesc.tables import deesc_conflicts
from fusioncell.duty.queries import on_duty
from fusioncell.errors import Invalid
from fusioncell.ledger.entry import SYSTEM_MEMBER
from fusioncell.ledger.tables import log_members
from fusioncell.ledger.trust import Genesis
from fusioncell.line import kinds as line_kinds
from fusioncell.messaging.kinds import POSTED
from fusioncell.messaging.projector import addressed
from fusioncell.messaging.tables import cell_messages
from fusioncell.notify.prefs import LEVELS

LINE_CHECK_SENT = line_kinds.SENT
LINE_CHECK_REQUESTED = line_kinds.REQUESTED
LINE_STATUS = line_kinds.DECLARED
ACTIVITY = deesc_kinds.ACTIVITY
CONFLICT_URGENCY = "IMMEDIATE"
FALLBACK_URGENCY = "IMMEDIATE"  # a deadline item whose refs name no urgency


@dataclass(frozen=True, slots=True)
class Entry:
    """A log entry as the notifier reads it (its row and its body, without the salt)."""

    idx: int
    kind: str
    subject: str
    party: str
    member: str
    visibility: tuple[str, ...]
    time: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Notice:
    member: str
    party: str
    urgency: str
    item: dict[str, Any]  # JSON facts of what happened


@dataclass(frozen=True, slots=True)
class Context:
    charter: Charter
    genesis: Genesis


Rule = Callable[[Connection, Context, Entry], list[Notice]]


# ---- who ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Member:
    member: str
    party: str
    role: str


_c = log_members.c
_MEMBERS = (
    select(_c.member, _c.party, _c.role)
    .where(
        _c.party.in_(bindparam("parties", expanding=True)),
        _c.added < bindparam("at"),
        or_(_c.disabled.is_(None), _c.disabled > bindparam("at")),
    )
    .order_by(_c.party, _c.member)
)
# Built once: the notifier asks for every entry, and building a statement costs more than
# running this one.
_MEMBERS_IN_ROLE = _MEMBERS.where(_c.role == bindparam("role"))


def members(
    conn: Connection, at: int, parties: Iterable[str], role: str | None = None
) -> list[_Member]:
    """The members of `parties` (with `role`) who were members when entry `at` was written."""
    params: dict[str, Any] = {"parties": sorted(set(parties)), "at": at}
    if role is not None:
        params["role"] = role
    rows = conn.execute(_MEMBERS if role is None else _MEMBERS_IN_ROLE, params)
    return [_Member(*r) for r in rows]


def duty_holders(conn: Connection, at: int, time: str, party: str) -> list[_Member]:
    """Who answers for `party` now: the member holding its duty (the roster), else the
    party's duty officers."""
    holder = on_duty(conn, party, parse_rfc3339(time))
    if holder is not None:
        found = [m for m in members(conn, at, [party]) if m.member == holder]
        if found:
            return found
    return members(conn, at, [party], Role.DUTY_OFFICER.value)


def _urgency(item: dict[str, Any]) -> str:
    refs = item.get("refs")
    level = refs.get("urgency") if isinstance(refs, dict) else None
    return level if level in LEVELS else FALLBACK_URGENCY


def _deadline_item(item: dict[str, Any]) -> dict[str, Any]:
    keep = ("key", "kind", "subject", "party", "due", "step", "refs", "targets")
    return {k: item[k] for k in keep if k in item}


# ---- the rules --------------------------------------------------------------------------------


_ACK_DUE = select(cell_messages.c.ack_due).where(cell_messages.c.idx == bindparam("idx"))


def _posted(conn: Connection, ctx: Context, e: Entry) -> list[Notice]:
    thread = e.body.get("thread")
    urgency = e.body.get("urgency")
    if not isinstance(thread, str) or urgency not in LEVELS:
        return []
    due = conn.execute(_ACK_DUE, {"idx": e.idx}).scalar()
    item: dict[str, Any] = {
        "what": "message",
        "thread": thread,
        "message": e.idx,
        "party": e.party,
        "member": e.member,
        "time": e.time,
        "due": due,
    }
    to = addressed(ctx.charter, list(e.visibility), e.party)
    return [Notice(m.member, m.party, str(urgency), item) for m in members(conn, e.idx, to)]


def _items(e: Entry) -> list[dict[str, Any]]:
    try:
        return items_of(e.body)
    except Invalid:
        return []


def _missed(conn: Connection, ctx: Context, e: Entry) -> list[Notice]:
    out = []
    for it in _items(e):
        party = it.get("party")
        if not isinstance(party, str):
            continue
        item = {"what": "missed", **_deadline_item(it)}
        for m in duty_holders(conn, e.idx, e.time, party):
            out.append(Notice(m.member, m.party, _urgency(it), item))
    return out


def _escalated(conn: Connection, ctx: Context, e: Entry) -> list[Notice]:
    out = []
    for it in _items(e):
        item = {"what": "escalation", **_deadline_item(it)}
        targets = it.get("targets")
        for t in targets if isinstance(targets, list) else []:
            if not isinstance(t, dict):
                continue
            party, role = t.get("party"), t.get("role")
            if not isinstance(party, str) or not isinstance(role, str):
                continue
            for m in members(conn, e.idx, [party], role):
                out.append(Notice(m.member, m.party, _urgency(it), item))
    return out


def _line_check(conn: Connection, ctx: Context, e: Entry) -> list[Notice]:
    parties = e.body.get("parties")
    if not isinstance(parties, list):
        return []
    check = e.body.get("check")
    out = []
    for p in parties:
        if not isinstance(p, str):
            continue
        item = {"what": "line_check", "check": check, "party": p, "time": e.time}
        for m in duty_holders(conn, e.idx, e.time, p):
            out.append(Notice(m.member, m.party, line_kinds.URGENCY, item))
    return out


def _line_status(conn: Connection, ctx: Context, e: Entry) -> list[Notice]:
    item = {
        "what": "line_status",
        **{k: v for k, v in e.body.items() if k != "salt"},
        "by": {"party": e.party, "member": e.member},
        "time": e.time,
    }
    return [
        Notice(m.member, m.party, "FLASH", item) for m in members(conn, e.idx, ctx.charter.codes)
    ]


_CONFLICTS = (
    select(deesc_conflicts.c.with_kind, deesc_conflicts.c.with_ref)
    .where(deesc_conflicts.c.activity == bindparam("idx"))
    .order_by(deesc_conflicts.c.with_kind, deesc_conflicts.c.with_ref)
)


def _activity(conn: Connection, ctx: Context, e: Entry) -> list[Notice]:
    """A planned activity that conflicts with an agreed zone or another party's activity:
    every party is told (the projector recorded the conflicts with the entry)."""
    found = [{"with": k, "ref": r} for k, r in conn.execute(_CONFLICTS, {"idx": e.idx})]
    if not found:
        return []
    item = {"what": "conflict", "activity": e.idx, "party": e.party, "time": e.time}
    item["conflicts"] = found
    return [
        Notice(m.member, m.party, CONFLICT_URGENCY, item)
        for m in members(conn, e.idx, e.visibility)
    ]


RULES: dict[str, Rule] = {
    POSTED: _posted,
    MISSED: _missed,
    NOTIFIED: _escalated,
    LINE_CHECK_SENT: _line_check,
    LINE_CHECK_REQUESTED: _line_check,
    LINE_STATUS: _line_status,
    ACTIVITY: _activity,
}
KINDS = frozenset(RULES)


def notices(conn: Connection, ctx: Context, e: Entry) -> list[Notice]:
    """Everything entry `e` causes to be notified, to members whose party may read it
    (never to its own author)."""
    rule = RULES.get(e.kind)
    if rule is None:
        return []
    out = []
    for n in rule(conn, ctx, e):
        if not ctx.genesis.may_read(n.party, e.visibility):
            continue
        if e.member != SYSTEM_MEMBER and n.member == e.member:
            continue
        out.append(n)
    return out


def by_member(found: Sequence[Notice]) -> dict[str, list[Notice]]:
    """The notices per member, items in order and each once."""
    out: dict[str, list[Notice]] = {}
    for n in found:
        mine = out.setdefault(n.member, [])
        if all(m.item != n.item or m.urgency != n.urgency for m in mine):
            mine.append(n)
    return out

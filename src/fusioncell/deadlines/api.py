"""What projectors call, inside the append's transaction, to open and close deadlines.

Everything here reads only the entry and earlier state, so `rebuild` gives the same rows.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, insert, update

from fusioncell.charter.schema import Charter, UrgencyLevel
from fusioncell.clock import rfc3339
from fusioncell.deadlines.tables import deadlines

ACK = "cell.ack"  # an addressed party owes an acknowledgement of a message

OPEN = "open"
MET = "met"
CANCELLED = "cancelled"
DONE = "done"  # passed, and every escalation step taken
CLOSING = frozenset({MET, CANCELLED})

# Keys of a system entry's body; an item's refs may not take them.
RESERVED = frozenset({"key", "kind", "party", "due", "step", "targets", "salt"})

_INSERT = insert(deadlines)
_CLOSE = (
    update(deadlines)
    .where(deadlines.c.key == bindparam("b_key"), deadlines.c.state == OPEN)
    .values(state=bindparam("b_state"), closed_idx=bindparam("b_idx"), next_at=None)
)


def ack_key(message: int, party: str) -> str:
    return f"ack:{message}:{party}"


def escalation_plan(
    charter: Charter, level: UrgencyLevel, party: str, due: datetime
) -> list[dict[str, Any]]:
    """The urgency's escalation steps for an item owed by `party`, repeats included, as
    absolute times in order and resolved targets (own: that party; supervisor: the
    supervising party)."""
    plan = []
    for step in level.escalation:
        targets = [charter.notified(t, party) for t in step.targets]
        notify = [{"party": p, "role": r.value} for p, r in targets]
        for after in step.times:
            plan.append((after, {"at": rfc3339(due + after), "notify": notify}))
    plan.sort(key=lambda p: p[0])  # stable: a repeat and a later step at once keep their order
    return [p for _, p in plan]


def open_deadline(
    conn: Connection,
    *,
    key: str,
    kind: str,
    subject: str,
    refs: Mapping[str, Any],
    party: str,
    visibility: Sequence[str],
    due: datetime,
    plan: list[dict[str, Any]],
    idx: int,
) -> None:
    """Open a deadline (the entry at `idx` starts its clock). The key must be new."""
    if RESERVED & refs.keys():
        raise ValueError(f"refs may not use {sorted(RESERVED & refs.keys())}")
    at = rfc3339(due)
    conn.execute(
        _INSERT,
        {
            "key": key,
            "kind": kind,
            "subject": subject,
            "refs": json.dumps(dict(refs), sort_keys=True, ensure_ascii=False),
            "party": party,
            "visibility": "," + ",".join(visibility) + ",",
            "due": at,
            "plan": json.dumps(plan, ensure_ascii=False),
            "next_at": at,
            "step": 0,
            "state": OPEN,
            "opened_idx": idx,
            "closed_idx": None,
        },
    )
    _wake(due)


def close_deadline(conn: Connection, key: str, state: str, idx: int) -> bool:
    """Met or cancelled by the entry at `idx`: no further action. A deadline no longer
    open (done, or closed already) is left as it is. Returns whether it was open."""
    if state not in CLOSING:
        raise ValueError(f"a deadline is closed as {sorted(CLOSING)}, not {state!r}")
    done = conn.execute(_CLOSE, {"b_key": key, "b_state": state, "b_idx": idx})
    return bool(done.rowcount)


# ---- waking engines in this process ---------------------------------------------------------
# An engine sleeps until the next deadline it knows of; a deadline opened meanwhile in this
# process tells it its time (before the commit, so the engine keeps the time rather than
# reading a row that may not be committed yet).


class Wakeable(Protocol):
    def hint(self, at: datetime) -> None: ...


_engines: weakref.WeakSet[Wakeable] = weakref.WeakSet()
_engines_lock = threading.Lock()


def register(engine: Wakeable) -> None:
    with _engines_lock:
        _engines.add(engine)


def unregister(engine: Wakeable) -> None:
    with _engines_lock:
        _engines.discard(engine)


def _wake(at: datetime) -> None:
    with _engines_lock:
        engines = list(_engines)
    for e in engines:
        e.hint(at)

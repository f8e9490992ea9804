"""The projector of the engine's system entries: each advances its deadline by one step.

It refuses (Conflict) an entry whose step is not the deadline's next one, or that comes
before its time: appends are serialised (the log head's lock), so however many engines
race, each step is in the log exactly once. The engine's lock only saves wasted work.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from fusioncell.deadlines.api import DONE, OPEN
from fusioncell.deadlines.tables import deadlines
from fusioncell.errors import Conflict, Forbidden, Invalid
from fusioncell.ledger.entry import SYSTEM_MEMBER, Entry

MISSED = "system.deadline.missed"  # step 0: the deadline passed unmet
NOTIFIED = "system.escalation.notified"  # step k: the k-th escalation step's targets told
KINDS = frozenset({MISSED, NOTIFIED})

_ROW = select(deadlines).where(deadlines.c.key == bindparam("k"))
_ADVANCE = (
    update(deadlines)
    .where(deadlines.c.key == bindparam("b_key"))
    .values(step=bindparam("b_step"), next_at=bindparam("b_next"), state=bindparam("b_state"))
)


def action(row: Any) -> tuple[str, dict[str, Any]]:
    """The system entry (kind, body) that takes `row`'s next step."""
    body: dict[str, Any] = {
        **json.loads(row.refs),
        "key": row.key,
        "kind": row.kind,
        "party": row.party,
        "due": row.due,
        "step": int(row.step),
    }
    if row.step == 0:
        return MISSED, body
    body["targets"] = json.loads(row.plan)[row.step - 1]["notify"]
    return NOTIFIED, body


def project_deadline_entries(conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
    # Only the engine writes these (members are refused system kinds by the log policy):
    # the refusals below are for the program, in English, not for a page.
    kind = entry.statement.kind
    if kind not in KINDS:
        return
    if entry.statement.author.member != SYSTEM_MEMBER:
        raise Forbidden("deadline entries are written by the system")
    row = conn.execute(_ROW, {"k": body.get("key")}).first()
    if row is None:
        raise Invalid("no such deadline")
    step = body.get("step")
    if row.state != OPEN or step != row.step or (kind == MISSED) != (step == 0):
        raise Conflict(
            "deadline %(key)s: step %(step)s is not its next step", key=row.key, step=step
        )
    if row.next_at is None or entry.time < row.next_at:
        raise Conflict("deadline %(key)s: its next step is not due yet", key=row.key)
    _, want = action(row)
    st = entry.statement
    vis = "," + ",".join(st.visibility) + ","
    if {k: body.get(k) for k in want} != want or st.subject != row.subject or vis != row.visibility:
        raise Invalid("the entry does not match deadline %(key)s", key=row.key)
    plan = json.loads(row.plan)
    done = step >= len(plan)  # step s is followed by plan[s], the (s+1)-th escalation step
    conn.execute(
        _ADVANCE,
        {
            "b_key": row.key,
            "b_step": step + 1,
            "b_next": None if done else plan[step]["at"],
            "b_state": DONE if done else OPEN,
        },
    )

"""The projector of the engine's system entries: each item advances its deadline one step.

The engine batches: one entry carries every deadline of the same visibility whose step falls
due in a pass (`{"items": [...]}`), so a burst of ten thousand passing deadlines is a few
dozen appends, not twenty thousand. The projector refuses (Conflict) the whole entry if any
item's step is not its deadline's next one, or comes before its time: appends are
serialised (the log head's lock), so however many engines race, each step is in the log
exactly once. The engine's lock only saves wasted work.
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
SUBJECT = "deadlines"
MAX_ITEMS = 250  # per entry: about 100 KB of body, well under the log's 1 MiB

_ROWS = select(deadlines).where(deadlines.c.key.in_(bindparam("keys", expanding=True)))
_ADVANCE = (
    update(deadlines)
    .where(deadlines.c.key == bindparam("b_key"))
    .values(step=bindparam("b_step"), next_at=bindparam("b_next"), state=bindparam("b_state"))
)


def action(row: Any) -> tuple[str, dict[str, Any]]:
    """The entry kind and the item that take `row`'s next step."""
    item: dict[str, Any] = {
        "key": row.key,
        "kind": row.kind,
        "subject": row.subject,
        "party": row.party,
        "due": row.due,
        "step": int(row.step),
        "refs": json.loads(row.refs),
    }
    if row.step == 0:
        return MISSED, item
    item["targets"] = json.loads(row.plan)[row.step - 1]["notify"]
    return NOTIFIED, item


def items_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of a missed or notified entry's body (for other capabilities' projectors)."""
    items = body.get("items")
    if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
        raise Invalid("a deadline entry carries 1 to %(n)s items", n=MAX_ITEMS)
    if not all(isinstance(i, dict) for i in items):
        raise Invalid("each item of a deadline entry is an object")
    return items


def project_deadline_entries(conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
    # Only the engine writes these (members are refused system kinds by the log policy):
    # the refusals below are for the program, in English, not for a page.
    kind = entry.statement.kind
    if kind not in KINDS:
        return
    st = entry.statement
    if st.author.member != SYSTEM_MEMBER:
        raise Forbidden("deadline entries are written by the system")
    if st.subject != SUBJECT:
        raise Invalid("deadline entries have the subject %(s)s", s=SUBJECT)
    vis = "," + ",".join(st.visibility) + ","
    items = items_of(body)
    keys = [i.get("key") for i in items]
    if not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys):
        raise Invalid("each item names a different deadline")
    rows = {r.key: r for r in conn.execute(_ROWS, {"keys": keys})}
    advance = []
    for item in items:
        row = rows.get(item["key"])
        if row is None:
            raise Invalid("no such deadline")
        step = item.get("step")
        if row.state != OPEN or step != row.step or (kind == MISSED) != (step == 0):
            raise Conflict(
                "deadline %(key)s: step %(step)s is not its next step", key=row.key, step=step
            )
        if row.next_at is None or entry.time < row.next_at:
            raise Conflict("deadline %(key)s: its next step is not due yet", key=row.key)
        if action(row) != (kind, item) or vis != row.visibility:
            raise Invalid("the entry does not match deadline %(key)s", key=row.key)
        plan = json.loads(row.plan)
        done = step >= len(plan)  # step s is followed by plan[s], the (s+1)-th escalation step
        advance.append(
            {
                "b_key": row.key,
                "b_step": step + 1,
                "b_next": None if done else plan[step]["at"],
                "b_state": DONE if done else OPEN,
            }
        )
    conn.execute(_ADVANCE, advance)  # one executemany for the batch

"""Reading the log as a member sees it: the newest entries their party may read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import visible
from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.ledger.canonical import loads_canonical
from fusioncell.ledger.tables import log_bodies, log_entries

LATEST = 20


# The columns entry_item reads: select these, joined on the body, to shape entries.
ITEM_COLUMNS = (
    log_entries.c.idx,
    log_entries.c.kind,
    log_entries.c.subject,
    log_entries.c.party,
    log_entries.c.member,
    log_entries.c.time,
    log_entries.c.visibility,
    log_bodies.c.body,
)


def entry_item(r: Any) -> dict[str, Any]:
    """One entry as members see it (/api/v1/entries, the live stream): the body without
    its salt, which exists only to hide the body's hash from those who may not read it."""
    body = loads_canonical(bytes(r.body))
    body.pop("salt", None)
    return {
        "index": int(r.idx),
        "kind": r.kind,
        "subject": r.subject,
        "party": r.party,
        "member": r.member,
        "time": r.time,
        "visibility": r.visibility.strip(",").split(","),
        "body": body,
    }


def latest_entries(
    cell: Cell, who: Principal, limit: int = LATEST, before: int | None = None
) -> list[dict[str, Any]]:
    """Newest first, through the one visibility filter; `before` pages back."""
    q = (
        select(*ITEM_COLUMNS)
        .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
        .order_by(log_entries.c.idx.desc())
        .limit(limit)
    )
    if before is not None:
        q = q.where(log_entries.c.idx < before)
    q = visible(q, who, cell.ledger.genesis)
    with reading(cell.engine) as conn:
        rows = conn.execute(q).all()
    return [entry_item(r) for r in rows]

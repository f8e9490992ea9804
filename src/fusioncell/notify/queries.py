"""Reading notifications as a member sees them: their web notifications in words, the
unread count, a party's deliveries for its admin."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from fusioncell.authz import Principal
from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.errors import N_, Conflict, NotFound
from fusioncell.identity.accounts import member_language
from fusioncell.notify import outbox, prefs, texts
from fusioncell.notify.tables import notify_outbox
from fusioncell.web.i18n import LOCALES

NO_DELIVERY = N_("no such delivery")


def reader_language(cell: Cell, who: Principal, asked: str | None = None) -> str:
    """`asked` if the cell speaks it, else the member's choice, else their party's."""
    charter = cell.charter
    party = charter.party(who.party)
    for lang in [asked, member_language(cell.engine, who.member), *party.languages]:
        if lang in LOCALES:
            return str(lang)
    return "en"


def _item(cell: Cell, conn: Any, r: Any, lang: str, zone: str) -> dict[str, Any]:
    items = json.loads(r.payload)["items"]
    # The web channel shows what people wrote: the reader's party may read the entry.
    w = texts.describe(cell, conn, r.kind, r.urgency, items, lang, zone, with_text=True, base="")
    return {
        "id": int(r.id),
        "delivery": r.delivery,
        "entry": int(r.entry_idx),
        "kind": r.kind,
        "urgency": r.urgency,
        "urgency_name": w.urgency,
        "title": w.subject,
        "lines": w.lines,
        "link": w.link,
        "time": r.created_at,
        "read": r.read_at is not None,
        "items": items,
    }


def web_items(
    cell: Cell, who: Principal, lang: str, *, after: int | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The member's web notifications in `lang`: newest first, or after `after`, oldest
    first."""
    zone = cell.charter.party(who.party).timezone
    with reading(cell.engine) as conn:
        rows = outbox.web_list(conn, who.member, after=after, limit=limit)
        return [_item(cell, conn, r, lang, zone) for r in rows]


def counts(cell: Cell, who: Principal) -> tuple[int, int]:
    """(unread, newest id) of the member's web notifications."""
    with reading(cell.engine) as conn:
        return outbox.web_counts(conn, who.member)


def party_deliveries(cell: Cell, who: Principal, state: str | None = None) -> list[dict[str, Any]]:
    """The e-mails and webhooks to the admin's party and its members, newest first. The
    URLs and addresses are not shown: they are their owners'."""
    with reading(cell.engine) as conn:
        return [outbox.row_json(r) for r in outbox.party_outbox(conn, who.party, state)]


def do_retry(cell: Cell, who: Principal, row_id: int) -> int:
    """A failed delivery of the admin's party, back in the queue (another party's and a
    missing one give the same 404)."""
    with reading(cell.engine) as conn:
        r = conn.execute(
            select(notify_outbox.c.state).where(
                notify_outbox.c.id == row_id,
                notify_outbox.c.party == who.party,
                notify_outbox.c.channel != prefs.WEB,
            )
        ).first()
    if r is None:
        raise NotFound(NO_DELIVERY)
    if r.state != outbox.FAILED:
        raise Conflict(N_("only a failed delivery can be tried again"))
    return outbox.retry(cell, row_id=row_id, party=who.party)

"""Reading commercial opportunities as a member sees them.

Every query goes through `_visible`: a party reads the proposals it is a party of, or all
of them where the charter says it sees all (the log's one visibility rule); a hidden
proposal and a missing one get the same 404."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Select, func, select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import where_readable
from fusioncell.cell import Cell
from fusioncell.commerce import kinds
from fusioncell.commerce.projector import NO_PROPOSAL, counterparties, latest_interest
from fusioncell.commerce.tables import (
    commerce_documents,
    commerce_interest,
    commerce_proposals,
    commerce_stages,
    commerce_versions,
)
from fusioncell.db import reading
from fusioncell.errors import N_, Invalid, NotFound
from fusioncell.messaging.projector import split
from fusioncell.messaging.tables import cell_attachments

NO_FILE = N_("no such file")
MAX_LIST = 500


def _visible(q: Select[Any], cell: Cell, who: Principal) -> Select[Any]:
    return where_readable(q, commerce_proposals.c.parties, who, cell.ledger.genesis)


def _select() -> Select[Any]:
    """A proposal with the entry of its current version (submitted or revised), whose
    title and description are the ones shown (and translated)."""
    current = (
        select(func.max(commerce_versions.c.idx))
        .where(commerce_versions.c.proposal == commerce_proposals.c.id)
        .scalar_subquery()
    )
    return select(commerce_proposals, current.label("current_idx"))


def _summary(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "parties": split(r.parties),
        "party": r.party,
        "member": r.member,
        "submitted": {"index": int(r.submitted_idx), "time": r.submitted_at},
        "sector": r.sector,
        "title": r.title,
        "lang": r.lang,
        "value": {"amount": int(r.amount), "currency": r.currency} if r.currency else None,
        "understanding": r.understanding,
        "version": int(r.version),
        "current_index": int(r.current_idx),
        "stage": r.stage,
        "stage_at": r.stage_at,
        "last": {"index": int(r.last_idx), "time": r.last_at},
    }


def proposals(
    cell: Cell, who: Principal, stage: str | None = None, sector: str | None = None
) -> list[dict[str, Any]]:
    """The proposals the member may see, most recently active first; `stage` and `sector`
    keep only those."""
    if stage is not None and stage not in kinds.STAGES:
        raise Invalid(N_("stage must be one of %(stages)s"), stages=", ".join(kinds.STAGES))
    if sector is not None and sector not in kinds.SECTORS:
        raise Invalid(N_("sector must be one of %(sectors)s"), sectors=", ".join(kinds.SECTORS))
    q = _visible(_select(), cell, who)
    if stage:
        q = q.where(commerce_proposals.c.stage == stage)
    if sector:
        q = q.where(commerce_proposals.c.sector == sector)
    q = q.order_by(commerce_proposals.c.last_idx.desc()).limit(MAX_LIST)
    with reading(cell.engine) as conn:
        return [_summary(r) for r in conn.execute(q)]


def _row(conn: Connection, cell: Cell, who: Principal, proposal: str) -> Any:
    q = _visible(_select(), cell, who).where(commerce_proposals.c.id == proposal)
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(NO_PROPOSAL)
    return row


def proposal_view(cell: Cell, who: Principal, proposal: str) -> dict[str, Any]:
    """A proposal: its current version, every version, the parties' interest (every
    statement, and each party's latest), the history of its stages, and what may come next."""
    charter = cell.charter
    with reading(cell.engine) as conn:
        r = _row(conn, cell, who, proposal)
        versions = [
            {"index": int(v.idx), "member": v.member, "time": v.time, **json.loads(v.content)}
            for v in conn.execute(
                select(commerce_versions)
                .where(commerce_versions.c.proposal == proposal)
                .order_by(commerce_versions.c.idx)
            )
        ]
        interest = [
            {
                "index": int(i.idx),
                "party": i.party,
                "member": i.member,
                "level": i.level,
                "text": i.text,
                "lang": i.lang,
                "time": i.time,
            }
            for i in conn.execute(
                select(commerce_interest)
                .where(commerce_interest.c.proposal == proposal)
                .order_by(commerce_interest.c.idx)
            )
        ]
        stages = [
            {
                "index": int(s.idx),
                "party": s.party,
                "member": s.member,
                "from": s.from_stage,
                "stage": s.stage,
                "text": s.text,
                "lang": s.lang,
                "time": s.time,
            }
            for s in conn.execute(
                select(commerce_stages)
                .where(commerce_stages.c.proposal == proposal)
                .order_by(commerce_stages.c.idx)
            )
        ]
        latest = latest_interest(conn, proposal)
    others = counterparties(charter, split(r.parties), r.party)
    final = r.stage in kinds.FINAL
    nxt = kinds.NEXT.get(r.stage)
    return {
        "proposal": {
            **_summary(r),
            "description": r.description,
            "partners": json.loads(r.partners),
            "documents": json.loads(r.documents),
        },
        "counterparties": others,
        "interest_now": {p: latest.get(p) for p in others},
        "versions": versions,
        "interest": interest,
        "stages": stages,
        "next": [] if final else [s for s in (nxt, kinds.DECLINED) if s],
    }


def document(cell: Cell, who: Principal, proposal: str, sha256: str) -> tuple[bytes, str]:
    """A document of a proposal the member may see (named in any of its versions)."""
    with reading(cell.engine) as conn:
        _row(conn, cell, who, proposal)
        row = conn.execute(
            select(cell_attachments.c.data, cell_attachments.c.type)
            .join(commerce_documents, commerce_documents.c.sha256 == cell_attachments.c.sha256)
            .where(commerce_documents.c.proposal == proposal, cell_attachments.c.sha256 == sha256)
        ).first()
    if row is None:
        raise NotFound(NO_FILE)
    return bytes(row.data), str(row.type)

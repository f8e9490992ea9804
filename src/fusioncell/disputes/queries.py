"""Reading disputes as a member sees them.

Every query goes through `_visible`: a party reads the disputes it is a party of (the
supervisor is a party of every one); a hidden dispute and a missing one get the same 404.
A cited entry is shown as a link only where the reader's party may read it (the log's own
rule, `Ledger.may_read`); otherwise only its index, as the log itself would show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import where_readable
from fusioncell.cell import Cell
from fusioncell.clock import parse_rfc3339
from fusioncell.db import reading
from fusioncell.deadlines.api import DONE, OPEN
from fusioncell.deadlines.tables import deadlines
from fusioncell.deesc.tables import deesc_clarifications
from fusioncell.disputes import kinds
from fusioncell.disputes.projector import (
    ANSWER_CLOCK,
    NO_DISPUTE,
    NO_ENTRY,
    answering,
    responses,
    sides,
    supervisor_code,
)
from fusioncell.disputes.tables import (
    dispute_cites,
    dispute_findings,
    dispute_proposals,
    dispute_responses,
    dispute_stages,
    dispute_statements,
    disputes,
)
from fusioncell.errors import N_, Invalid, NotFound
from fusioncell.ledger.bundle import make_bundle
from fusioncell.ledger.tables import log_entries
from fusioncell.messaging.projector import split

MAX_LIST = 500


def _visible(q: Select[Any], cell: Cell, who: Principal) -> Select[Any]:
    return where_readable(q, disputes.c.parties, who, cell.ledger.genesis)


def _summary(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "parties": split(r.parties),
        "party": r.party,
        "member": r.member,
        "raised": {"index": int(r.raised_idx), "time": r.raised_at},
        "raised_at": r.raised_at,
        "title": r.title,
        "lang": r.lang,
        "understanding": r.understanding,
        "stage": r.stage,
        "stage_at": r.stage_at,
        "last": {"index": int(r.last_idx), "time": r.last_at},
    }


def check_stage(stage: str | None) -> None:
    if stage is not None and stage not in kinds.STAGES:
        raise Invalid(N_("stage must be one of %(stages)s"), stages=", ".join(kinds.STAGES))


def _list(cell: Cell, who: Principal, q: Select[Any]) -> list[dict[str, Any]]:
    q = _visible(q, cell, who).order_by(disputes.c.last_idx.desc()).limit(MAX_LIST)
    with reading(cell.engine) as conn:
        return [_summary(r) for r in conn.execute(q)]


def disputes_list(cell: Cell, who: Principal, stage: str | None = None) -> list[dict[str, Any]]:
    """The disputes the member may see, most recently active first; `stage` keeps only
    those."""
    check_stage(stage)
    q = select(disputes)
    if stage:
        q = q.where(disputes.c.stage == stage)
    return _list(cell, who, q)


def about_understanding(cell: Cell, who: Principal, understanding_id: str) -> list[dict[str, Any]]:
    """The disputes the member may see that cite understanding `understanding_id` (keys:
    id, title, stage, party, raised_at, ...)."""
    return _list(cell, who, select(disputes).where(disputes.c.understanding == understanding_id))


def referred_to_next_round(cell: Cell, who: Principal) -> list[dict[str, Any]]:
    """The disputes the member may see that were referred to the next round of talks."""
    referred = select(dispute_stages.c.dispute).where(
        dispute_stages.c.stage == kinds.ST_REFERRED,
        dispute_stages.c.referred_to == kinds.TO_NEXT_ROUND,
    )
    return _list(cell, who, select(disputes).where(disputes.c.id.in_(referred)))


def about_entry(cell: Cell, who: Principal, index: int) -> list[dict[str, Any]]:
    """The disputes the member may see that cite log entry `index`."""
    cited = select(dispute_cites.c.dispute).where(dispute_cites.c.idx == index)
    return _list(cell, who, select(disputes).where(disputes.c.id.in_(cited)))


def _row(conn: Connection, cell: Cell, who: Principal, dispute: str) -> Any:
    q = _visible(select(disputes), cell, who).where(disputes.c.id == dispute)
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(NO_DISPUTE)
    return row


def _link(conn: Connection, index: int, kind: str, subj: str) -> str | None:
    """The page that shows entry `index`, where there is one."""
    if subj.startswith("t/"):
        return f"/cell/t/{subj[2:]}#m-{index}"
    for prefix, page in (
        ("c/", "/commerce/p/"),
        ("d/", "/disputes/d/"),
        ("intel/", "/intel/r/"),
    ):
        if subj.startswith(prefix):
            return page + subj[len(prefix) :]
    if subj.startswith("rfi/"):
        return f"/intel#rfi-{subj[4:]}"
    if kind in ("deesc.incident.reported", "deesc.activity.notified"):
        return f"/deesc/items/{index}"
    if kind.startswith("deesc.clarification."):
        about = conn.execute(
            select(deesc_clarifications.c.about).where(
                (deesc_clarifications.c.idx == index)
                | (deesc_clarifications.c.answered_idx == index)
            )
        ).scalar()
        return f"/deesc/items/{about}" if about is not None else None
    return None


def entry_ref(conn: Connection, cell: Cell, who: Principal, index: int) -> dict[str, Any]:
    """What a reader may know of a cited entry: its index always; its kind, time and
    page only where its party may read it."""
    r = conn.execute(
        select(
            log_entries.c.kind, log_entries.c.subject, log_entries.c.time, log_entries.c.visibility
        ).where(log_entries.c.idx == index)
    ).first()
    if r is None or not cell.ledger.may_read(who.party, split(r.visibility)):
        return {"index": index, "readable": False, "kind": None, "time": None, "link": None}
    return {
        "index": index,
        "readable": True,
        "kind": r.kind,
        "time": r.time,
        "link": _link(conn, index, r.kind, r.subject),
    }


def citable(cell: Cell, who: Principal, index: int) -> dict[str, Any]:
    """An entry the member may cite (for /disputes/new?about=): NotFound, with the
    projector's own message, where it is missing or hidden."""
    with reading(cell.engine) as conn:
        ref = entry_ref(conn, cell, who, index)
    if not ref["readable"]:
        raise NotFound(NO_ENTRY, index=index)
    return ref


def _seconds(a: str, b: str | datetime) -> int:
    end = b if isinstance(b, datetime) else parse_rfc3339(b)
    return max(0, int((end - parse_rfc3339(a)).total_seconds()))


def dispute_view(cell: Cell, who: Principal, dispute: str) -> dict[str, Any]:
    """A dispute: the raising party's account and every party's words side by side, the
    cited entries, the supervisor's findings, the proposals with each party's answer,
    the stages with the time spent in each, and the answers still owed."""
    charter = cell.charter
    now = cell.clock.now()
    with reading(cell.engine) as conn:
        r = _row(conn, cell, who, dispute)
        cites = [
            entry_ref(conn, cell, who, int(i))
            for i in conn.execute(
                select(dispute_cites.c.idx)
                .where(dispute_cites.c.dispute == dispute)
                .order_by(dispute_cites.c.idx)
            ).scalars()
        ]
        words = [
            {
                "index": int(s.idx),
                "kind": s.kind,
                "party": s.party,
                "member": s.member,
                "text": s.text,
                "lang": s.lang,
                "time": s.time,
            }
            for s in conn.execute(
                select(dispute_statements)
                .where(dispute_statements.c.dispute == dispute)
                .order_by(dispute_statements.c.idx)
            )
        ]
        findings = [
            {
                "index": int(f.idx),
                "finding": f.finding,
                "member": f.member,
                "text": f.text,
                "lang": f.lang,
                "time": f.time,
            }
            for f in conn.execute(
                select(dispute_findings)
                .where(dispute_findings.c.dispute == dispute)
                .order_by(dispute_findings.c.idx)
            )
        ]
        all_responses = conn.execute(
            select(dispute_responses)
            .where(dispute_responses.c.dispute == dispute)
            .order_by(dispute_responses.c.idx)
        ).all()
        proposals = []
        for p in conn.execute(
            select(dispute_proposals)
            .where(dispute_proposals.c.dispute == dispute)
            .order_by(dispute_proposals.c.idx)
        ):
            proposals.append(
                {
                    "index": int(p.idx),
                    "member": p.member,
                    "text": p.text,
                    "lang": p.lang,
                    "time": p.time,
                    "current": r.proposal_idx is not None and int(p.idx) == int(r.proposal_idx),
                    "responses": [
                        {
                            "index": int(a.idx),
                            "party": a.party,
                            "member": a.member,
                            "accepted": bool(a.accepted),
                            "reason": a.reason,
                            "lang": a.lang,
                            "time": a.time,
                        }
                        for a in all_responses
                        if int(a.proposal) == int(p.idx)
                    ],
                    "now": responses(conn, dispute, int(p.idx)),
                }
            )
        stage_rows = conn.execute(
            select(dispute_stages)
            .where(dispute_stages.c.dispute == dispute)
            .order_by(dispute_stages.c.idx)
        ).all()
        clocks = conn.execute(
            select(deadlines.c.party, deadlines.c.due, deadlines.c.state).where(
                deadlines.c.kind == ANSWER_CLOCK, deadlines.c.subject == kinds.subject(dispute)
            )
        ).all()
    parties = split(r.parties)
    final = r.stage in kinds.FINAL
    stages = []
    for i, s in enumerate(stage_rows):
        until: str | datetime | None = (
            stage_rows[i + 1].time if i + 1 < len(stage_rows) else (None if final else now)
        )
        stages.append(
            {
                "index": int(s.idx),
                "from": s.from_stage,
                "stage": s.stage,
                "party": s.party,
                "member": s.member,
                "referred_to": s.referred_to,
                "text": s.text,
                "lang": s.lang,
                "time": s.time,
                "seconds": _seconds(s.time, until) if until is not None else None,
            }
        )
    spent: dict[str, int] = {}
    for step in stages:
        if step["seconds"] is not None:
            spent[step["stage"]] = spent.get(step["stage"], 0) + step["seconds"]
    owing = answering(charter, parties, r.party)
    answered = {w["party"] for w in words if w["kind"] == "answer"}
    current = next((p for p in proposals if p["current"]), None)
    return {
        "dispute": {
            **_summary(r),
            "account": r.account,
            "request": r.request,
            "proposal": int(r.proposal_idx) if r.proposal_idx is not None else None,
        },
        "supervisor": supervisor_code(charter),
        "sides": sides(charter, parties),
        "answering": owing,
        "answers_owed": [
            {"party": c.party, "due": c.due, "missed": parse_rfc3339(c.due) <= now}
            for c in clocks
            if c.party not in answered and c.state in (OPEN, DONE)
        ],
        "cites": cites,
        "statements": words,
        "findings": findings,
        "proposals": proposals,
        "current_proposal": current,
        "stages": stages,
        "time_in_stage": spent,
        "final": final,
    }


def evidence(cell: Cell, who: Principal, dispute: str) -> dict[str, Any]:
    """The evidence bundle of a dispute for the member's party (fusioncell.ledger.bundle):
    the dispute's own entries and those it cites, with proofs, offline-verifiable."""
    with reading(cell.engine) as conn:
        _row(conn, cell, who, dispute)
        own = conn.execute(
            select(log_entries.c.idx)
            .where(
                log_entries.c.subject == kinds.subject(dispute),
                log_entries.c.kind.in_(sorted(kinds.KINDS)),
            )
            .order_by(log_entries.c.idx)
        ).scalars()
        indices = {int(i) for i in own}
        indices |= {
            int(i)
            for i in conn.execute(
                select(dispute_cites.c.idx).where(dispute_cites.c.dispute == dispute)
            ).scalars()
        }
    bundle = make_bundle(cell.ledger, sorted(indices), who.party)
    bundle["about"] = {"dispute": dispute}
    return bundle

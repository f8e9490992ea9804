"""Reading joint statements as a member sees them.

Every query goes through `_visible`: a party reads the statements it is a party of, or all
of them where the charter says it sees all (the log's one visibility rule); a hidden
statement and a missing one get the same 404."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Select, select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import where_readable
from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.errors import N_, Invalid, NotFound
from fusioncell.messaging.projector import split
from fusioncell.statements import kinds
from fusioncell.statements.diff import diff_texts
from fusioncell.statements.projector import NO_STATEMENT, missing_languages
from fusioncell.statements.tables import (
    statements,
    statements_approvals,
    statements_comments,
    statements_versions,
)

MAX_LIST = 500


def _visible(q: Select[Any], cell: Cell, who: Principal) -> Select[Any]:
    return where_readable(q, statements.c.parties, who, cell.ledger.genesis)


def _summary(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "parties": split(r.parties),
        "party": r.party,
        "member": r.member,
        "round": r.round,
        "title": r.title,
        "lang": r.lang,
        "created": {"index": int(r.created_idx), "time": r.created_at},
        "version": int(r.version),
        "state": r.state,
        "adopted": (
            {"index": int(r.adopted_idx), "time": r.adopted_at}
            if r.adopted_idx is not None
            else None
        ),
        "last": {"index": int(r.last_idx), "time": r.last_at},
    }


def statements_list(cell: Cell, who: Principal, state: str | None = None) -> list[dict[str, Any]]:
    """The statements the member may see, most recently active first; `state` keeps only
    drafts or adopted ones."""
    if state is not None and state not in kinds.STATES:
        raise Invalid(N_("state must be one of %(states)s"), states=", ".join(kinds.STATES))
    q = _visible(select(statements), cell, who)
    if state:
        q = q.where(statements.c.state == state)
    q = q.order_by(statements.c.last_idx.desc()).limit(MAX_LIST)
    with reading(cell.engine) as conn:
        rows = [_summary(r) for r in conn.execute(q)]
        # The languages the current version is written in (each an original, so a reader
        # sees which exist rather than a translation).
        current = {(r["id"], r["version"]) for r in rows}
        written: dict[str, list[str]] = {}
        if rows:
            for v in conn.execute(
                select(
                    statements_versions.c.statement,
                    statements_versions.c.number,
                    statements_versions.c.texts,
                ).where(statements_versions.c.statement.in_([r["id"] for r in rows]))
            ):
                if (v.statement, int(v.number)) in current:
                    written[v.statement] = sorted(json.loads(v.texts))
    for r in rows:
        r["languages"] = written.get(r["id"], [])
    return rows


def _row(conn: Connection, cell: Cell, who: Principal, statement: str) -> Any:
    q = _visible(select(statements), cell, who).where(statements.c.id == statement)
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(NO_STATEMENT)
    return row


def _versions(conn: Connection, statement: str) -> list[dict[str, Any]]:
    return [
        {
            "number": int(v.number),
            "index": int(v.idx),
            "party": v.party,
            "member": v.member,
            "time": v.time,
            "texts": json.loads(v.texts),
            "sha256": v.sha256,
        }
        for v in conn.execute(
            select(statements_versions)
            .where(statements_versions.c.statement == statement)
            .order_by(statements_versions.c.number)
        )
    ]


def statement_view(cell: Cell, who: Principal, statement: str) -> dict[str, Any]:
    """A statement: every version (the last is current), the comments on passages, every
    approval, each party's approval of the current version, and what adoption still
    needs."""
    charter = cell.charter
    with reading(cell.engine) as conn:
        r = _row(conn, cell, who, statement)
        versions = _versions(conn, statement)
        comments = [
            {
                "index": int(c.idx),
                "version": int(c.version),
                "party": c.party,
                "member": c.member,
                "passage": {
                    "lang": c.passage_lang,
                    "start": int(c.start),
                    "end": int(c.end),
                    "quote": c.quote,
                },
                "text": c.text,
                "lang": c.lang,
                "time": c.time,
            }
            for c in conn.execute(
                select(statements_comments)
                .where(statements_comments.c.statement == statement)
                .order_by(statements_comments.c.idx)
            )
        ]
        approvals = [
            {
                "index": int(a.idx),
                "version": int(a.version),
                "party": a.party,
                "member": a.member,
                "sha256": a.sha256,
                "time": a.time,
            }
            for a in conn.execute(
                select(statements_approvals)
                .where(statements_approvals.c.statement == statement)
                .order_by(statements_approvals.c.idx)
            )
        ]
    summary = _summary(r)
    current = versions[-1]
    now = {a["party"]: a for a in approvals if a["version"] == current["number"]}
    return {
        "statement": summary,
        "languages": charter.languages,
        "current": current,
        "missing_languages": missing_languages(charter, current["texts"]),
        "versions": versions,
        "comments": comments,
        "approvals": approvals,
        "approvals_now": {p: now.get(p) for p in summary["parties"]},
    }


def statement_diff(cell: Cell, who: Principal, statement: str, a: int, b: int) -> dict[str, Any]:
    """Versions `a` and `b` side by side, word by word, per language of the cell."""
    with reading(cell.engine) as conn:
        r = _row(conn, cell, who, statement)
        versions = {v["number"]: v for v in _versions(conn, statement)}
    for n in (a, b):
        if n not in versions:
            raise NotFound(N_("this statement has no version %(n)s"), n=n)
    va, vb = versions[a], versions[b]
    return {
        "statement": _summary(r),
        "a": {k: va[k] for k in ("number", "member", "party", "time", "sha256")},
        "b": {k: vb[k] for k in ("number", "member", "party", "time", "sha256")},
        "languages": diff_texts(cell.charter.languages, va["texts"], vb["texts"]),
    }

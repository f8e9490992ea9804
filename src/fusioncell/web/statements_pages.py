"""Joint statements' pages: the list (filtered by state), a new statement, one statement
(its current version in every language side by side, comments on passages, approvals per
party, the version history) and the word-level difference between two versions.

Pages only read (fusioncell.statements.queries); every write is a statement the member's
device signs in the browser (static/js/statements.js) and appends at /log/v1/append. Who
may do what is the projector's rule; the pages offer only what it would accept."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.errors import NotFound
from fusioncell.statements import kinds, pdf, queries
from fusioncell.statements.projector import APPROVE_ROLE, DRAFT_ROLES, NO_STATEMENT
from fusioncell.web.cell_pages import _party_options
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]


def _common(request: Request, cell: Cell, who: Principal) -> dict[str, Any]:
    lang = page_language(request)
    charter = cell.charter
    languages = charter.languages
    return {
        "party_names": {p.code: localized(p.name, lang) for p in charter.parties},
        "rounds": {r.id: localized(r.place, lang) for r in charter.rounds},
        "states": kinds.STATES,
        "state_names": kinds.STATE_NAMES,
        "languages": languages,
        "default_lang": lang if lang in languages else languages[0],
        "can_append": who.can(Permission.LOG_APPEND),
        "may_draft": who.can(Permission.LOG_APPEND) and who.role.value in DRAFT_ROLES,
        "max_text": charter.cell.max_text_chars,
        "max_title": kinds.MAX_TITLE_CHARS,
    }


def _statement_id(statement: str) -> str:
    # A malformed id is as missing as a well-formed one nobody drafted (one 404).
    if not kinds.STATEMENT_RE.match(statement):
        raise NotFound(NO_STATEMENT)
    return statement


@router.get("/statements")
def statements_list(
    request: Request,
    cell: CellDep,
    who: Member,
    state: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    rows = queries.statements_list(cell, who, state or None)
    return render(
        request, "statements.html", rows=rows, state=state or "", **_common(request, cell, who)
    )


@router.get("/statements/new")
def statements_new(request: Request, cell: CellDep, who: Member) -> Response:
    return render(
        request,
        "statements_new.html",
        party_options=_party_options(cell, who),
        **_common(request, cell, who),
    )


@router.get("/statements/s/{statement}")
def statements_one(request: Request, cell: CellDep, who: Member, statement: str) -> Response:
    view = queries.statement_view(cell, who, _statement_id(statement))
    s = view["statement"]
    writer = who.can(Permission.LOG_APPEND)
    mine = who.party in s["parties"]
    draft = s["state"] == kinds.DRAFT
    ready = not view["missing_languages"]
    approved = view["approvals_now"].get(who.party) is not None
    current = view["current"]["number"]
    return render(
        request,
        "statements_one.html",
        view=view,
        s=s,
        v=view["current"],
        may_comment=writer and mine and draft,
        may_propose=writer and mine and draft and who.role.value in DRAFT_ROLES,
        may_approve=(
            writer and mine and draft and ready and not approved and who.role.value == APPROVE_ROLE
        ),
        pdf_ok=pdf.available(),
        comments_now=[c for c in view["comments"] if c["version"] == current],
        comments_before=[c for c in view["comments"] if c["version"] != current],
        **_common(request, cell, who),
    )


@router.get("/statements/s/{statement}/diff")
def statements_diff(
    request: Request,
    cell: CellDep,
    who: Member,
    statement: str,
    a: Annotated[int | None, Query(ge=1, le=2**31)] = None,
    b: Annotated[int | None, Query(ge=1, le=2**31)] = None,
) -> Response:
    sid = _statement_id(statement)
    view = queries.statement_view(cell, who, sid)
    last = view["current"]["number"]
    b = b or last
    a = a or max(1, b - 1)
    diff = queries.statement_diff(cell, who, sid, a, b)
    return render(
        request,
        "statements_diff.html",
        view=view,
        s=view["statement"],
        diff=diff,
        numbers=[v["number"] for v in view["versions"]],
        **_common(request, cell, who),
    )

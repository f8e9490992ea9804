"""Disputes' pages: the list (filtered by stage), a new dispute (`?about=<log index>` cites
that entry), and one dispute with the parties' accounts side by side, the cited entries,
the supervisor's findings and proposals, each party's answer to them, and the stages with
the time spent in each.

Pages only read (fusioncell.disputes.queries); every write is a statement the member's
device signs in the browser (static/js/disputes.js) and appends at /log/v1/append. Who
may do what is the projector's rule; the pages offer only what it would accept."""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations
from typing import Annotated, Any

from babel.dates import format_timedelta
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.api.limits import MAX_INT
from fusioncell.authz import Permission, Principal, Role
from fusioncell.cell import Cell
from fusioncell.disputes import kinds, queries
from fusioncell.disputes.projector import COMMIT_ROLES, NO_DISPUTE, SPEAK_ROLES
from fusioncell.errors import NotFound
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]


def span(lang: str) -> Any:
    """Seconds -> "3 days" in the page's language."""

    def fmt(seconds: int | None) -> str:
        if seconds is None:
            return "\u2013"
        return str(format_timedelta(timedelta(seconds=seconds), threshold=2, locale=lang))

    return fmt


def _common(request: Request, cell: Cell, who: Principal) -> dict[str, Any]:
    lang = page_language(request)
    charter = cell.charter
    languages = charter.languages
    return {
        "party_names": {p.code: localized(p.name, lang) for p in charter.parties},
        "understandings": {u.id: localized(u.text, lang) for u in charter.understandings},
        "stages": kinds.STAGES,
        "stage_names": kinds.STAGE_NAMES,
        "finding_names": kinds.FINDING_NAMES,
        "findings": kinds.FINDINGS,
        "referrals": kinds.REFERRALS,
        "referral_names": kinds.REFERRAL_NAMES,
        "languages": languages,
        "default_lang": lang if lang in languages else languages[0],
        "can_append": who.can(Permission.LOG_APPEND),
        "max_text": charter.cell.max_text_chars,
        "max_title": kinds.MAX_TITLE_CHARS,
        "max_cites": kinds.MAX_CITES,
        "span": span(lang),
    }


def _may_raise(cell: Cell, who: Principal) -> bool:
    sup = cell.charter.supervisor
    return (
        who.can(Permission.LOG_APPEND)
        and who.role.value in SPEAK_ROLES
        and (sup is None or who.party != sup.code)
    )


def _party_options(cell: Cell, who: Principal) -> list[list[str]]:
    """Whom a dispute may have: the raising party, the supervisor, and one or more of the
    others (the widest first)."""
    sup = cell.charter.supervisor
    base = {who.party} | ({sup.code} if sup else set())
    others = [p for p in cell.charter.codes if p not in base]
    return [
        sorted(base | set(chosen))
        for n in range(len(others), 0, -1)
        for chosen in combinations(others, n)
    ]


@router.get("/disputes")
def disputes_list(
    request: Request,
    cell: CellDep,
    who: Member,
    stage: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    rows = queries.disputes_list(cell, who, stage or None)
    return render(
        request,
        "disputes.html",
        disputes=rows,
        stage=stage or "",
        may_raise=_may_raise(cell, who),
        **_common(request, cell, who),
    )


@router.get("/disputes/new")
def disputes_new(
    request: Request,
    cell: CellDep,
    who: Member,
    about: Annotated[int | None, Query(ge=0, le=MAX_INT)] = None,
    understanding: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    # An entry the reader may not see is as missing as one never written (one 404).
    cited = queries.citable(cell, who, about) if about is not None else None
    return render(
        request,
        "disputes_new.html",
        cited=cited,
        chosen_understanding=understanding or "",
        may_raise=_may_raise(cell, who),
        party_options=_party_options(cell, who),
        **_common(request, cell, who),
    )


@router.get("/disputes/d/{dispute}")
def disputes_dispute(request: Request, cell: CellDep, who: Member, dispute: str) -> Response:
    # A malformed id is as missing as a well-formed one nobody raised (one 404).
    if not kinds.DISPUTE_RE.match(dispute):
        raise NotFound(NO_DISPUTE)
    view = queries.dispute_view(cell, who, dispute)
    d = view["dispute"]
    writer = who.can(Permission.LOG_APPEND)
    role = who.role.value
    open_ = not view["final"]
    speaks = writer and open_ and role in SPEAK_ROLES
    answered = {s["party"] for s in view["statements"] if s["kind"] == "answer"}
    mediator = writer and open_ and who.party == view["supervisor"] and who.role is Role.SUPERVISOR
    mediating = d["stage"] == kinds.ST_MEDIATION
    current = view["current_proposal"]
    mine_now = current["now"].get(who.party) if current else None
    all_accepted = bool(current) and all(current["now"].get(p) is True for p in view["sides"])
    commits = writer and open_ and role in COMMIT_ROLES and who.party in view["sides"]
    columns = [
        {
            "party": p,
            "raiser": p == d["party"],
            "words": [s for s in view["statements"] if s["party"] == p],
        }
        for p in [d["party"], *[p for p in view["sides"] if p != d["party"]]]
    ]
    return render(
        request,
        "disputes_dispute.html",
        view=view,
        d=d,
        columns=columns,
        may_answer=speaks and who.party in view["answering"] and who.party not in answered,
        may_state=speaks
        and who.party in view["sides"]
        and (who.party == d["party"] or who.party in answered),
        may_open=mediator and d["stage"] in (kinds.ST_RAISED, kinds.ST_ANSWERED),
        may_mediate=mediator and mediating,
        may_resolve=mediator and mediating and all_accepted,
        may_accept=commits and mediating and bool(current) and mine_now is not True,
        may_reject=commits and mediating and bool(current) and mine_now is not False,
        may_withdraw=speaks and who.party == d["party"],
        may_refer=mediator or (speaks and who.party in view["sides"]),
        **_common(request, cell, who),
    )

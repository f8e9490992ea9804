"""Understandings' pages: the list (each with its status, source, parties and next
milestone) and one understanding with the history of its status, its timeline chart,
milestones, verification reports and what is linked to it.

Pages only read (fusioncell.understandings.queries); every write is a statement the
member's device signs in the browser (static/js/understandings.js) and appends at
/log/v1/append. Who may do what is the projector's rule; the pages offer only what it
would accept."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.disputes.kinds import STAGE_NAMES as DISPUTE_STAGE_NAMES
from fusioncell.errors import N_, NotFound
from fusioncell.understandings import chart, kinds, queries
from fusioncell.understandings.projector import (
    NO_UNDERSTANDING,
    RECORDERS,
    is_supervisor,
    may_meet,
    may_steward,
)
from fusioncell.web.i18n import direction, gettext
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]

ORIGIN_NAMES = {kinds.JOINT: N_("Joint statement"), kinds.STATED: N_("Stated by one party")}
EVENT_NAMES = {
    "set": N_("Set"),
    "moved": N_("Moved"),
    "met": N_("Met"),
    "breached": N_("Missed (recorded by the cell)"),
}
# Which text of a milestone event's entry is shown (language.fields): the title of a
# milestone set is shown as the milestone's own, a breach has none.
EVENT_FIELDS = {"moved": "reason", "met": "text"}


def _text_of(u: dict[str, Any], field: str, lang: str) -> tuple[str, str | None]:
    """A text of the understanding and its language: the charter's in the reader's
    language; a recorded one as it was signed (lang set)."""
    texts: dict[str, str] = u[field]
    if u["lang"] is None:
        chosen = lang if lang in texts else ("en" if "en" in texts else next(iter(texts), ""))
        return texts.get(chosen, ""), chosen or None
    return texts.get(u["lang"], ""), u["lang"]


def _common(request: Request, cell: Cell, who: Principal) -> dict[str, Any]:
    lang = page_language(request)
    charter = cell.charter
    languages = charter.languages

    def text(u: dict[str, Any]) -> tuple[str, str | None]:
        return _text_of(u, "text", lang)

    def source(u: dict[str, Any]) -> tuple[str, str | None]:
        return _text_of(u, "source", lang)

    return {
        "party_names": {p.code: localized(p.name, lang) for p in charter.parties},
        "codes": charter.codes,
        "workstream_names": {w.id: localized(w.name, lang) for w in charter.workstreams},
        "status_names": kinds.STATUS_NAMES,
        "statuses": kinds.STATUSES,
        "needs_evidence": sorted(kinds.NEEDS_EVIDENCE),
        "assessment_names": kinds.ASSESSMENT_NAMES,
        "assessments": kinds.ASSESSMENTS,
        "ms_state_names": kinds.MILESTONE_STATE_NAMES,
        "origin_names": ORIGIN_NAMES,
        "dispute_stage_names": DISPUTE_STAGE_NAMES,
        "event_names": EVENT_NAMES,
        "event_fields": EVENT_FIELDS,
        "u_text": text,
        "u_source": source,
        "languages": languages,
        "default_lang": lang if lang in languages else languages[0],
        "can_append": who.can(Permission.LOG_APPEND),
        "max_text": charter.cell.max_text_chars,
        "max_title": kinds.MAX_TITLE_CHARS,
        "max_source": kinds.MAX_SOURCE_CHARS,
        "fmt_day": lambda d: format_date(datetime.fromisoformat(d).date(), "long", locale=lang),
    }


@router.get("/understandings")
def understandings_list(request: Request, cell: CellDep, who: Member) -> Response:
    role = who.role.value
    writer = who.can(Permission.LOG_APPEND)
    return render(
        request,
        "understandings.html",
        rows=queries.understandings_list(cell, who),
        may_record_joint=writer and is_supervisor(cell.charter, who.party, role),
        may_record_stated=writer and role in RECORDERS,
        **_common(request, cell, who),
    )


@router.get("/understandings/{understanding}")
def understanding_page(
    request: Request, cell: CellDep, who: Member, understanding: str
) -> Response:
    # A malformed id is as missing as a well-formed one nobody recorded (one 404).
    if not kinds.UNDERSTANDING_RE.match(understanding):
        raise NotFound(NO_UNDERSTANDING)
    view = queries.understanding_view(cell, who, understanding)
    u = view["understanding"]
    lang = page_language(request)
    charter = cell.charter
    role = who.role.value
    writer = who.can(Permission.LOG_APPEND)
    steward = writer and may_steward(charter, u["parties"], u["stated_by"], who.party, role)
    for m in view["milestones"]:
        m["may_meet"] = (
            writer
            and m["state"] == kinds.OPEN
            and may_meet(charter, u["parties"], u["stated_by"], m["parties"], who.party, role)
        )
    texts = chart.Texts(
        title=gettext(lang, "Milestones on the understanding's timeline"),
        start=gettext(lang, "Start"),
        end=gettext(lang, "End"),
        now=gettext(lang, "Now"),
        states={k: gettext(lang, v) for k, v in kinds.MILESTONE_STATE_NAMES.items()},
    )
    svg = chart.render(
        view["milestones"],
        u["start"],
        u["end"],
        now=cell.clock.now(),
        page_dir=direction(lang),
        texts=texts,
        fmt_date=lambda t: format_date(t, "medium", locale=lang),
        text_dir=direction,
    )
    return render(
        request,
        "understandings_item.html",
        view=view,
        u=u,
        chart=svg,
        steward=steward,
        may_verify=writer and is_supervisor(charter, who.party, role),
        may_link=writer,
        **_common(request, cell, who),
    )

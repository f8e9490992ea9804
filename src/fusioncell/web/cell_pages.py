"""The communication cell's pages: the inbox, opening a thread, a thread, one message.

Pages only read (fusioncell.messaging.queries); every write is a statement the member's
device signs in the browser (static/js/cell.js) and appends at /log/v1/append. The message
fragment is the same macro as the thread page's, so a message inserted live looks exactly
like one rendered with the page."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.api.limits import MAX_INT
from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.errors import N_, Invalid, NotFound
from fusioncell.messaging import queries
from fusioncell.messaging.kinds import MAX_TOPIC_CHARS, THREAD_RE
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]
# Any string: a malformed id is as missing as a well-formed one nobody opened (one 404).
ThreadPath = str
NO_THREAD = N_("no such thread")


def _thread_id(thread: ThreadPath) -> str:
    if not THREAD_RE.match(thread):
        raise NotFound(NO_THREAD)
    return thread


def _common(request: Request, cell: Cell, who: Principal) -> dict[str, Any]:
    """What every cell page shows: names in the reader's language, the reader's zone."""
    lang = page_language(request)
    charter = cell.charter
    languages = charter.languages
    return {
        "zone": charter.party(who.party).timezone,
        "levels": {u.level.value: localized(u.name, lang) for u in charter.urgency_levels},
        "party_names": {p.code: localized(p.name, lang) for p in charter.parties},
        "ws_names": {w.id: localized(w.name, lang) for w in charter.workstreams},
        "languages": languages,
        # The compose forms start in the reader's page language, when the cell has it.
        "default_lang": lang if lang in languages else languages[0],
        "can_append": who.can(Permission.LOG_APPEND),
        "max_text": charter.cell.max_text_chars,
    }


def _party_options(cell: Cell, who: Principal) -> list[list[str]]:
    """Whom a thread may have: all parties, or one party with the supervisor (the
    reader's own, or, for the supervisor, each other party); where the charter does not
    put the supervisor in every thread, the reader's party with any other."""
    charter = cell.charter
    every = charter.codes
    sup = charter.supervisor
    options = [every]
    if sup is None or not charter.cell.supervisor_in_every_thread:
        pairs = [sorted({who.party, p}) for p in every if p != who.party]
    elif who.party == sup.code:
        pairs = [sorted({p, sup.code}) for p in every if p != sup.code]
    else:
        pairs = [sorted({who.party, sup.code})]
    options += [p for p in pairs if p != every and len(p) >= 2]
    return options


def _workstream(cell: Cell, workstream: str | None) -> str | None:
    if not workstream:
        return None
    if workstream not in {w.id for w in cell.charter.workstreams}:
        raise Invalid(N_("unknown workstream %(ws)s"), ws=workstream[:40])
    return workstream


@router.get("/cell")
def inbox(
    request: Request,
    cell: CellDep,
    who: Member,
    workstream: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    ws = _workstream(cell, workstream)
    threads = queries.inbox(cell, who, ws)
    return render(
        request,
        "cell_inbox.html",
        threads=threads,
        workstream=ws,
        owed_total=sum(len(t["owed"]) for t in threads),
        **_common(request, cell, who),
    )


@router.get("/cell/new")
def new_thread(
    request: Request,
    cell: CellDep,
    who: Member,
    workstream: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    return render(
        request,
        "cell_new.html",
        workstream=_workstream(cell, workstream),
        party_options=_party_options(cell, who),
        max_topic=MAX_TOPIC_CHARS,
        **_common(request, cell, who),
    )


def _thread_context(
    request: Request, cell: Cell, who: Principal, t: dict[str, Any]
) -> dict[str, Any]:
    common = _common(request, cell, who)
    # A party that sees every thread may read one it is not in, but not write there.
    common["can_write"] = common["can_append"] and who.party in t["parties"]
    common["thread"] = t
    return common


@router.get("/cell/t/{thread}")
def thread_page(
    request: Request,
    cell: CellDep,
    who: Member,
    thread: ThreadPath,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    query = (q or "").strip() or None
    view = queries.thread_view(cell, who, _thread_id(thread), query)
    t = view["thread"]
    return render(
        request,
        "cell_thread.html",
        messages=view["messages"],
        pinned=view["pinned"],
        q=query,
        attachment_types=cell.settings.attachment_types,
        max_bytes=cell.settings.max_attachment_bytes,
        **_thread_context(request, cell, who, t),
    )


@router.get("/cell/t/{thread}/m/{index}")
def message_fragment(
    request: Request,
    cell: CellDep,
    who: Member,
    thread: ThreadPath,
    index: Annotated[int, Path(ge=0, le=MAX_INT)],
    view: Literal["full", "pin"] = "full",
) -> Response:
    """One message as HTML (the thread page's macro), for the page to insert or replace
    live; `view=pin` is its line in the pinned list."""
    tid = _thread_id(thread)
    m = queries.message_view(cell, who, tid, index)
    t = queries.thread_info(cell, who, tid)  # its parties decide who may write
    return render(
        request, "cell_message.html", m=m, view=view, **_thread_context(request, cell, who, t)
    )

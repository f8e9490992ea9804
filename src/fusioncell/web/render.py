"""Rendering a page in the reader's language."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from fusioncell.api.deps import LANG_COOKIE, PRE_COOKIE, current_session, get_cell
from fusioncell.errors import DomainError
from fusioncell.identity.accounts import member_language as stored_language
from fusioncell.web.i18n import choose, direction, environment, translate
from fusioncell.web.security import set_cookie


def member_language(request: Request) -> str | None:
    s = current_session(request, allow_pending=True)
    return None if s is None else stored_language(get_cell(request).engine, s.member)


def page_language(request: Request) -> str:
    if hasattr(request.state, "lang"):
        return str(request.state.lang)
    cell = get_cell(request)
    lang = choose(
        member_language(request),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        cell.charter.mechanism.languages,
    )
    request.state.lang = lang
    return lang


def page_message(request: Request, message: str, params: Mapping[str, object] | None = None) -> str:
    """A message (a msgid, with its values) in the page's language."""
    return translate(page_language(request), message, params)


def error_text(request: Request, exc: DomainError) -> str:
    """A domain error's message in the page's language; the API keeps the English."""
    return page_message(request, exc.template, exc.params)


def localized(text: dict[str, str], lang: str) -> str:
    """A charter text in the reader's language, else English, else any."""
    return text.get(lang) or text.get("en") or next(iter(text.values()), "")


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    cell = get_cell(request)
    lang = page_language(request)
    session = current_session(request, allow_pending=True)
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    me = getattr(request.state, "principal", None)
    base = {
        "request": request,
        "cell": cell,
        "charter": cell.charter,
        "cell_name": localized(cell.charter.mechanism.name, lang),
        "localized": lambda t: localized(t, lang),
        "me": me,
        # The live stream resumes after the last entry this page was rendered with, so
        # nothing appended between rendering and connecting is missed (static/js/cell.js).
        "log_size": cell.ledger.size() if me is not None else None,
        "session": session,
        "csrf": session.csrf if session is not None else pre,
        "path": request.url.path,
        "text_dir": direction,
        # Times are shown in the reader's party's zone (UTC on hover): the `moment` filter.
        "reader_zone": cell.charter.party(me.party).timezone if me is not None else "UTC",
    }
    html = environment(lang).get_template(template).render(**base, **ctx)
    resp = HTMLResponse(html, status_code=status)
    if PRE_COOKIE not in request.cookies:
        set_cookie(resp, PRE_COOKIE, pre, secure=cell.settings.secure_cookies)
    return resp

"""The pages: sign-in (with TOTP), sign-out, language, home, profile, invitations."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from fusioncell.api.deps import (
    LANG_COOKIE,
    SESSION_COOKIE,
    CellDep,
    current_session,
    public,
    require,
    session_policy,
)
from fusioncell.authz import Permission, Principal
from fusioncell.entries import latest_entries
from fusioncell.errors import N_, DomainError, Invalid
from fusioncell.identity.accounts import (
    get_member,
    invitation_member,
    set_language,
    use_invitation,
)
from fusioncell.identity.devices_web import member_devices
from fusioncell.identity.sessions import (
    authenticate,
    complete_totp,
    create_session,
    list_sessions,
    revoke_session,
    start_totp,
    totp_state,
    totp_uri,
)
from fusioncell.language import fields
from fusioncell.line import queries as line_queries
from fusioncell.messaging import queries as cell_queries
from fusioncell.web.duty_pages import board_context as duty_board_context
from fusioncell.web.i18n import LOCALES
from fusioncell.web.render import error_text, localized, page_language, render
from fusioncell.web.security import set_cookie

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]
Self = Annotated[Principal, require(Permission.PROFILE_MANAGE)]
HalfSignedIn = Annotated[Principal, require(Permission.PROFILE_MANAGE, allow_pending=True)]
Anyone = Annotated[Principal | None, public()]


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303)


# ---- sign-in ---------------------------------------------------------------------------


@router.get("/signin")
def signin_page(
    request: Request,
    cell: CellDep,
    who: Anyone,
    next_: Annotated[str, Query(alias="next", max_length=500)] = "/",
) -> Response:
    if who is not None:
        return _redirect(_safe_next(next_))
    return render(request, "signin.html", next=_safe_next(next_), error=None)


@router.post("/signin")
def signin(
    request: Request,
    cell: CellDep,
    _: Anyone,
    member: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next_: Annotated[str, Form(alias="next", max_length=500)] = "/",
) -> Response:
    now = cell.clock.now()
    try:
        m = authenticate(cell.engine, member, password, _ip(request), now)
    except DomainError as exc:
        return render(
            request,
            "signin.html",
            status=exc.status,
            next=_safe_next(next_),
            error=error_text(request, exc),
            member=member,
        )
    policy = session_policy(cell)
    token, _s = create_session(
        cell.engine,
        m.member,
        now,
        policy,
        user_agent=request.headers.get("user-agent", ""),
        ip=_ip(request),
        pending_totp=policy.require_totp,
    )
    resp = _redirect("/signin/totp" if policy.require_totp else _safe_next(next_))
    set_cookie(
        resp,
        SESSION_COOKIE,
        token,
        secure=cell.settings.secure_cookies,
        max_age=int(policy.lifetime.total_seconds()),
    )
    return resp


@router.get("/signin/totp")
def totp_page(request: Request, cell: CellDep, who: HalfSignedIn) -> Response:
    secret, confirmed = totp_state(cell.engine, who.member)
    setup = None
    if not confirmed:
        secret = start_totp(cell.engine, who.member)
        setup = {"secret": secret, "uri": totp_uri(secret, who.member, cell.ledger.origin)}
    return render(request, "totp.html", setup=setup, error=None)


@router.post("/signin/totp")
def totp_submit(
    request: Request,
    cell: CellDep,
    who: HalfSignedIn,
    code: Annotated[str, Form(max_length=12)],
) -> Response:
    session = current_session(request, allow_pending=True)
    assert session is not None  # the dependency above signed it in
    try:
        complete_totp(cell.engine, session, code, _ip(request), cell.clock.now())
    except DomainError as exc:
        _, confirmed = totp_state(cell.engine, who.member)
        setup = None
        if not confirmed:
            secret = start_totp(cell.engine, who.member)
            setup = {"secret": secret, "uri": totp_uri(secret, who.member, cell.ledger.origin)}
        return render(
            request, "totp.html", status=exc.status, setup=setup, error=error_text(request, exc)
        )
    return _redirect("/")


@router.post("/signout")
def signout(request: Request, cell: CellDep, who: HalfSignedIn) -> Response:
    session = current_session(request, allow_pending=True)
    if session is not None:
        revoke_session(cell.engine, who.member, session.id, cell.clock.now())
    resp = _redirect("/signin")
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.post("/lang")
def switch_language(
    request: Request,
    cell: CellDep,
    who: Anyone,
    lang: Annotated[str, Form(max_length=8)],
    next_: Annotated[str, Form(alias="next", max_length=500)] = "/",
) -> Response:
    if lang not in LOCALES:
        raise Invalid(N_("unknown language %(lang)r"), lang=lang)
    if who is not None:
        set_language(cell.engine, who.member, lang)
    resp = _redirect(_safe_next(next_))
    # Not HttpOnly: it only names a language, nothing to steal.
    set_cookie(
        resp,
        LANG_COOKIE,
        lang,
        secure=cell.settings.secure_cookies,
        max_age=3600 * 24 * 365,
        httponly=False,
    )
    return resp


# ---- invitations -----------------------------------------------------------------------


@router.get("/invite/{token}")
def invite_page(request: Request, cell: CellDep, _: Anyone, token: str) -> Response:
    member = invitation_member(cell.engine, token, cell.clock.now())
    return render(request, "invite.html", member=member, token=token, error=None)


@router.post("/invite/{token}")
def invite_submit(
    request: Request,
    cell: CellDep,
    _: Anyone,
    token: str,
    password: Annotated[str, Form(max_length=256)],
    confirm: Annotated[str, Form(max_length=256)],
) -> Response:
    member = invitation_member(cell.engine, token, cell.clock.now())
    try:
        if password != confirm:
            raise Invalid(N_("the two passwords differ"))
        use_invitation(cell.engine, token, password, cell.clock.now())
    except DomainError as exc:
        return render(
            request,
            "invite.html",
            status=exc.status,
            member=member,
            token=token,
            error=error_text(request, exc),
        )
    return _redirect("/signin")


# ---- home ------------------------------------------------------------------------------


def _with_text_field(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry's `text_field`: "text" where the text the home page shows is one the
    translation registry knows for that kind (so a translation is drawn beside it)."""
    for e in entries:
        body = e.get("body") or {}
        shown = body.get("text"), body.get("lang")
        e["text_field"] = "text" if fields.original(e["kind"], "text", body) == shown else None
    return entries


@router.get("/")
def home(request: Request, cell: CellDep, who: Member) -> Response:
    me = cell.charter.party(who.party)
    lang = page_language(request)
    return render(
        request,
        "home.html",
        owed=cell_queries.owed(cell, who),
        levels={u.level.value: localized(u.name, lang) for u in cell.charter.urgency_levels},
        entries=_with_text_field(latest_entries(cell, who)),
        zone=me.timezone,
        checkpoint=cell.ledger.checkpoint().split("\n"),
        line=line_queries.summary(cell, who),
        **duty_board_context(request, cell, who),  # who is on duty, per party (duty rosters)
    )


# ---- profile ---------------------------------------------------------------------------


@router.get("/profile")
def profile(request: Request, cell: CellDep, who: Self) -> Response:
    now = cell.clock.now()
    session = current_session(request)
    return render(
        request,
        "profile.html",
        member=get_member(cell.engine, who.member),
        sessions=list_sessions(cell.engine, who.member, now),
        current=session.id if session else None,
        devices=member_devices(cell.engine, who.party, who.member),
        zone=cell.charter.party(who.party).timezone,
        language=page_language(request),
        page_data=json.dumps({"member": who.member, "party": who.party}),
    )


@router.post("/profile/sessions/{sid}/revoke")
def profile_revoke_session(request: Request, cell: CellDep, who: Self, sid: str) -> Response:
    revoke_session(cell.engine, who.member, sid, cell.clock.now())
    return _redirect("/profile")

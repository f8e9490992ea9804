"""The notifications' pages: a member's notifications (live, static/js/notify.js), their
channels and webhook, and a party admin's webhooks and failed deliveries.

None of these writes the log (notifications are not entries), so the forms post plainly,
with the session's CSRF token, and a refused value re-renders the form saying why."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from fusioncell.api.deps import CellDep, require
from fusioncell.api.limits import MAX_INT
from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.errors import DomainError
from fusioncell.notify import outbox, prefs, queries
from fusioncell.notify.feed import bump
from fusioncell.web.render import error_text, localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]
Self = Annotated[Principal, require(Permission.PROFILE_MANAGE)]
Admin = Annotated[Principal, require(Permission.NOTIFY_MANAGE)]
SHOWN = 100


def _redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303)


def _levels(cell: Cell, request: Request) -> list[tuple[str, str]]:
    lang = page_language(request)
    return [(u.level.value, localized(u.name, lang)) for u in cell.charter.urgency_levels]


# ---- the member's notifications -------------------------------------------------------------


@router.get("/notifications")
def notifications_page(request: Request, cell: CellDep, who: Member) -> Response:
    lang = page_language(request)
    items = queries.web_items(cell, who, lang, limit=SHOWN)
    unread, newest = queries.counts(cell, who)
    return render(
        request,
        "notify_list.html",
        items=items,
        unread=unread,
        newest=newest,
        zone=cell.charter.party(who.party).timezone,
    )


@router.post("/notifications/read")
def notifications_read(
    cell: CellDep,
    who: Member,
    upto: Annotated[int | None, Form(ge=0, le=MAX_INT)] = None,
    one: Annotated[int | None, Form(ge=0, le=MAX_INT)] = None,
) -> Response:
    """Mark one notification read, or every one up to `upto`; back to the list."""
    if one is not None:
        outbox.mark_read(cell, who.member, one=one)
    elif upto is not None:
        outbox.mark_read(cell, who.member, upto=upto)
    bump()
    return _redirect("/notifications")


# ---- the member's channels and webhook ----------------------------------------------------------


def _settings_page(
    request: Request,
    cell: Cell,
    who: Principal,
    *,
    error: str | None = None,
    secret: str | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    return render(
        request,
        "notify_settings.html",
        status=status,
        s=prefs.get_settings(cell, who),
        levels=_levels(cell, request),
        channels=prefs.CHANNELS,
        offered=prefs.available(cell.settings),
        error=error,
        secret=secret,
        saved=saved,
        zone=cell.charter.party(who.party).timezone,
    )


@router.get("/notifications/settings")
def settings_page(request: Request, cell: CellDep, who: Self) -> Response:
    return _settings_page(request, cell, who, saved=request.query_params.get("saved") == "1")


@router.post("/notifications/settings")
async def settings_save(request: Request, cell: CellDep, who: Self) -> Response:
    form = await request.form()
    chosen: dict[str, list[str]] = {}
    for level in prefs.LEVELS:
        chosen[level] = [c for c in prefs.CHANNELS if form.get(f"{level}-{c}") == "on"]
    email = form.get("email")
    try:
        prefs.do_set_settings(
            cell, who, email=email if isinstance(email, str) else None, channels=chosen
        )
    except DomainError as exc:
        return _settings_page(request, cell, who, error=error_text(request, exc), status=400)
    return _redirect("/notifications/settings?saved=1")


@router.post("/notifications/settings/webhook")
def settings_webhook(
    request: Request, cell: CellDep, who: Self, url: Annotated[str, Form(max_length=2100)] = ""
) -> Response:
    """Set the member's webhook; the page shows its secret this once (never in a URL)."""
    try:
        _, secret = prefs.do_set_webhook(cell, who, url)
    except DomainError as exc:
        return _settings_page(request, cell, who, error=error_text(request, exc), status=400)
    return _settings_page(request, cell, who, secret=secret)


@router.post("/notifications/settings/webhook/delete")
def settings_webhook_delete(request: Request, cell: CellDep, who: Self) -> Response:
    try:
        prefs.do_delete_webhook(cell, who)
    except DomainError as exc:
        return _settings_page(request, cell, who, error=error_text(request, exc), status=404)
    return _redirect("/notifications/settings")


# ---- a party's webhooks and deliveries ---------------------------------------------------------


def _party_page(
    request: Request,
    cell: Cell,
    who: Principal,
    *,
    error: str | None = None,
    secret: str | None = None,
    status: int = 200,
) -> Response:
    deliveries: list[dict[str, Any]] = queries.party_deliveries(cell, who)
    return render(
        request,
        "notify_party.html",
        status=status,
        hooks=prefs.party_webhooks(cell, who),
        deliveries=[d for d in deliveries if d["state"] != outbox.SENT][:SHOWN],
        levels=_levels(cell, request),
        webhooks_offered=prefs.WEBHOOK in prefs.available(cell.settings),
        error=error,
        secret=secret,
        zone=cell.charter.party(who.party).timezone,
    )


@router.get("/notifications/party")
def party_page(request: Request, cell: CellDep, who: Admin) -> Response:
    return _party_page(request, cell, who)


@router.post("/notifications/party/webhooks")
async def party_webhook_add(request: Request, cell: CellDep, who: Admin) -> Response:
    form = await request.form()
    url, label = form.get("url"), form.get("label")
    levels = [lvl for lvl in prefs.LEVELS if form.get(f"u-{lvl}") == "on"]
    try:
        _, secret = prefs.do_add_party_webhook(
            cell,
            who,
            url if isinstance(url, str) else "",
            label if isinstance(label, str) else "",
            [*levels, prefs.FLASH],  # FLASH always: its box is shown ticked, not sent
        )
    except DomainError as exc:
        return _party_page(request, cell, who, error=error_text(request, exc), status=400)
    return _party_page(request, cell, who, secret=secret)


@router.post("/notifications/party/webhooks/{hook}/delete")
def party_webhook_delete(request: Request, cell: CellDep, who: Admin, hook: str) -> Response:
    try:
        prefs.do_delete_party_webhook(cell, who, hook[:16])
    except DomainError as exc:
        return _party_page(request, cell, who, error=error_text(request, exc), status=404)
    return _redirect("/notifications/party")


@router.post("/notifications/party/deliveries/{delivery}/retry")
def party_retry(
    request: Request, cell: CellDep, who: Admin, delivery: Annotated[int, Path(ge=0, le=MAX_INT)]
) -> Response:
    try:
        queries.do_retry(cell, who, delivery)
    except DomainError as exc:
        return _party_page(request, cell, who, error=error_text(request, exc), status=exc.status)
    return _redirect("/notifications/party")

"""Who is asking, and may they: the one place that authenticates (bearer token or session
cookie), checks CSRF on cookie-authenticated writes, and checks the route's permission."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.errors import N_, Forbidden, NotFound, Unauthenticated
from fusioncell.identity.accounts import get_member
from fusioncell.identity.sessions import Session, SessionPolicy, session_for_token
from fusioncell.identity.tokens import cached_principal, principal_for_token
from fusioncell.web.security import same

SESSION_COOKIE = "fc_session"
PRE_COOKIE = "fc_pre"  # double-submit CSRF token for forms shown before sign-in
LANG_COOKIE = "fc_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_WRONG = N_("missing or wrong CSRF token: reload the page and try again")


def get_cell(request: HTTPConnection) -> Cell:
    cell: Cell = request.app.state.cell
    return cell


async def _cell_dependency(request: HTTPConnection) -> Cell:
    """Async so that FastAPI calls it on the event loop: a plain `def` dependency costs
    every request a round trip through the threadpool, for an attribute read."""
    return get_cell(request)


CellDep = Annotated[Cell, Depends(_cell_dependency)]


def session_policy(cell: Cell) -> SessionPolicy:
    s = cell.settings
    return SessionPolicy(
        lifetime=s.session_lifetime, idle=s.session_idle, require_totp=s.require_totp
    )


async def _csrf_value(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf")
        return value if isinstance(value, str) else None
    return None


def current_session(request: HTTPConnection, *, allow_pending: bool = False) -> Session | None:
    """The signed-in session of this request, or None (cached on request.state)."""
    if hasattr(request.state, "session"):
        s: Session | None = request.state.session
    else:
        token = request.cookies.get(SESSION_COOKIE)
        s = None
        if token:
            cell = get_cell(request)
            try:
                s = session_for_token(cell.engine, token, cell.clock.now(), session_policy(cell))
            except Unauthenticated:
                s = None
        request.state.session = s
    if s is not None and s.pending_totp and not allow_pending:
        return None
    return s


def _own_origin(ws: WebSocket) -> bool:
    """Is the handshake's Origin this server's own (scheme, host and port)?"""
    origin = ws.headers.get("origin")
    host = ws.headers.get("host")
    if not origin or not host:
        return False
    scheme = "https" if ws.url.scheme == "wss" else "http"
    return origin.lower() == f"{scheme}://{host}".lower()  # not a secret: plain compare


def _cached_bearer(request: HTTPConnection, authorization: str | None) -> Principal | None:
    """The bearer token's principal when it was looked up moments ago (identity.tokens keeps
    it a few seconds), else None and the caller asks the database in the threadpool. On the
    append path this saves a database read and a threadpool round trip per request."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None  # _who gives the error
    cell = get_cell(request)
    try:
        p = cached_principal(cell.engine, token.strip())
    except Unauthenticated:
        return None
    if p is None:
        return None
    return Principal(p.party, p.member, p.role, cell.charter.permissions(p.role))


class Requires:
    """A route's permission. Every route depends on exactly one (a test walks them all)."""

    def __init__(self, permission: Permission, *, allow_pending: bool = False) -> None:
        self.permission = permission
        self.allow_pending = allow_pending

    def _who(
        self, request: HTTPConnection, authorization: str | None
    ) -> tuple[Principal, Session | None]:
        """Who is asking: blocking database reads, run in the threadpool."""
        cell = get_cell(request)
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthenticated("Authorization must be 'Bearer TOKEN'")
            p = principal_for_token(cell.engine, token.strip())
            return Principal(p.party, p.member, p.role, cell.charter.permissions(p.role)), None
        session = current_session(request, allow_pending=self.allow_pending)
        if session is None:
            raise Unauthenticated(N_("sign in, or send Authorization: Bearer TOKEN"))
        try:
            m = get_member(cell.engine, session.member)
        except NotFound:
            raise Unauthenticated(N_("your account no longer exists")) from None
        if not m.active:
            raise Unauthenticated(N_("your account is disabled"))
        return Principal(m.party, m.member, m.role, cell.charter.permissions(m.role)), session

    async def __call__(
        self, request: HTTPConnection, authorization: Annotated[str | None, Header()] = None
    ) -> Principal:
        """For HTTP requests and WebSockets alike (HTTPConnection is the base of both)."""
        cached = _cached_bearer(request, authorization)
        if cached is not None:
            principal, session = cached, None
        else:
            principal, session = await run_in_threadpool(self._who, request, authorization)
        if (
            session is not None
            and isinstance(request, Request)
            and request.method not in SAFE_METHODS
            and not same(await _csrf_value(request), session.csrf)
        ):
            raise Forbidden(CSRF_WRONG)
        if session is not None and isinstance(request, WebSocket) and not _own_origin(request):
            # Browsers send cookies with cross-site WebSocket handshakes and no CORS check
            # applies: only the Origin header tells our pages from another site's.
            raise Forbidden(N_("this WebSocket comes from another site"))
        if not principal.can(self.permission):
            raise Forbidden(
                N_("your role may not %(permission)s"), permission=self.permission.value
            )
        request.state.principal = principal
        return principal


class Public(Requires):
    """Pages anyone may open (sign-in); forms on them carry a pre-session CSRF token."""

    def __init__(self) -> None:
        super().__init__(Permission.PUBLIC)

    async def __call__(  # type: ignore[override]
        self, request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> Principal | None:
        if request.method not in SAFE_METHODS:
            # A page shown to a signed-in person carries the session's token (the language
            # switch on every page posts here), a page shown before sign-in the pre-session one.
            sent = await _csrf_value(request)
            mine = current_session(request, allow_pending=True)
            if not (
                same(sent, request.cookies.get(PRE_COOKIE))
                or (mine is not None and same(sent, mine.csrf))
            ):
                raise Forbidden(CSRF_WRONG)
        s = current_session(request)
        if s is None:
            return None
        cell = get_cell(request)
        m = get_member(cell.engine, s.member)
        if not m.active:
            return None
        return Principal(m.party, m.member, m.role, cell.charter.permissions(m.role))


def require(permission: Permission, *, allow_pending: bool = False) -> Any:
    return Depends(Requires(permission, allow_pending=allow_pending))


def public() -> Any:
    return Depends(Public())

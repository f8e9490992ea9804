"""Sign-in as a person does it: passwords, TOTP, lock-out, CSRF, sessions, headers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient

from fusioncell.app import create_app
from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.clock import FrozenClock
from fusioncell.identity.accounts import create_invitation, do_add_member
from fusioncell.identity.sessions import IP_MAX_ATTEMPTS, MAX_FAILURES
from tests.web.conftest import SIGNIN_PASSWORD, MakeCell

PASSWORD = SIGNIN_PASSWORD


@pytest.fixture
def tcell(make_cell: MakeCell) -> Cell:
    return make_cell(
        [("SY", "sy-liaison", Role.LIAISON_OFFICER), ("IL", "il-liaison", Role.LIAISON_OFFICER)]
    )


@pytest.fixture
def web(tcell: Cell) -> Iterator[TestClient]:
    # These tests read the pages' English messages; the Paris charter's first language is ar.
    with TestClient(
        create_app(tcell),
        base_url="https://testserver",
        follow_redirects=False,
        headers={"Accept-Language": "en"},
    ) as client:
        yield client


def pre_csrf(web: TestClient) -> str:
    web.get("/signin")
    return web.cookies["fc_pre"]


def post_signin(web: TestClient, member: str, password: str):  # type: ignore[no-untyped-def]
    return web.post(
        "/signin", data={"member": member, "password": password, "csrf": pre_csrf(web), "next": "/"}
    )


def csrf_of(web: TestClient) -> str:
    html = web.get("/profile").text
    return html.split('data-csrf="')[1].split('"')[0]


def totp_secret(web: TestClient) -> str:
    page = web.get("/signin/totp").text
    return page.split('id="totp-secret">')[1].split("<")[0]


def signin_with_totp(
    web: TestClient, clock: FrozenClock, member: str = "sy-liaison", secret: str | None = None
) -> str:
    r = post_signin(web, member, PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/signin/totp"
    secret = secret or totp_secret(web)
    code = pyotp.TOTP(secret).at(clock.now())
    r = web.post("/signin/totp", data={"code": code, "csrf": web.cookies["fc_pre"]})
    # a half-signed-in session has its own CSRF token: read it from the TOTP page
    if r.status_code == 403:
        page = web.get("/signin/totp").text
        token = page.split('data-csrf="')[1].split('"')[0]
        r = web.post("/signin/totp", data={"code": code, "csrf": token})
    assert r.status_code == 303, r.text
    return secret


def test_signed_out_reaches_only_signin(web: TestClient) -> None:
    for path in ["/", "/profile", "/admin/devices"]:
        r = web.get(path)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/signin?next=")
    assert web.get("/signin").status_code == 200
    assert web.get("/api/v1/me").status_code == 401
    assert web.get("/api/v1/me").headers["content-type"] == "application/problem+json"


def test_password_then_totp(web: TestClient, clock: FrozenClock) -> None:
    r = post_signin(web, "sy-liaison", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/signin/totp"
    # half signed in: nothing but the TOTP step
    assert web.get("/").status_code == 303
    assert web.get("/api/v1/me").status_code == 401
    secret = totp_secret(web)
    page = web.get("/signin/totp").text
    token = page.split('data-csrf="')[1].split('"')[0]
    bad = web.post("/signin/totp", data={"code": "000000", "csrf": token})
    assert bad.status_code == 401 and "code is not right" in bad.text
    ok = web.post("/signin/totp", data={"code": pyotp.TOTP(secret).at(clock.now()), "csrf": token})
    assert ok.status_code == 303
    home = web.get("/")
    assert home.status_code == 200 and "sy-liaison" in home.text
    me = web.get("/api/v1/me").json()
    assert me == {
        "party": "SY",
        "member": "sy-liaison",
        "role": "liaison_officer",
        "origin": "paris.fusioncell.example/log",
        "parties": ["IL", "SY", "US"],
    }
    # next time: the confirmed secret is asked for, not shown again
    web.cookies.clear()
    post_signin(web, "sy-liaison", PASSWORD)
    assert 'id="totp-secret"' not in web.get("/signin/totp").text


def test_wrong_password_same_answer_as_unknown_member(web: TestClient) -> None:
    a = post_signin(web, "sy-liaison", "wrong password!!")
    b = post_signin(web, "nobody-here", "wrong password!!")
    assert a.status_code == b.status_code == 401
    assert "wrong member id or password" in a.text and "wrong member id or password" in b.text


def test_lockout_after_failures(web: TestClient, clock: FrozenClock) -> None:
    for _ in range(MAX_FAILURES):
        assert post_signin(web, "sy-liaison", "wrong password!!").status_code == 401
    r = post_signin(web, "sy-liaison", PASSWORD)
    assert r.status_code == 429 and "locked until" in r.text
    clock.advance(timedelta(minutes=16))
    assert post_signin(web, "sy-liaison", PASSWORD).status_code == 303


def test_address_rate_limit(web: TestClient, clock: FrozenClock) -> None:
    for i in range(IP_MAX_ATTEMPTS):
        post_signin(web, f"nobody-{i}", "wrong password!!")
    r = post_signin(web, "il-liaison", PASSWORD)
    assert r.status_code == 429 and "this address" in r.text
    clock.advance(timedelta(minutes=11))
    assert post_signin(web, "il-liaison", PASSWORD).status_code == 303


def test_csrf_is_required(web: TestClient, clock: FrozenClock) -> None:
    pre_csrf(web)
    r = web.post("/signin", data={"member": "sy-liaison", "password": PASSWORD})
    assert r.status_code == 403 and "CSRF" in r.text
    r = web.post("/signin", data={"member": "sy-liaison", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 403
    signin_with_totp(web, clock)
    sid = web.get("/api/v1/sessions").json()["sessions"][0]["id"]
    assert web.post(f"/profile/sessions/{sid}/revoke").status_code == 403
    assert web.post(f"/profile/sessions/{sid}/revoke", data={"csrf": "nope"}).status_code == 403
    assert web.delete(f"/api/v1/sessions/{sid}").status_code == 403
    assert web.get("/").status_code == 200  # nothing was revoked


def test_sessions_expire_and_can_be_revoked(
    web: TestClient, tcell: Cell, clock: FrozenClock
) -> None:
    secret = signin_with_totp(web, clock)
    assert web.get("/").status_code == 200
    clock.advance(timedelta(minutes=59))
    assert web.get("/").status_code == 200  # activity keeps it alive
    clock.advance(timedelta(minutes=61))
    assert web.get("/").status_code == 303  # idle for over an hour
    # a second browser revokes the first
    signin_with_totp(web, clock, secret=secret)
    other = TestClient(create_app(tcell), base_url="https://testserver", follow_redirects=False)
    r = post_signin(other, "sy-liaison", PASSWORD)
    page = other.get("/signin/totp").text
    token = page.split('data-csrf="')[1].split('"')[0]
    secret = pyotp.TOTP(totp_secret_of(tcell, "sy-liaison"))
    assert (
        other.post("/signin/totp", data={"code": secret.at(clock.now()), "csrf": token}).status_code
        == 303
    ), r.text
    mine = [s for s in other.get("/api/v1/sessions").json()["sessions"] if not s["current"]]
    token = other.get("/profile").text.split('data-csrf="')[1].split('"')[0]
    for s in mine:
        assert (
            other.delete(f"/api/v1/sessions/{s['id']}", headers={"X-CSRF-Token": token}).status_code
            == 204
        )
    assert web.get("/").status_code == 303
    assert other.get("/").status_code == 200


def totp_secret_of(cell: Cell, member: str) -> str:
    from sqlalchemy import select

    from fusioncell.identity.tables import credentials

    with cell.engine.connect() as c:
        return str(
            c.execute(
                select(credentials.c.totp_secret).where(credentials.c.member == member)
            ).scalar_one()
        )


def test_signout(web: TestClient, clock: FrozenClock) -> None:
    signin_with_totp(web, clock)
    token = csrf_of(web)
    r = web.post("/signout", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    assert web.get("/").status_code == 303


def test_cookies_and_headers(web: TestClient, clock: FrozenClock) -> None:
    r = post_signin(web, "sy-liaison", PASSWORD)
    cookie = r.headers["set-cookie"].lower()
    for flag in ["httponly", "secure", "samesite=strict", "path=/"]:
        assert flag in cookie
    page = web.get("/signin")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and " on" + "click=" not in page.text


def test_invitation_sets_password(web: TestClient, tcell: Cell, clock: FrozenClock) -> None:
    _, token = do_add_member(tcell, "US", "us-duty", "duty_officer")
    page = web.get(f"/invite/{token}")
    assert page.status_code == 200 and "us-duty" in page.text
    csrf = web.cookies["fc_pre"]
    weak = web.post(
        f"/invite/{token}", data={"password": "short", "confirm": "short", "csrf": csrf}
    )
    assert weak.status_code == 400 and "12" in weak.text
    differ = web.post(
        f"/invite/{token}",
        data={"password": "a long enough one", "confirm": "a long enough two", "csrf": csrf},
    )
    assert differ.status_code == 400
    ok = web.post(
        f"/invite/{token}",
        data={"password": "a long enough one", "confirm": "a long enough one", "csrf": csrf},
    )
    assert ok.status_code == 303
    assert web.get(f"/invite/{token}").status_code == 404  # one use
    assert post_signin(web, "us-duty", "a long enough one").status_code == 303
    expired = create_invitation(tcell.engine, "us-duty", clock.now())
    clock.advance(timedelta(days=8))
    assert web.get(f"/invite/{expired}").status_code == 404


def test_disabled_member_loses_access(web: TestClient, tcell: Cell, clock: FrozenClock) -> None:
    from fusioncell.identity.accounts import do_disable_member

    signin_with_totp(web, clock)
    assert web.get("/").status_code == 200
    do_disable_member(tcell, "sy-liaison")
    assert web.get("/").status_code == 303
    assert post_signin(web, "sy-liaison", PASSWORD).status_code == 401


def test_open_redirects_refused(web: TestClient) -> None:
    for bad in ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]:
        pre_csrf(web)
        r = web.post(
            "/signin",
            data={
                "member": "il-liaison",
                "password": PASSWORD,
                "csrf": web.cookies["fc_pre"],
                "next": bad,
            },
        )
        assert r.headers["location"] in ("/", "/signin/totp")
        web.cookies.clear()


def test_bad_form_input_is_4xx(web: TestClient) -> None:
    csrf = pre_csrf(web)
    r = web.post("/signin", data={"member": "x" * 500, "password": "y", "csrf": csrf})
    assert r.status_code == 400
    r = web.post(
        "/signin",
        content=b"\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= r.status_code < 500
    r = web.post("/lang", data={"lang": "xx", "csrf": csrf})
    assert r.status_code == 400


def test_bidi_controls_in_user_agent_are_neutralised(
    web: TestClient, tcell: Cell, clock: FrozenClock
) -> None:
    """A browser's description is user input too: it must not reorder the profile page."""
    from fusioncell.api.deps import session_policy
    from fusioncell.identity.sessions import create_session

    signin_with_totp(web, clock)
    sneaky = "Evil\u202eBrowser\u2066"
    create_session(
        tcell.engine, "sy-liaison", clock.now(), session_policy(tcell), user_agent=sneaky
    )
    profile = web.get("/profile").text
    assert "\u202e" not in profile and "\u2066" not in profile
    assert "Evil[U+202E]Browser[U+2066]" in profile

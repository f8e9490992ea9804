"""The logs as `fusioncell serve` writes them: one JSON object per line, a line per request
with its id, route template, status, duration and who asked, and never a secret or what
anyone wrote, through a whole session: a wrong password, a sign-in with password and TOTP,
pages, an invitation link, a message posted and read with an API token, a metrics scrape."""

from __future__ import annotations

import re

import pyotp
from fastapi.testclient import TestClient

from fusioncell.app import create_app
from fusioncell.cell import Cell
from fusioncell.clock import FrozenClock
from fusioncell.identity.accounts import create_invitation, set_password
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.messaging.client import CellClient
from fusioncell.ops.logs import REQUEST_LOGGER
from tests.ops.conftest import ALL, METRICS_TOKEN, Captured
from tests.web.test_signin import PASSWORD, post_signin, totp_secret

TOPIC = "Orchid-Harbour-Protocol-3317"  # a thread's topic and a message: what people wrote
TEXT = "Azure-Pelican-Manifest-7741 قافلة الإمداد"
WRONG = "Wrong-Guess-Password-0042"


def test_json_lines_without_secrets_or_bodies(cell: Cell, captured: Captured) -> None:
    assert isinstance(cell.clock, FrozenClock)
    set_password(cell.engine, "sy-liaison", PASSWORD)
    key = new_member_key("SY", "sy-liaison")
    register_member_key(cell, "SY", "sy-liaison", key.verifier.encode())
    _, token = create_token(cell.engine, "SY", "sy-liaison", "liaison_officer", cell.clock.now())
    invitation = create_invitation(cell.engine, "il-liaison", cell.clock.now())
    with TestClient(create_app(cell), base_url="https://testserver", follow_redirects=False) as web:
        assert post_signin(web, "sy-liaison", WRONG).status_code == 401
        # Password, then TOTP (the secret is shown once, at the first sign-in).
        assert post_signin(web, "sy-liaison", PASSWORD).status_code == 303
        secret = totp_secret(web)
        page = web.get("/signin/totp").text
        csrf = page.split('data-csrf="')[1].split('"')[0]
        code = pyotp.TOTP(secret).at(cell.clock.now())
        assert web.post("/signin/totp", data={"code": code, "csrf": csrf}).status_code == 303
        session = web.cookies["fc_session"]
        me = web.get("/api/v1/me")
        assert me.status_code == 200
        assert web.get("/").status_code == 200
        assert web.get(f"/invite/{invitation}").status_code == 200
        # With the API token: a thread and a message, posted and read back.
        api = CellClient(token=token, key=key, party="SY", member="sy-liaison", http=web)
        tid, _ = api.open_thread("deescalation", TOPIC, "en", ALL)
        sent = api.send(tid, TEXT, "ar", "FLASH")
        assert TEXT in str(api.thread(tid)["messages"][-1])
        web.cookies.clear()
        bad = web.get("/api/v1/me", headers={"Authorization": "Bearer fct_NotARealToken123"})
        assert bad.status_code == 401
        assert web.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).is_success

    text = captured.text()
    lines = captured.lines()
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
    # Nothing secret, nothing written by a person, anywhere in the log.
    for secret_text in (
        PASSWORD,
        WRONG,
        secret,
        csrf,
        session,
        token,
        token.removeprefix("fct_"),
        "NotARealToken123",
        invitation,
        METRICS_TOKEN,
        TOPIC,
        TEXT.split(maxsplit=1)[0],
        "قافلة",
        tid,  # a thread's id is in paths: the route template stands for it
    ):
        assert secret_text not in text, secret_text
    assert not re.search(rf"(?<![0-9]){code}(?![0-9])", text), "the TOTP code"
    assert "cookie" not in text.lower() and "authorization" not in text.lower()

    requests = [line for line in lines if line["logger"] == REQUEST_LOGGER]
    by_id = {line["request_id"]: line for line in requests}
    line = by_id[me.headers["x-request-id"]]
    assert line["method"] == "GET" and line["route"] == "/api/v1/me" and line["status"] == 200
    assert (line["party"], line["member"]) == ("SY", "sy-liaison")  # signed in by session
    assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0
    assert line["message"] == "GET /api/v1/me 200"
    routes = {(r["method"], r["route"], r["status"]) for r in requests}
    assert ("POST", "/signin", 401) in routes
    assert ("GET", "/invite/{token}", 200) in routes
    assert ("POST", "/log/v1/append", 201) in routes
    assert ("GET", "/api/v1/me", 401) in routes
    posted = [r for r in requests if r["route"] == "/log/v1/append"]
    assert all((r["party"], r["member"]) == ("SY", "sy-liaison") for r in posted)  # by token
    # The scrape and the signed-out request name nobody.
    assert "member" not in by_id[bad.headers["x-request-id"]]
    assert sent.index > 0

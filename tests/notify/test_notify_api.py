"""Notifications over HTTP: a member's settings and webhook, a party admin's webhooks and
deliveries, the web notifications and their live feed (a WebSocket), the pages. Bad input of
every kind gets a clear 4xx; another party's objects look missing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from fusioncell.app import create_app
from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.notify.client import NotifyClient
from fusioncell.notify.worker import Notifier
from tests.notify.conftest import WAIT_S, People, Receiver, token
from tests.web.conftest import serving

ALL = ["IL", "SY", "US"]


def auth(c: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(c)}"}


@pytest.fixture
def notifier(cell: Cell) -> Any:
    n = Notifier(cell, threads=2)
    yield n
    n.stop()


def detail(r: Any) -> str:
    return str(r.json()["detail"])


def test_a_members_settings(http: TestClient, people: People) -> None:
    il = auth(people("IL", "il-liaison"))
    r = http.get("/api/v1/notify/settings", headers=il)
    assert r.status_code == 200
    assert r.json() == {
        "email": None,
        "channels": {
            "FLASH": ["web", "email", "webhook"],
            "IMMEDIATE": ["web", "email", "webhook"],
            "PRIORITY": ["web", "email"],
            "ROUTINE": [],
        },
        "webhook": None,
        "offered": ["email", "web", "webhook"],
    }
    r = http.put(
        "/api/v1/notify/settings",
        headers=il,
        json={"email": " il@example.org ", "channels": {"IMMEDIATE": ["email", "web"]}},
    )
    assert r.status_code == 200
    assert r.json()["email"] == "il@example.org"
    assert r.json()["channels"]["IMMEDIATE"] == ["web", "email"]
    assert r.json()["channels"]["PRIORITY"] == ["web", "email"]  # left as it was
    r = http.put("/api/v1/notify/settings", headers=il, json={"channels": {"ROUTINE": []}})
    assert r.json()["email"] == "il@example.org"  # left out: unchanged
    assert r.json()["channels"]["ROUTINE"] == []
    assert r.json()["channels"]["IMMEDIATE"] == ["web", "email"]
    r = http.put("/api/v1/notify/settings", headers=il, json={"email": ""})
    assert r.json()["email"] is None


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"email": "not an address"}, 400, "is not an e-mail address"),
        ({"email": "il@exa\u202emple.org"}, 400, "is not an e-mail address"),
        ({"email": "a\r\nBcc: x@y.z@example.org"}, 400, "is not an e-mail address"),
        ({"email": "il@@example.org"}, 400, "is not an e-mail address"),
        ({"channels": {"URGENT": ["web"]}}, 400, "unknown urgency URGENT"),
        ({"channels": {"FLASH": ["sms"]}}, 400, "unknown channel sms"),
        ({"channels": {"ROUTINE": ["web", "web"]}}, 400, "a channel is named twice"),
        ({"channels": {"ROUTINE": "web"}}, 400, "channels"),
        ({"channels": []}, 400, "channels"),
        ({"colour": "red"}, 400, "colour"),
        ({"email": 42}, 400, "email"),
    ],
)
def test_bad_settings_are_refused_clearly(
    http: TestClient, people: People, body: dict[str, Any], status: int, says: str
) -> None:
    il = auth(people("IL", "il-liaison"))
    r = http.put("/api/v1/notify/settings", headers=il, json=body)
    assert r.status_code == status, r.text
    assert says in detail(r)
    assert http.get("/api/v1/notify/settings", headers=il).json()["email"] is None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://10.0.0.1/hook", "does not allow webhooks to that address"),
        ("http://127.0.0.1.evil.example/hook", "does not allow webhooks to that address"),
        ("ftp://127.0.0.1:21/x", "must start with https://"),
        ("http://user:pw@127.0.0.1:9/x", "must not hold a user name or password"),
        ("http://127.0.0.1:99999/x", "is not a valid URL"),
        ("http://127.0.0.1:9/a b", "one line"),
        ("http://127.0.0.1:9/\u202ex", "one line"),
        ("", "needs a URL"),
        ("http://127.0.0.1:9/" + "x" * 2001, "one line of at most"),
    ],
)
def test_bad_webhooks_are_refused_clearly(
    http: TestClient, people: People, url: str, says: str
) -> None:
    il = auth(people("IL", "il-liaison"))
    r = http.put("/api/v1/notify/webhook", headers=il, json={"url": url})
    assert r.status_code == 400, r.text
    assert says in detail(r)


def test_a_members_webhook_secret_is_shown_once(http: TestClient, people: People) -> None:
    il = auth(people("IL", "il-liaison"))
    r = http.put("/api/v1/notify/webhook", headers=il, json={"url": "http://127.0.0.1:9/h"})
    assert r.status_code == 201
    secret = r.json()["secret"]
    assert secret.startswith("fcwh_") and len(secret) > 40
    shown = http.get("/api/v1/notify/settings", headers=il)
    assert shown.json()["webhook"]["url"] == "http://127.0.0.1:9/h"
    assert secret not in shown.text
    again = http.put("/api/v1/notify/webhook", headers=il, json={"url": "http://127.0.0.1:9/h"})
    assert again.json()["secret"] != secret  # replaced: a new secret
    assert http.delete("/api/v1/notify/webhook", headers=il).status_code == 204
    r = http.delete("/api/v1/notify/webhook", headers=il)
    assert (r.status_code, detail(r)) == (404, "no such webhook")


def test_party_webhooks_are_their_admins(http: TestClient, people: People) -> None:
    il_admin = auth(people("IL", "il-admin", Role.PARTY_ADMIN))
    sy_admin = auth(people("SY", "sy-admin", Role.PARTY_ADMIN))
    il = auth(people("IL", "il-liaison"))
    body = {"url": "http://127.0.0.1:9/ops", "label": "Ops room", "urgencies": ["PRIORITY"]}
    assert http.post("/api/v1/notify/party/webhooks", headers=il, json=body).status_code == 403
    r = http.post("/api/v1/notify/party/webhooks", headers=il_admin, json=body)
    assert r.status_code == 201
    hook = r.json()["webhook"]
    assert hook["urgencies"] == ["FLASH", "PRIORITY"]  # FLASH always
    assert hook["label"] == "Ops room" and hook["party"] == "IL"
    listed = http.get("/api/v1/notify/party/webhooks", headers=il_admin)
    assert [h["id"] for h in listed.json()["webhooks"]] == [hook["id"]]
    assert r.json()["secret"] not in listed.text
    assert http.get("/api/v1/notify/party/webhooks", headers=sy_admin).json()["webhooks"] == []
    theirs = http.delete(f"/api/v1/notify/party/webhooks/{hook['id']}", headers=sy_admin)
    missing = http.delete("/api/v1/notify/party/webhooks/ffffffffffffffff", headers=sy_admin)
    assert (theirs.status_code, detail(theirs)) == (missing.status_code, detail(missing))
    assert theirs.status_code == 404
    bad = http.post(
        "/api/v1/notify/party/webhooks",
        headers=il_admin,
        json={**body, "urgencies": ["SOON"]},
    )
    assert (bad.status_code, detail(bad)) == (400, "unknown urgency SOON")
    bad = http.post(
        "/api/v1/notify/party/webhooks", headers=il_admin, json={**body, "label": "a\u202eb"}
    )
    assert (bad.status_code, detail(bad)) == (400, "a label must be plain text")
    r = http.delete(f"/api/v1/notify/party/webhooks/{hook['id']}", headers=il_admin)
    assert r.status_code == 204


def test_party_deliveries_and_retry(
    cell: Cell, http: TestClient, people: People, notifier: Notifier, hooks: Receiver
) -> None:
    il_admin = auth(people("IL", "il-admin", Role.PARTY_ADMIN))
    sy_admin = auth(people("SY", "sy-admin", Role.PARTY_ADMIN))
    sy = people("SY", "sy-liaison")
    r = http.post(
        "/api/v1/notify/party/webhooks", headers=il_admin, json={"url": hooks.base + "/il-ops"}
    )
    hooks.secrets["/il-ops"] = r.json()["secret"]
    hooks.plan["/il-ops"] = [200]
    tid, _ = sy.open_thread("deescalation", "To the ops room", "en", ALL)
    m = sy.send(tid, "For IL's ops room", "en", "ROUTINE").index
    notifier.run_once()
    (hit,) = hooks.wait_for(1, "/il-ops")
    assert hit.verified and hit.payload["recipient"]["webhook"] == r.json()["webhook"]["id"]
    assert hit.payload["recipient"]["member"] is None
    sent = http.get("/api/v1/notify/party/deliveries?state=sent", headers=il_admin).json()
    (d,) = sent["deliveries"]
    assert d["entry"] == m and d["channel"] == "webhook" and d["state"] == "sent"
    assert hooks.base not in str(sent)  # the URL is not shown in the list
    r = http.post(f"/api/v1/notify/party/deliveries/{d['id']}/retry", headers=il_admin)
    assert (r.status_code, detail(r)) == (409, "only a failed delivery can be tried again")
    theirs = http.post(f"/api/v1/notify/party/deliveries/{d['id']}/retry", headers=sy_admin)
    missing = http.post("/api/v1/notify/party/deliveries/999999/retry", headers=sy_admin)
    assert (theirs.status_code, detail(theirs)) == (missing.status_code, detail(missing))
    assert theirs.status_code == 404
    r = http.get("/api/v1/notify/party/deliveries?state=lost", headers=il_admin)
    assert r.status_code == 400


def test_web_notifications_list_and_read(
    cell: Cell, http: TestClient, people: People, notifier: Notifier
) -> None:
    sy = people("SY", "sy-liaison")
    il = auth(people("IL", "il-liaison"))
    sy_h = auth(sy)
    tid, _ = sy.open_thread("deescalation", "Read me", "en", ALL)
    a = sy.send(tid, "First", "en", "PRIORITY").index
    b = sy.send(tid, "Second", "en", "FLASH").index
    notifier.run_once()
    r = http.get("/api/v1/notifications?lang=en", headers=il).json()
    assert r["unread"] == 2 and r["lang"] == "en"
    second, first = r["notifications"]
    assert (first["entry"], second["entry"]) == (a, b)
    assert second["urgency"] == "FLASH" and second["urgency_name"] == "Flash"
    assert second["title"] == "Message from \u2068Syria\u2069"
    assert second["link"] == f"/cell/t/{tid}#m-{b}"
    # The web channel shows what was written: the reader's party may read it.
    assert "\u2068Read me\u2069" in " ".join(second["lines"])
    assert "Second" in " ".join(second["lines"])
    after = http.get(f"/api/v1/notifications?after={first['id']}", headers=il).json()
    assert [n["id"] for n in after["notifications"]] == [second["id"]]
    # Another member's notification is as missing as one that does not exist.
    theirs = http.post("/api/v1/notifications/read", headers=sy_h, json={"id": first["id"]})
    missing = http.post("/api/v1/notifications/read", headers=sy_h, json={"id": 10**9})
    assert (theirs.status_code, detail(theirs)) == (404, "no such notification")
    assert (missing.status_code, detail(missing)) == (404, "no such notification")
    r = http.post("/api/v1/notifications/read", headers=il, json={"id": first["id"]})
    assert r.json() == {"marked": 1, "unread": 1}
    r = http.post("/api/v1/notifications/read", headers=il, json={"upto": second["id"]})
    assert r.json() == {"marked": 1, "unread": 0}
    for bad in ({}, {"id": 1, "upto": 2}):
        r = http.post("/api/v1/notifications/read", headers=il, json=bad)
        assert (r.status_code, detail(r)) == (400, "say which: id, or upto")
    r = http.post("/api/v1/notifications/read", headers=il, json={"id": -1})
    assert r.status_code == 400
    assert http.get("/api/v1/notifications?after=x", headers=il).status_code == 400


@pytest.fixture
def served(cell: Cell) -> Iterator[str]:
    """The app in a real uvicorn (its lifespan starts the live feed), as a ws:// base."""
    with serving(create_app(cell)) as url:
        yield url.replace("http://", "ws://")


def frames(ws: Any) -> Any:
    return json.loads(ws.recv(timeout=WAIT_S))


def test_the_live_feed_sends_new_notifications(
    cell: Cell, served: str, people: People, notifier: Notifier
) -> None:
    sy = people("SY", "sy-liaison")
    il = people("IL", "il-liaison")
    tid, _ = sy.open_thread("deescalation", "Live", "en", ALL)
    url = f"{served}/api/v1/notifications/live"
    with connect(f"{url}?lang=en", additional_headers=auth(il)) as ws:
        assert frames(ws) == {"type": "ready", "unread": 0, "newest": 0}
        m = sy.send(tid, "Now", "en", "FLASH").index
        notifier.enqueue()  # wakes the feeds of this process at once
        f = frames(ws)
        assert f["type"] == "notification" and f["entry"] == m and f["urgency"] == "FLASH"
        assert f["title"] == "Message from \u2068Syria\u2069"
        first = f["id"]
    # Reconnecting after the last one seen: only what came since.
    n = sy.send(tid, "Later", "en", "PRIORITY").index
    notifier.enqueue()
    with connect(f"{url}?after={first}", additional_headers=auth(il)) as ws:
        f = frames(ws)
        assert f["type"] == "notification" and f["entry"] == n
        ready = frames(ws)
        assert ready["type"] == "ready" and ready["unread"] == 2


@pytest.mark.parametrize(
    ("query", "with_token", "code"),
    [("?after=-1", True, 4400), ("?after=1x", True, 4400), ("", False, 4401)],
)
def test_the_live_feed_refuses_bad_input(
    served: str, people: People, query: str, with_token: bool, code: int
) -> None:
    il = people("IL", "il-liaison")
    headers = auth(il) if with_token else {}
    url = f"{served}/api/v1/notifications/live{query}"
    with connect(url, additional_headers=headers) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=WAIT_S)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code


def test_the_pages(cell: Cell, http: TestClient, people: People, notifier: Notifier) -> None:
    sy = people("SY", "sy-liaison")
    il = auth(people("IL", "il-liaison"))
    admin = auth(people("IL", "il-admin", Role.PARTY_ADMIN))
    tid, _ = sy.open_thread("deescalation", "On the page", "en", ALL)
    sy.send(tid, "Look", "en", "FLASH")
    notifier.run_once()
    page = http.get("/notifications", headers={**il, "Accept-Language": "en"})
    assert page.status_code == 200
    assert "Message from \u2068Syria\u2069" in page.text and "/static/js/notify.js" in page.text
    assert 'id="notify-unread"' in page.text
    assert "Your party&#39;s webhooks" not in page.text  # not an admin
    assert http.get("/notifications/party", headers=il).status_code == 403
    assert http.get("/notifications/party", headers=admin).status_code == 200
    r = http.post(
        "/notifications/settings",
        headers=il,
        data={"email": "il@example.org", "IMMEDIATE-web": "on", "IMMEDIATE-email": "on"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    s = http.get("/api/v1/notify/settings", headers=il).json()
    assert s["email"] == "il@example.org"
    assert s["channels"]["IMMEDIATE"] == ["web", "email"]
    assert s["channels"]["ROUTINE"] == []  # a box left empty is a choice
    en = {**il, "Accept-Language": "en"}
    bad = http.post("/notifications/settings", headers=en, data={"email": "nope"})
    assert bad.status_code == 400 and "is not an e-mail address we can send to" in bad.text
    r = http.post(
        "/notifications/settings/webhook", headers=il, data={"url": "http://127.0.0.1:9/x"}
    )
    assert r.status_code == 200 and 'id="webhook-secret"' in r.text
    assert 'id="webhook-secret"' not in http.get("/notifications/settings", headers=il).text
    r = http.post(
        "/notifications/read", headers=il, data={"upto": "999999"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert http.get("/api/v1/notifications", headers=il).json()["unread"] == 0


def test_the_python_client(http: TestClient, people: People) -> None:
    il = NotifyClient(token=token(people("IL", "il-liaison")), http=http)
    admin = NotifyClient(token=token(people("IL", "il-admin", Role.PARTY_ADMIN)), http=http)
    s = il.set_settings(email="il@example.org", channels={"PRIORITY": ["web"]})
    assert s["email"] == "il@example.org" and s["channels"]["PRIORITY"] == ["web"]
    hook, secret = il.set_webhook("http://127.0.0.1:9/il")
    assert il.settings()["webhook"]["id"] == hook["id"] and secret.startswith("fcwh_")
    with pytest.raises(ClientError) as refused:
        il.set_settings(channels={"PRIORITY": ["pigeon"]})
    assert refused.value.status == 400 and "unknown channel pigeon" in refused.value.detail
    with pytest.raises(ClientError) as refused:
        il.party_webhooks()
    assert refused.value.status == 403
    ops, _ = admin.add_party_webhook("http://127.0.0.1:9/ops", "Ops", ["IMMEDIATE"])
    assert [h["id"] for h in admin.party_webhooks()] == [ops["id"]]
    assert admin.deliveries("failed") == []
    admin.delete_party_webhook(ops["id"])
    il.delete_webhook()
    assert il.notifications()["notifications"] == []

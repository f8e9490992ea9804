"""Bad input at /api/v1/cell: a clear 4xx and a problem+json, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fusioncell.cell import Cell
from tests.messaging.conftest import MakeClient


@pytest.fixture
def setup(cell: Cell, member: MakeClient, http: TestClient) -> tuple[dict[str, str], str, int]:
    sy = member("SY", "sy-liaison")
    tid, _ = sy.open_thread("general", "API", "en", ["IL", "SY", "US"])
    sent = sy.send(tid, "hello", "en", "FLASH")
    return sy.headers, tid, sent.index


@pytest.mark.parametrize(
    ("method", "path", "kw", "status"),
    [
        ("POST", "/threads/{t}/read", {"content": b"not json"}, 400),
        ("POST", "/threads/{t}/read", {"content": b"\xff\xfe", "ctype": "application/json"}, 400),
        ("POST", "/threads/{t}/read", {"json": {"upto": "x"}}, 400),
        ("POST", "/threads/{t}/read", {"json": {"upto": -1}}, 400),
        ("POST", "/threads/{t}/read", {"json": []}, 400),
        ("POST", "/threads/nosuchthread/read", {"json": {"upto": 1}}, 404),
        ("GET", "/threads/BAD!", {}, 400),
        ("GET", "/threads/{t}?before=0", {}, 400),
        ("GET", "/threads/{t}?q=" + "x" * 201, {}, 400),
        ("GET", "/threads/{t}/messages/abc", {}, 400),
        ("GET", "/threads/{t}/messages/999999", {}, 404),
        ("GET", "/attachments/" + "0" * 64, {}, 404),
        ("GET", "/attachments/../../etc/passwd", {}, 404),
        ("GET", "/attachments/nothex", {}, 404),
        ("POST", "/attachments", {"content": b"x", "ctype": "multipart/form-data"}, 400),
        ("POST", "/attachments", {"json": {"file": "x"}}, 400),
    ],
)
def test_refused_with_a_clear_message(
    http: TestClient,
    setup: tuple[dict[str, str], str, int],
    method: str,
    path: str,
    kw: dict[str, object],
    status: int,
) -> None:
    headers, tid, _ = setup
    headers = dict(headers)
    ctype = kw.pop("ctype", None)
    if ctype:
        headers["content-type"] = str(ctype)
    r = http.request(method, "/api/v1/cell" + path.format(t=tid), headers=headers, **kw)  # type: ignore[arg-type]
    assert r.status_code == status, r.text
    if r.headers["content-type"].startswith("application/problem+json"):
        assert r.json()["detail"]


def test_reads_need_a_member(http: TestClient, setup: tuple[dict[str, str], str, int]) -> None:
    _, tid, index = setup
    for path in ["/threads", f"/threads/{tid}", f"/threads/{tid}/messages/{index}", "/owed"]:
        r = http.get("/api/v1/cell" + path, headers={"accept": "application/json"})
        assert r.status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert http.get("/api/v1/cell/threads", headers=bad).status_code == 401


def test_an_auditor_reads_but_does_not_upload(
    cell: Cell, member: MakeClient, http: TestClient
) -> None:
    from fusioncell.authz import Role

    aud = member("US", "us-aud", Role.AUDITOR)
    assert aud.threads() == []
    r = http.post(
        "/api/v1/cell/attachments", headers=aud.headers, files={"file": ("a.txt", b"hello")}
    )
    assert r.status_code == 403


def test_owed_filters_by_urgency(cell: Cell, member: MakeClient) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    tid, opened = sy.open_thread("general", "Owed", "en", ["IL", "SY", "US"])
    f = sy.send(tid, "flash", "en", "FLASH")
    sy.send(tid, "priority", "en", "PRIORITY")
    assert [m["index"] for m in il.owed("FLASH")] == [f.index]
    assert [m["urgency"] for m in il.owed()] == ["FLASH", "PRIORITY"]
    # the topic with the entry that opened the thread (translations are asked by it)
    assert il.owed("FLASH")[0]["topic"] == {"text": "Owed", "lang": "en", "index": opened.index}

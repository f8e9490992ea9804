"""Every role of every party against every route: allowed exactly when the role's
permissions include the route's, refused with 403 otherwise; hidden and missing look alike."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from fusioncell.api.deps import Requires
from fusioncell.app import create_app
from fusioncell.authz import ROLE_PERMISSIONS, Permission, Role
from fusioncell.cell import Cell
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.tokens import create_token
from fusioncell.ledger.canonical import b64e
from fusioncell.ledger.keys import SigningKey
from tests.api.test_routes import _requirements, _walk

PARTIES = ["IL", "SY", "US"]


def routes(cell: Cell) -> list[tuple[str, str, Permission]]:
    out = []
    for r in _walk(create_app(cell).routes):
        if not isinstance(r, APIRoute):
            continue
        (req,) = _requirements(r.dependant)
        assert isinstance(req, Requires)
        for method in sorted(r.methods - {"HEAD"}):
            out.append((method, r.path, req.permission))
    return out


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x0x0x0x0", path)


@pytest.fixture
def tokens(cell: Cell) -> dict[tuple[str, Role], str]:
    out = {}
    for party in PARTIES:
        for role in Role:
            member = f"{party.lower()}-{role.value.replace('_', '-')}"
            if role is not Role.WITNESS:
                do_add_member(cell, party, member, role)
            out[(party, role)] = create_token(cell.engine, party, member, role, cell.clock.now())[1]
    return out


def test_matrix(cell: Cell, http: TestClient, tokens: dict[tuple[str, Role], str]) -> None:
    table = routes(cell)
    assert len(table) >= 15
    checked = 0
    for method, path, permission in table:
        if permission is Permission.PUBLIC:
            continue
        for (party, role), token in tokens.items():
            r = http.request(
                method,
                concrete(path),
                headers={"Authorization": f"Bearer {token}"},
                follow_redirects=False,
            )
            allowed = permission in ROLE_PERMISSIONS[role]
            where = f"{method} {path} as {party}/{role.value}"
            if allowed:
                assert r.status_code not in (401, 403), f"{where}: {r.status_code} {r.text[:200]}"
            else:
                assert r.status_code == 403, f"{where}: {r.status_code} {r.text[:200]}"
            checked += 1
    assert checked > 200


def test_no_token_no_entry(cell: Cell, http: TestClient) -> None:
    for method, path, permission in routes(cell):
        if permission is Permission.PUBLIC:
            continue
        r = http.request(method, concrete(path), follow_redirects=False)
        assert r.status_code in (303, 401), f"{method} {path}: {r.status_code}"


def _status(r: Any) -> tuple[int, str]:
    return r.status_code, r.json()["detail"]


def test_hidden_and_missing_look_alike(cell: Cell, http: TestClient, tokens) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.identity.devices_web import request_device
    from fusioncell.identity.sessions import SessionPolicy, create_session

    sid = create_session(cell.engine, "il-liaison-officer", cell.clock.now(), SessionPolicy())[1].id
    sy = {"Authorization": f"Bearer {tokens[('SY', Role.LIAISON_OFFICER)]}"}
    theirs = http.delete(f"/api/v1/sessions/{sid}", headers=sy)
    missing = http.delete("/api/v1/sessions/0000000000000000", headers=sy)
    assert _status(theirs) == _status(missing) == (404, "no such session")
    rid = request_device(
        cell, "IL", "il-liaison-officer", b64e(SigningKey.generate("z").public), "phone"
    )["id"]
    sy_admin = {"Authorization": f"Bearer {tokens[('SY', Role.PARTY_ADMIN)]}"}
    theirs = http.post(f"/api/v1/devices/{rid}/reject", headers=sy_admin)
    missing = http.post("/api/v1/devices/ffffffff/reject", headers=sy_admin)
    assert _status(theirs) == _status(missing) == (404, "no such device request")
    # and a party never sees another's pending devices
    pending = http.get("/api/v1/devices/pending", headers=sy_admin).json()["pending"]
    assert pending == []

"""The Paris cell on a FrozenClock (tests/members.py) for the demo's workstreams (the seeds
of tests/web/test_i18n.py: incidents, notifications, a dispute, understandings), and members
with signing clients for what each test adds; the deadline engine runs when a test says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.deesc.client import DeescClient
from fusioncell.disputes.client import DisputesClient
from fusioncell.messaging.client import CellClient
from tests.members import T0, at, cell, clock, settings, signed_in
from tests.web.conftest import auto_approve, browse, browser, served

# Offered to the tests here: the cell's fixtures (tests/members.py), and the browser tests'
# (tests/web/conftest.py) for test_sitrep_browser.py.
__all__ = ["T0", "at", "auto_approve", "browse", "browser", "cell", "clock", "served", "settings"]


@dataclass
class Member:
    """One member's device: its clients for each workstream, and the report's endpoints."""

    party: str
    name: str
    http: TestClient
    token: str
    deesc: DeescClient
    cell: CellClient
    disputes: DisputesClient

    def get(self, path: str, lang: str = "en", **params: str) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Accept-Language": lang}
        return self.http.get(path, params=params, headers=headers)

    def sitrep(self, **params: str) -> dict[str, Any]:
        r = self.get("/api/v1/sitrep", **params)
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out


MakeMember = Callable[..., Member]


@pytest.fixture
def member(enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    """member(party, name, role) -> a Member of the demo (its account in the log already)."""

    def make(party: str, name: str, role: Role = Role.LIAISON_OFFICER) -> Member:
        a = enroll(party, name, role)
        return Member(
            party,
            name,
            http,
            a.token,
            signed_in(DeescClient, a, http),
            signed_in(CellClient, a, http),
            signed_in(DisputesClient, a, http),
        )

    return make

"""The Paris cell on a FrozenClock with the demo's workstreams seeded (the seeds of
tests/web/test_i18n.py: incidents, notifications, a dispute, understandings), and members
with signing clients for what each test adds; the deadline engine runs when a test says."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.clock import FrozenClock, rfc3339
from fusioncell.deesc.client import DeescClient
from fusioncell.disputes.client import DisputesClient
from fusioncell.messaging.client import CellClient
from fusioncell.settings import Settings
from tests.web.conftest import auto_approve, browse, browser, served

# The browser tests' fixtures (tests/web/conftest.py), for test_sitrep_browser.py.
__all__ = ["auto_approve", "browse", "browser", "served"]

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)


def at(hours: float) -> str:
    """T0 + hours, in the log's time form."""
    return rfc3339(T0 + timedelta(hours=hours))


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
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data=tmp_path / "data", database_url=db_url, deadline_engine=False)


@pytest.fixture
def cell(settings: Settings) -> Iterator[Cell]:
    c = init_cell(paris_charter_text(), settings, clock=FrozenClock(T0))
    yield c
    c.close()


@pytest.fixture
def clock(cell: Cell) -> FrozenClock:
    assert isinstance(cell.clock, FrozenClock)
    return cell.clock


@pytest.fixture
def member(enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    """member(party, name, role) -> a Member of the demo (its account in the log already)."""

    def make(party: str, name: str, role: Role = Role.LIAISON_OFFICER) -> Member:
        a = enroll(party, name, role)
        kw = {"token": a.token, "key": a.key, "party": party, "member": name, "http": http}
        return Member(
            party, name, http, a.token, DeescClient(**kw), CellClient(**kw), DisputesClient(**kw)
        )

    return make

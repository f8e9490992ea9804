"""The Paris cell on a FrozenClock, members with signing IntelClients on the app under test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.clock import FrozenClock, rfc3339
from fusioncell.intel.client import IntelClient
from fusioncell.settings import Settings
from tests.web.conftest import auto_approve, browse, browser, served

# The browser tests' fixtures (tests/web/conftest.py), for test_intel_browser.py.
__all__ = ["auto_approve", "browse", "browser", "served"]

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)

MakeMember = Callable[..., IntelClient]


def at(hours: float) -> str:
    return rfc3339(T0 + timedelta(hours=hours))


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
    """member(party, name, role=liaison_officer) -> an IntelClient signed in as that member."""

    def make(party: str, name: str, role: Role = Role.LIAISON_OFFICER) -> IntelClient:
        a = enroll(party, name, role)
        return IntelClient(token=a.token, key=a.key, party=party, member=name, http=http)

    return make


def issue(c: IntelClient, report: str, to: list[str], **kw: object) -> int:
    """Issue a plain report released to `to`; keyword arguments replace its fields."""
    fields: dict[str, object] = {
        "title": "Convoy near the line",
        "summary": "Three trucks seen moving north.",
        "body": "Full detail: source, route, times.",
        "lang": "en",
        "window": (at(-6), at(-1)),
        "grading": "B2",
        "releasability": to,
    }
    fields.update(kw)
    return c.issue(report, **fields).index  # type: ignore[arg-type]

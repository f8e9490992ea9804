"""The Paris cell on a FrozenClock with members in the log (`member.added`), each with a
signing DiplomacyClient on the app under test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.clock import FrozenClock
from fusioncell.diplomacy.client import DiplomacyClient
from fusioncell.identity.accounts import do_add_member
from fusioncell.settings import Settings
from tests.web.conftest import auto_approve, browse, browser, served

# The browser tests' fixtures (tests/web/conftest.py), for test_diplomacy_browser.py.
__all__ = ["auto_approve", "browse", "browser", "served"]

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)

MakeMember = Callable[..., DiplomacyClient]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data=tmp_path / "data", database_url=db_url, deadline_engine=False)


@pytest.fixture
def cell(settings: Settings) -> Iterator[Cell]:
    c = init_cell(paris_charter_text(), settings, clock=FrozenClock(T0))
    yield c
    c.close()


@pytest.fixture
def member(cell: Cell, enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    """member(party, name, role=liaison_officer) -> a DiplomacyClient of a member in the log."""

    def make(party: str, name: str, role: Role = Role.LIAISON_OFFICER) -> DiplomacyClient:
        do_add_member(cell, party, name, role)
        a = enroll(party, name, role)
        return DiplomacyClient(token=a.token, key=a.key, party=party, member=name, http=http)

    return make

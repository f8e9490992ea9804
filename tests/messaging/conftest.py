"""Members of the Paris cell with signing clients (CellClient) on the app under test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.clock import FrozenClock
from fusioncell.messaging.client import CellClient
from fusioncell.settings import Settings

MakeClient = Callable[..., CellClient]


@pytest.fixture
def cell(settings: Settings) -> Iterator[Cell]:
    """The Paris cell on a clock that moves only when a test says (deadlines)."""
    c = init_cell(
        paris_charter_text(), settings, clock=FrozenClock(datetime(2026, 11, 26, 9, tzinfo=UTC))
    )
    yield c
    c.close()


@pytest.fixture
def member(enroll, http: TestClient) -> MakeClient:  # type: ignore[no-untyped-def]
    """member(party, name, role=liaison_officer) -> a CellClient signed in as that member."""

    def make(party: str, name: str, role: Role = Role.LIAISON_OFFICER) -> CellClient:
        a = enroll(party, name, role)
        return CellClient(token=a.token, key=a.key, party=party, member=name, http=http)

    return make

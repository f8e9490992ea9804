"""The Paris cell on a FrozenClock, members with a client per capability on the app under
test (their methods overlap, so one object each), all with the same key and token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.clock import FrozenClock, rfc3339
from fusioncell.commerce.client import CommerceClient
from fusioncell.deesc.client import DeescClient
from fusioncell.identity.accounts import do_add_member
from fusioncell.intel.client import IntelClient
from fusioncell.messaging.client import CellClient
from fusioncell.search.client import SearchClient
from fusioncell.settings import Settings
from tests.web.conftest import auto_approve, browse, browser, served

__all__ = ["auto_approve", "browse", "browser", "served"]

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)


def at(hours: float) -> str:
    return rfc3339(T0 + timedelta(hours=hours))


@dataclass
class Member:
    party: str
    cell: CellClient
    intel: IntelClient
    deesc: DeescClient
    commerce: CommerceClient
    search: SearchClient

    def find(self, q: str, **kw: object) -> dict[str, object]:
        return self.search.search(q, **kw)  # type: ignore[arg-type]


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
def member(cell: Cell, enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    def make(party: str, name: str, role: Role = Role.LIAISON_OFFICER) -> Member:
        do_add_member(cell, party, name, role)
        a = enroll(party, name, role)
        kw = {"token": a.token, "key": a.key, "party": party, "member": name, "http": http}
        return Member(
            party,
            CellClient(**kw),
            IntelClient(**kw),
            DeescClient(**kw),
            CommerceClient(**kw),
            SearchClient(**kw),
        )

    return make

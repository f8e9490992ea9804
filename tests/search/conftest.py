"""The Paris cell on a FrozenClock, members with a client per capability on the app under
test (their methods overlap, so one object each), all with the same key and token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.commerce.client import CommerceClient
from fusioncell.deesc.client import DeescClient
from fusioncell.identity.accounts import do_add_member
from fusioncell.intel.client import IntelClient
from fusioncell.messaging.client import CellClient
from fusioncell.search.client import SearchClient
from tests.members import T0, at, cell, settings, signed_in
from tests.web.conftest import auto_approve, browse, browser, served

# The cell's fixtures (tests/members.py), and the browser tests' (tests/web/conftest.py).
__all__ = ["T0", "at", "auto_approve", "browse", "browser", "cell", "served", "settings"]


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
def member(cell: Cell, enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    def make(party: str, name: str, role: Role = Role.LIAISON_OFFICER) -> Member:
        do_add_member(cell, party, name, role)
        a = enroll(party, name, role)
        clients = (CellClient, IntelClient, DeescClient, CommerceClient, SearchClient)
        return Member(party, *(signed_in(c, a, http) for c in clients))  # type: ignore[arg-type]

    return make

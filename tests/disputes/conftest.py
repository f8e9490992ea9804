"""The Paris cell on a FrozenClock with members in the log (`member.added`), each with a
signing DisputesClient on the app under test."""

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
from fusioncell.disputes.client import DisputesClient
from fusioncell.identity.accounts import do_add_member
from fusioncell.settings import Settings
from tests.web.conftest import auto_approve, browse, browser, served

# The browser tests' fixtures (tests/web/conftest.py), for test_disputes_browser.py.
__all__ = ["auto_approve", "browse", "browser", "served"]

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)

# A fourth party, so that a dispute between IL and SY (with the supervisor) leaves one out.
JORDAN = """
[[parties]]
code = "JO"
languages = ["ar", "en"]
timezone = "Asia/Amman"
name = { en = "Jordan", ar = "الأردن", he = "ירדן" }

"""


def four_parties() -> str:
    """The Paris charter with Jordan as a fourth party."""
    text = paris_charter_text()
    cut = text.index("[[workstreams]]")
    return text[:cut] + JORDAN + text[cut:]


MakeMember = Callable[..., DisputesClient]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data=tmp_path / "data", database_url=db_url, deadline_engine=False)


@pytest.fixture
def cell(settings: Settings) -> Iterator[Cell]:
    c = init_cell(four_parties(), settings, clock=FrozenClock(T0))
    yield c
    c.close()


@pytest.fixture
def member(cell: Cell, enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    """member(party, name, role=liaison_officer) -> a DisputesClient of a member in the log."""

    def make(party: str, name: str, role: Role = Role.LIAISON_OFFICER) -> DisputesClient:
        do_add_member(cell, party, name, role)
        a = enroll(party, name, role)
        return DisputesClient(token=a.token, key=a.key, party=party, member=name, http=http)

    return make

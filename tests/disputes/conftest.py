"""The Paris cell on a FrozenClock with members in the log (`member.added`), each with a
signing DisputesClient on the app under test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from fusioncell.cell import Cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.disputes.client import DisputesClient
from fusioncell.settings import Settings
from tests.members import T0, frozen_cell, member_maker, settings
from tests.web.conftest import auto_approve, browse, browser, served

# The cell's settings (tests/members.py), and the browser tests' fixtures
# (tests/web/conftest.py) for test_disputes_browser.py.
__all__ = ["T0", "auto_approve", "browse", "browser", "served", "settings"]

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
def cell(settings: Settings) -> Iterator[Cell]:
    with frozen_cell(settings, four_parties()) as c:
        yield c


@pytest.fixture
def member(cell: Cell, enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    """member(party, name, role=liaison_officer) -> a DisputesClient of a member in the log."""
    return member_maker(DisputesClient, enroll, http, in_log=cell)

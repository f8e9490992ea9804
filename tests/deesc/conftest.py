"""The Paris cell on a FrozenClock (tests/members.py), with signing DeescClients on the app
under test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from fusioncell.deesc.client import DeescClient
from tests.members import T0, at, cell, clock, member_maker, settings
from tests.web.conftest import auto_approve, browse, browser, served

# Offered to the tests here: the cell's fixtures (tests/members.py), and the browser tests'
# (tests/web/conftest.py) for test_deesc_browser.py.
__all__ = ["T0", "at", "auto_approve", "browse", "browser", "cell", "clock", "served", "settings"]

MakeMember = Callable[..., DeescClient]


@pytest.fixture
def member(enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    """member(party, name, role=liaison_officer) -> a DeescClient signed in as that member."""
    return member_maker(DeescClient, enroll, http)

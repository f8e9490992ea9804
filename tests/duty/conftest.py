"""The Paris cell on a FrozenClock (tests/members.py) with members in the log
(`member.added`), each with a signing DutyClient on the app under test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.duty.client import DutyClient
from tests.members import T0, at, cell, clock, member_maker, settings
from tests.web.conftest import auto_approve, browse, browser, served

# Offered to the tests here: the cell's fixtures (tests/members.py), and the browser tests'
# (tests/web/conftest.py) for test_duty_browser.py.
__all__ = ["T0", "at", "auto_approve", "browse", "browser", "cell", "clock", "served", "settings"]

MakeMember = Callable[..., DutyClient]


@pytest.fixture
def member(cell: Cell, enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    """member(party, name, role=duty_officer) -> a DutyClient of a member in the log."""
    return member_maker(DutyClient, enroll, http, in_log=cell, role=Role.DUTY_OFFICER)

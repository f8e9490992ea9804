"""The Paris cell on a FrozenClock (tests/members.py) with members in the log
(`member.added`), each with a signing StatementsClient on the app under test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from fusioncell.cell import Cell
from fusioncell.statements.client import StatementsClient
from tests.members import T0, cell, member_maker, settings
from tests.web.conftest import auto_approve, browse, browser, served

# Offered to the tests here: the cell's fixtures (tests/members.py), and the browser tests'
# (tests/web/conftest.py) for test_statements_browser.py.
__all__ = ["T0", "auto_approve", "browse", "browser", "cell", "served", "settings"]

MakeMember = Callable[..., StatementsClient]


@pytest.fixture
def member(cell: Cell, enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    """member(party, name, role=liaison_officer) -> a StatementsClient of a member in the log."""
    return member_maker(StatementsClient, enroll, http, in_log=cell)

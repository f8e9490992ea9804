"""The Paris cell on a FrozenClock (tests/members.py), members with signing IntelClients on
the app under test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from fusioncell.intel.client import IntelClient
from tests.members import T0, at, cell, clock, member_maker, settings
from tests.web.conftest import auto_approve, browse, browser, served

# Offered to the tests here: the cell's fixtures (tests/members.py), and the browser tests'
# (tests/web/conftest.py) for test_intel_browser.py.
__all__ = ["T0", "at", "auto_approve", "browse", "browser", "cell", "clock", "served", "settings"]

MakeMember = Callable[..., IntelClient]


@pytest.fixture
def member(enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    """member(party, name, role=liaison_officer) -> an IntelClient signed in as that member."""
    return member_maker(IntelClient, enroll, http)


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

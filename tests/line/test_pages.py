"""The /line page renders, in every language, for each kind of reader, with what that
reader may do and nothing more; the home page carries the line's state in one line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.line.client import LineClient
from tests.line.conftest import Person, clock
from tests.web.marks import check_marks

LANGS = ("ar", "he", "en")


def page(http: TestClient, who: LineClient, lang: str = "en", path: str = "/line") -> str:
    r = http.get(path, headers={**who.headers, "Accept-Language": lang})
    assert r.status_code == 200, r.text[:500]
    assert "<script>" not in r.text and " style=" not in r.text  # CSP: nothing inline
    return r.text


@pytest.fixture
def busy(cell: Cell, person: Person, on_duty: dict[str, LineClient]) -> dict[str, LineClient]:
    """A line with an answered, a late, a missed and an open check, and a suspension."""
    sup = person("US", "us-supervisor", Role.SUPERVISOR)
    head = person("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    a, _ = sup.request_check(["IL", "SY"])
    on_duty["IL"].answer(a)
    clock(cell).advance(timedelta(minutes=11))
    DeadlineEngine(cell, schedules=[]).run_due()
    on_duty["SY"].answer(a)  # late
    sup.request_check(["SY"])
    clock(cell).advance(timedelta(minutes=11))
    DeadlineEngine(cell, schedules=[]).run_due()  # missed
    b, _ = sup.request_check()
    on_duty["US"].answer(b)
    head.suspend("نعلّق الخط مؤقتاً", "ar")
    return {**on_duty, "sup": sup, "sy-head": head}


@pytest.mark.parametrize("lang", LANGS)
def test_every_language(http: TestClient, busy: dict[str, LineClient], lang: str) -> None:
    for who in (busy["sup"], busy["IL"], busy["sy-head"]):
        html = page(http, who, lang)
        assert f'lang="{lang}"' in html
        assert 'data-state="suspended"' in html
        assert "نعلّق الخط مؤقتاً" in html
        check_marks(http, who, html, to=lang)  # the reason, marked for translation


def test_what_each_reader_may_do(http: TestClient, busy: dict[str, LineClient]) -> None:
    sup = page(http, busy["sup"])
    assert 'id="line-request-form"' in sup  # send a check now
    assert 'data-mode="resume"' in sup  # the supervisor may lift the suspension
    assert 'data-action="answer"' not in sup  # US answered its check
    il = page(http, busy["IL"])  # IL's duty holder owes the open check
    assert 'id="line-request-form"' not in il
    assert 'data-action="answer"' in il
    assert 'data-mode=""' in il and 'id="line-declare-form"' not in il
    head = page(http, busy["sy-head"])
    assert 'data-mode="resume"' in head  # SY suspended it: SY may resume
    assert 'data-action="answer"' not in head  # not on duty
    assert "Only the member on duty answers" in head
    il_admin = page(http, busy["il-admin"])
    assert 'data-mode=""' in il_admin  # IL did not suspend it
    for state in ("answered", "late", "missed", "open"):
        assert f'data-state="{state}"' in sup


def test_home_shows_the_line(http: TestClient, busy: dict[str, LineClient]) -> None:
    html = page(http, busy["IL"], path="/")
    assert 'id="line-home"' in html and 'href="/line"' in html
    assert "نعلّق الخط مؤقتاً" in html

"""The kinds of disputes, understandings, diplomacy and joint statements are indexed: each
text in its language, linking to its page; every area has a name in three languages."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from bench.search import entry

from fusioncell.search.projector import SOURCES, SearchProjector, areas
from fusioncell.web.search_pages import AREA_NAMES, FIELD_NAMES

D, U, R = "/disputes/d/dsp-00001", "/understandings/u1", "/diplomacy/r/r1"
MEET = "/diplomacy/m/meet-0001"
STMT = "/statements/s/stmt-0001"
T = {"text": "نص", "lang": "ar"}

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str, str]], str]] = [
    (
        "dispute.raised",
        {
            "dispute": "dsp-00001",
            "title": "عنوان",
            "account": "رواية",
            "request": "طلب",
            "lang": "ar",
            "parties": ["IL", "SY", "US"],
            "cites": [],
        },
        [("title", "عنوان", "ar"), ("account", "رواية", "ar"), ("request", "طلب", "ar")],
        D,
    ),
    (
        "dispute.answered",
        {"dispute": "dsp-00001", "text": "תשובה", "lang": "he"},
        [("text", "תשובה", "he")],
        D,
    ),
    (
        "dispute.statement.made",
        {"dispute": "dsp-00001", "text": "x y", "lang": "en"},
        [("text", "x y", "en")],
        D,
    ),
    (
        "dispute.finding.recorded",
        {"dispute": "dsp-00001", "finding": "agreed", "text": "fact", "lang": "en"},
        [("text", "fact", "en")],
        D,
    ),
    (
        "dispute.resolution.proposed",
        {"dispute": "dsp-00001", "text": "p", "lang": "en"},
        [("text", "p", "en")],
        D,
    ),
    (
        "dispute.resolution.rejected",
        {"dispute": "dsp-00001", "proposal": 3, "reason": "no", "lang": "en"},
        [("reason", "no", "en")],
        D,
    ),
    (
        "dispute.referred",
        {"dispute": "dsp-00001", "to": "next_round", "reason": "later", "lang": "en"},
        [("reason", "later", "en")],
        D,
    ),
    ("dispute.mediation.opened", {"dispute": "dsp-00001"}, [], D),
    (
        "dispute.mediation.opened",
        {"dispute": "dsp-00001", "text": "m", "lang": "en"},
        [("text", "m", "en")],
        D,
    ),
    (
        "dispute.resolved",
        {"dispute": "dsp-00001", "proposal": 4, "text": "r", "lang": "en"},
        [("text", "r", "en")],
        D,
    ),
    (
        "dispute.withdrawn",
        {"dispute": "dsp-00001", "text": "w", "lang": "en"},
        [("text", "w", "en")],
        D,
    ),
    (
        "understanding.recorded",
        {
            "understanding": "u1",
            "kind": "joint",
            "text": "t",
            "lang": "en",
            "parties": [],
            "source": "s",
        },
        [("text", "t", "en"), ("source", "s", "en")],
        U,
    ),
    (
        "understanding.status.changed",
        {"understanding": "u1", "status": "met", "reason": "r", "lang": "en", "evidence": []},
        [("reason", "r", "en")],
        U,
    ),
    (
        "understanding.timeline.set",
        {"understanding": "u1", "start": None, "end": None, "reason": "r", "lang": "en"},
        [("reason", "r", "en")],
        U,
    ),
    (
        "understanding.milestone.set",
        {
            "understanding": "u1",
            "milestone": "ms-000001",
            "title": "t",
            "lang": "en",
            "due": "x",
            "parties": [],
        },
        [("title", "t", "en")],
        U,
    ),
    (
        "understanding.milestone.moved",
        {"understanding": "u1", "milestone": "ms-000001", "due": "x", "reason": "r", "lang": "en"},
        [("reason", "r", "en")],
        U,
    ),
    (
        "understanding.milestone.met",
        {
            "understanding": "u1",
            "milestone": "ms-000001",
            "text": "t",
            "lang": "en",
            "evidence": [],
        },
        [("text", "t", "en")],
        U,
    ),
    (
        "understanding.verification.recorded",
        {
            "understanding": "u1",
            "findings": "f",
            "lang": "en",
            "assessment": "on_track",
            "evidence": [],
        },
        [("findings", "f", "en")],
        U,
    ),
    ("understanding.link.added", {"understanding": "u1", "entry": 3}, [], U),
    (
        "understanding.link.added",
        {"understanding": "u1", "entry": 3, "note": "n", "lang": "he"},
        [("note", "n", "he")],
        U,
    ),
    (
        "diplomacy.round.recorded",
        {
            "round": "r1",
            "place": [T, {"text": "Paris", "lang": "en"}],
            "start": "x",
            "end": "x",
            "delegations": [],
            "note": [{"text": "n", "lang": "en"}],
        },
        [("place", "نص", "ar"), ("place", "Paris", "en"), ("note", "n", "en")],
        R,
    ),
    (
        "diplomacy.round.revised",
        {"round": "r1", "place": [T], "start": "x", "end": "x", "delegations": []},
        [("place", "نص", "ar")],
        R,
    ),
    (
        "diplomacy.meeting.scheduled",
        {
            "round": "r1",
            "meeting": "meet-0001",
            "title": [{"text": "ti", "lang": "en"}],
            "place": [T],
            "start": "x",
            "end": "x",
            "tz": "UTC",
            "delegations": [],
            "agenda": [{"text": "a", "lang": "he"}],
        },
        [("title", "ti", "en"), ("place", "نص", "ar"), ("agenda", "a", "he")],
        MEET,
    ),
    (
        "diplomacy.minutes.recorded",
        {"meeting": "meet-0001", "text": "m", "lang": "en"},
        [("text", "m", "en")],
        MEET,
    ),
    (
        "diplomacy.outcome.recorded",
        {"meeting": "meet-0001", "text": "o", "lang": "en"},
        [("text", "o", "en")],
        MEET,
    ),
    (
        "diplomacy.followup.added",
        {"meeting": "meet-0001", "item": "item-0001", "text": "f", "lang": "en", "party": "IL"},
        [("text", "f", "en")],
        MEET,
    ),
    (
        "diplomacy.followup.closed",
        {"meeting": "meet-0001", "item": "item-0001", "text": "c", "lang": "en"},
        [("text", "c", "en")],
        MEET,
    ),
    (
        "statement.created",
        {
            "statement": "stmt-0001",
            "parties": ["IL", "SY", "US"],
            "title": "ti",
            "lang": "en",
            "texts": {"en": "e", "ar": "ع", "he": "ע"},
        },
        [("title", "ti", "en"), ("text", "ع", "ar"), ("text", "e", "en"), ("text", "ע", "he")],
        STMT,
    ),
    (
        "statement.version.proposed",
        {"statement": "stmt-0001", "base": 1, "texts": {"he": "ע2", "en": "e2"}},
        [("text", "e2", "en"), ("text", "ע2", "he")],
        STMT,
    ),
    (
        "statement.comment.added",
        {
            "statement": "stmt-0001",
            "version": 1,
            "text": "c",
            "lang": "ar",
            "passage": {"lang": "en", "start": 0, "end": 1, "quote": "e"},
        },
        [("text", "c", "ar")],
        STMT,
    ),
]


@pytest.mark.parametrize(("kind", "body", "want", "link"), CASES)
def test_each_kind_is_indexed_with_its_page(
    kind: str, body: dict[str, Any], want: list[tuple[str, str, str]], link: str
) -> None:
    sqlite = SimpleNamespace(dialect=SimpleNamespace(name="sqlite"))  # no query needed
    rows = SearchProjector().rows(sqlite, entry(7, kind=kind, subject="x"), body)  # type: ignore[arg-type]
    assert [(r["field"], r["text"], r["lang"]) for r in rows] == want
    assert all(r["link"] == link and r["visibility"] == ",IL,US," for r in rows)


def test_every_kind_of_the_four_capabilities_is_registered() -> None:
    from fusioncell.diplomacy import kinds as dk
    from fusioncell.disputes import kinds as sk
    from fusioncell.statements import kinds as tk
    from fusioncell.understandings import kinds as uk

    silent = {  # entries without text of their own
        "dispute.resolution.accepted",
        "diplomacy.round.next",
        "statement.approved",
    }
    for k in (*dk.KINDS, *sk.KINDS, *tk.KINDS, *uk.KINDS):
        assert (k in SOURCES) != (k in silent), k


def test_every_area_and_field_has_a_name() -> None:
    assert set(areas()) <= set(AREA_NAMES)
    fields = {"title", "account", "request", "text", "reason", "source", "findings", "note"}
    assert fields | {"place", "agenda"} <= set(FIELD_NAMES)

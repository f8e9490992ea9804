"""The demo's diplomatic record (fusioncell.demo): the Paris round of the charter, given
its dates and the roles attending, with its plenary meeting: an agenda in the three
languages, minutes in English, the outcome (the joint fusion mechanism established) and
two follow-up items, one closed and one open (it carries into the next round, which is
not yet scheduled). Each step is signed by its member's own demo key.

Talks resumed in Paris on Monday 5 January 2026 and the joint statement came on the
Tuesday; the people are named by their roles only."""

from __future__ import annotations

from typing import Any

from fusioncell.cell import Cell
from fusioncell.diplomacy import kinds
from fusioncell.identity.devices import post_as
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey

PARTIES = ["IL", "SY", "US"]
ROUND = "paris"
PLENARY = "paris-plenary"
ITEM_LIAISON = "f-paris-liaison"
ITEM_PROCEDURE = "f-paris-procedure"

_DELEGATIONS = [
    {"party": "IL", "roles": ["head_of_delegation", "liaison_officer"]},
    {"party": "SY", "roles": ["head_of_delegation", "liaison_officer"]},
    {"party": "US", "roles": ["supervisor"]},
]


def seed_diplomacy(cell: Cell, keys: dict[str, SigningKey]) -> None:
    def post(member: str, kind: str, subject: str, body: dict[str, Any]) -> None:
        key = keys[member]
        party = member.split("-", 1)[0].upper()
        post_as(cell, key, Author(party, member, key.key_id_hex), kind, subject, PARTIES, body)

    place = [
        {"text": "Paris", "lang": "en"},
        {"text": "باريس", "lang": "ar"},
        {"text": "פריז", "lang": "he"},
    ]
    note = [
        {
            "text": "Talks resumed after a pause of several months, mediated and supervised"
            " by the United States.",
            "lang": "en",
        }
    ]
    post(
        "us-supervisor",
        kinds.ROUND_REVISED,
        kinds.round_subject(ROUND),
        {
            "round": ROUND,
            "place": place,
            "start": "2026-01-05",
            "end": "2026-01-06",
            "delegations": _DELEGATIONS,
            "note": note,
        },
    )
    meeting = kinds.meeting_subject(PLENARY)
    post(
        "us-supervisor",
        kinds.MEETING,
        meeting,
        {
            "round": ROUND,
            "meeting": PLENARY,
            "title": [
                {"text": "Plenary session", "lang": "en"},
                {"text": "الجلسة العامة", "lang": "ar"},
                {"text": "מושב המליאה", "lang": "he"},
            ],
            "place": place,
            "start": "2026-01-06T10:00",
            "end": "2026-01-06T13:00",
            "tz": "Europe/Paris",
            "delegations": _DELEGATIONS,
            "agenda": [
                {"text": "Opening by the United States delegation", "lang": "en"},
                {"text": "ترتيبات الأمن والاستقرار الدائمة لكلا البلدين", "lang": "ar"},
                {"text": "הקמת מנגנון מיזוג משותף ותא תקשורת ייעודי", "lang": "he"},
                {"text": "The date of the next round", "lang": "en"},
            ],
        },
    )
    post(
        "us-supervisor",
        kinds.MINUTES,
        meeting,
        {
            "meeting": PLENARY,
            "text": (
                "The delegations of Israel and Syria met under US supervision after a pause"
                " of several months. Both renewed their commitment to lasting security and"
                " stability arrangements for both countries. They agreed to establish a joint"
                " fusion mechanism, a dedicated communication cell under US supervision. No"
                " date was set for the next round."
            ),
            "lang": "en",
        },
    )
    post(
        "us-supervisor",
        kinds.OUTCOME,
        meeting,
        {
            "meeting": PLENARY,
            "text": (
                "The joint fusion mechanism is established: a dedicated communication cell for"
                " intelligence sharing, military de-escalation, diplomatic engagement and"
                " commercial opportunities, under US supervision."
            ),
            "lang": "en",
        },
    )
    post(
        "us-supervisor",
        kinds.FOLLOWUP,
        meeting,
        {
            "meeting": PLENARY,
            "item": ITEM_LIAISON,
            "text": "Name each party's liaison officers and duty officers for the cell.",
            "lang": "en",
            "party": "SY",
            "due": "2026-01-20",
        },
    )
    post(
        "il-head",
        kinds.FOLLOWUP,
        meeting,
        {
            "meeting": PLENARY,
            "item": ITEM_PROCEDURE,
            "text": "להציע נוהל עבודה לתא התקשורת, כולל בדיקות קו יומיות.",
            "lang": "he",
            "party": "IL",
        },
    )
    post(
        "sy-head",
        kinds.CLOSED,
        meeting,
        {
            "meeting": PLENARY,
            "item": ITEM_LIAISON,
            "text": "تمت تسمية ضباط الارتباط وضباط المناوبة وتسجيلهم في الخلية.",
            "lang": "ar",
        },
    )

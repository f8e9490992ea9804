"""The demo's dispute (fusioncell.demo): one open dispute in the three languages, each step
signed by its member's own demo key.

Syria disputes in Arabic where the shelling of the incident it reported (deesc/demo.py,
found in the log) came from, citing the incident and its clarification; Israel answers in
Hebrew; the supervisor opens mediation and records facts and a finding in English, and
proposes a resolution, which Syria's head of delegation has accepted and Israel's has not
yet answered."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.disputes import kinds
from fusioncell.identity.devices import post_as
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.tables import log_entries

PARTIES = ["IL", "SY", "US"]
DISPUTE = "demo-shelling-origin"
MEMBERS = ("sy-liaison", "il-liaison", "us-supervisor", "sy-head")


def _incident(cell: Cell) -> list[int]:
    """The incident Syria reported and the entries of its clarification, from the log."""
    with reading(cell.engine) as conn:
        incident = conn.execute(
            select(log_entries.c.idx)
            .where(log_entries.c.kind == "deesc.incident.reported", log_entries.c.party == "SY")
            .order_by(log_entries.c.idx)
            .limit(1)
        ).scalar()
        if incident is None:
            return []
        clarified = conn.execute(
            select(log_entries.c.idx)
            .where(
                log_entries.c.kind == "deesc.clarification.answered",
                log_entries.c.idx > incident,
            )
            .order_by(log_entries.c.idx)
            .limit(1)
        ).scalar()
    return [int(incident)] + ([int(clarified)] if clarified is not None else [])


def seed_disputes(cell: Cell, keys: dict[str, SigningKey]) -> None:
    if any(m not in keys for m in MEMBERS):
        return

    def post(member: str, kind: str, body: dict[str, Any]) -> int:
        key = keys[member]
        party = member.split("-", 1)[0].upper()
        done = post_as(
            cell,
            key,
            Author(party, member, key.key_id_hex),
            kind,
            kinds.subject(DISPUTE),
            PARTIES,
            {"dispute": DISPUTE, **body},
        )
        return done.index

    post(
        "sy-liaison",
        kinds.RAISED,
        {
            "parties": PARTIES,
            "title": "مصدر القصف المدفعي قرب أطراف القرية",
            "account": (
                "سقطت القذائف من جهة الغرب، من مواقع تقع خلف خط الفصل، وأصيب مدنيان."
                " لا نقبل وصف الحادث بأنه مجهول المصدر."
            ),
            "request": (
                "نطلب تحقيقاً مشتركاً في بقايا القذائف، وإخطاراً مسبقاً بأي نشاط مدفعي قرب خط الفصل."
            ),
            "lang": "ar",
            "cites": _incident(cell),
            "understanding": "security-arrangements",
        },
    )
    post(
        "il-liaison",
        kinds.ANSWERED,
        {
            "text": (
                "כוחותינו לא ירו בגזרה זו בשעות הבוקר של אותו יום. נבקש את שברי הפגזים"
                ' ואת נתוני המכ"ם, אם ישנם, לבדיקה משותפת.'
            ),
            "lang": "he",
        },
    )
    post(
        "us-supervisor",
        kinds.MEDIATION,
        {"text": "Mediation opened at the request of both delegations.", "lang": "en"},
    )
    for finding, text in (
        (
            "agreed",
            "Shells fell near the village outskirts that morning; two civilians were injured.",
        ),
        ("disputed", "The direction and the origin of the fire."),
        (
            "finding",
            "Neither party has yet shared fragment or radar evidence; the cell's records do"
            " not establish the origin of the fire.",
        ),
    ):
        post("us-supervisor", kinds.FINDING, {"finding": finding, "text": text, "lang": "en"})
    proposal = post(
        "us-supervisor",
        kinds.PROPOSED,
        {
            "text": (
                "A joint technical team, with US observers, examines the fragments within"
                " seven days; both parties notify artillery activity within 5 km of the line"
                " 72 hours ahead."
            ),
            "lang": "en",
        },
    )
    post("sy-head", kinds.ACCEPTED, {"proposal": proposal})

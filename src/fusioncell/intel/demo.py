"""The demo's intelligence (fusioncell.demo): a Syrian report in Arabic released to the
supervisor only; an Israeli report in Hebrew released to the supervisor, with a tear-line
summary for every party; a Syrian request for information that the Israeli party answers
with that report; and the supervisor's assessment. Signed by the demo members' own keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.identity.devices import post_as
from fusioncell.intel import kinds
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey

SY_REPORT = "demo-sy-report-1"
IL_REPORT = "demo-il-report-1"
RFI = "demo-rfi-1"


def seed_intel(cell: Cell, keys: dict[str, SigningKey]) -> None:
    if any(m not in keys for m in ("sy-liaison", "il-liaison", "us-supervisor")):
        return
    everyone = sorted(cell.charter.codes)
    now = cell.clock.now()
    window = {"start": rfc3339(now - timedelta(hours=6)), "end": rfc3339(now - timedelta(hours=2))}

    def write(member: str, kind: str, subject: str, vis: list[str], body: dict[str, Any]) -> None:
        key = keys[member]
        party = member.split("-", 1)[0].upper()
        post_as(cell, key, Author(party, member, key.key_id_hex), kind, subject, vis, body)

    write(
        "sy-liaison",
        kinds.ISSUED,
        kinds.report_subject(SY_REPORT),
        ["SY", "US"],
        {
            "report": SY_REPORT,
            "title": "نشاط جوي قرب خط الفصل",
            "summary": "رصد طائرة مسيّرة فوق القطاع الشمالي.",
            "body": "رصدت نقطة المراقبة 4 طائرة مسيّرة تحلّق على ارتفاع منخفض لمدة عشرين دقيقة.",
            "lang": "ar",
            "window": window,
            "grading": {"source": "B", "info": 2},
            "releasability": ["SY", "US"],
            "places": [{"type": "Point", "coordinates": [35.82, 33.12]}],
        },
    )
    write(
        "il-liaison",
        kinds.ISSUED,
        kinds.report_subject(IL_REPORT),
        ["IL", "US"],
        {
            "report": IL_REPORT,
            "title": "תנועת רכבים ליד קו ההפרדה",
            "summary": "שלוש משאיות נעו צפונה.",
            "body": "תצפית 7 דיווחה על שלוש משאיות שנעו צפונה בכביש המקביל לקו; מקור אנושי.",
            "lang": "he",
            "window": window,
            "grading": {"source": "C", "info": 3},
            "releasability": ["IL", "US"],
            "places": [
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[35.7, 33.0], [35.8, 33.0], [35.8, 33.1], [35.7, 33.1], [35.7, 33.0]]
                    ],
                }
            ],
        },
    )
    write(
        "il-liaison",
        kinds.SUMMARY,
        kinds.report_subject(IL_REPORT),
        everyone,
        {
            "report": IL_REPORT,
            "title": "Vehicle movement near the line",
            "text": "Three trucks moved north along the line; details withheld.",
            "lang": "en",
            "withheld": True,
        },
    )
    write(
        "sy-liaison",
        kinds.RFI_REQUESTED,
        kinds.rfi_subject(RFI),
        everyone,
        {"rfi": RFI, "to": "IL", "text": "ما سبب تحرّك الشاحنات قرب الخط؟", "lang": "ar"},
    )
    write(
        "il-liaison",
        kinds.RFI_ANSWERED,
        kinds.rfi_subject(RFI),
        everyone,
        {"rfi": RFI, "report": IL_REPORT},
    )
    write(
        "us-supervisor",
        kinds.ASSESSED,
        kinds.report_subject(IL_REPORT),
        ["IL", "US"],
        {
            "report": IL_REPORT,
            "assessment": "corroborated",
            "grading": {"source": "A", "info": 2},
            "text": "Imagery confirms the movement.",
            "lang": "en",
        },
    )

"""The demo's commercial opportunities (fusioncell.demo): two proposals in the three
languages at different stages, each step signed by its member's own demo key.

- Syria proposes an agricultural trade corridor in Arabic; Israel states interest in
  Hebrew, the supervisor in English; it is agreed in principle.
- Israel proposes connecting the power grids in Hebrew, revises it in English; Syria asks
  for more in Arabic, and puts it under review."""

from __future__ import annotations

from typing import Any

from fusioncell.cell import Cell
from fusioncell.commerce import kinds
from fusioncell.identity.devices import post_as
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey

PARTIES = ["IL", "SY", "US"]
CORRIDOR = "demo-agri-corridor"
GRID = "demo-power-grid"

_CORRIDOR: dict[str, Any] = {
    "sector": "agriculture",
    "title": "ممر تجاري للمنتجات الزراعية عبر القنيطرة",
    "description": (
        "نقترح فتح ممر لتصدير الخضار والفواكه الموسمية من جنوب سوريا عبر معبر القنيطرة،"
        " مع فحص مشترك للشحنات ومواعيد عبور ثابتة."
    ),
    "lang": "ar",
    "partners": ["اتحاد المصدّرين السوريين", "Galilee Growers Cooperative"],
    "value": {"amount": 4_000_000, "currency": "USD"},
    "documents": [],
    "understanding": "borders-economy",
}
_GRID: dict[str, Any] = {
    "sector": "energy",
    "title": "חיבור רשתות החשמל לחילופי עודפים בקיץ",
    "description": 'הצעה לבחון קו חשמל משותף באורך 40 ק"מ להעברת עודפי ייצור בשעות השיא.',
    "lang": "he",
    "partners": ["חברת החשמל לישראל"],
    "value": {"amount": 25_000_000, "currency": "USD"},
    "documents": [],
    "understanding": "borders-economy",
}


def seed_commerce(cell: Cell, keys: dict[str, SigningKey]) -> None:
    def post(member: str, kind: str, proposal: str, body: dict[str, Any]) -> None:
        key = keys[member]
        party = member.split("-", 1)[0].upper()
        post_as(
            cell,
            key,
            Author(party, member, key.key_id_hex),
            kind,
            kinds.subject(proposal),
            PARTIES,
            {"proposal": proposal, **body},
        )

    post("sy-liaison", kinds.SUBMITTED, CORRIDOR, {"parties": PARTIES, **_CORRIDOR})
    post(
        "il-liaison",
        kinds.INTEREST,
        CORRIDOR,
        {
            "level": "interested",
            "text": "מעוניינים. נבקש את לוח הזמנים המוצע ואת נוהל הבדיקה המשותפת.",
            "lang": "he",
        },
    )
    post(
        "us-supervisor",
        kinds.INTEREST,
        CORRIDOR,
        {
            "level": "interested",
            "text": "The United States can support the joint inspection arrangements.",
            "lang": "en",
        },
    )
    post("sy-head", kinds.STAGE, CORRIDOR, {"stage": "under_review"})
    post(
        "il-head",
        kinds.STAGE,
        CORRIDOR,
        {"stage": "agreed_in_principle", "text": "הוסכם עקרונית בישיבת התא.", "lang": "he"},
    )

    post("il-head", kinds.SUBMITTED, GRID, {"parties": PARTIES, **_GRID})
    post(
        "il-head",
        kinds.REVISED,
        GRID,
        {
            **_GRID,
            "title": "Connecting the power grids to exchange summer surpluses",
            "description": (
                "A study of a shared 40 km power line to move surplus generation at peak"
                " hours, in two phases; the first phase is the study alone."
            ),
            "lang": "en",
        },
    )
    post(
        "sy-liaison",
        kinds.INTEREST,
        GRID,
        {
            "level": "need_more",
            "text": "نحتاج إلى تفاصيل عن نقطة الربط وتقاسم التكاليف قبل إبداء الاهتمام.",
            "lang": "ar",
        },
    )
    post(
        "sy-head",
        kinds.STAGE,
        GRID,
        {"stage": "under_review", "text": "قيد الدراسة لدى وزارة الكهرباء.", "lang": "ar"},
    )

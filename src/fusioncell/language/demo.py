"""The demo's glossary and a verified translation (fusioncell.demo), each step signed by
its member's own demo key:

- three terms in Arabic, Hebrew and English (the separation line, the Quneitra crossing,
  the UNDOF area of separation), each proposed by one party and agreed by the others;
- the Syrian liaison officer's FLASH message about movements near the separation line,
  translated into Hebrew and signed by the Israeli liaison officer.

The engine stays `none` (the settings' default): machine translation needs the operator's
engine (docs/translation.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.identity.devices import post_as
from fusioncell.language import kinds
from fusioncell.language.projector import sha256_text
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.tables import log_entries
from fusioncell.messaging.tables import cell_messages

# The FLASH message of fusioncell.demo.THREADS ("separation-line-0600").
MESSAGE_AR = "نطلب توضيحاً بشأن تحركات قرب خط الفصل صباح اليوم."
MESSAGE_HE = "אנו מבקשים הבהרה בנוגע לתנועות ליד קו ההפרדה הבוקר."

TERMS: list[tuple[str, str, dict[str, str], tuple[str, str] | None, list[str]]] = [
    (
        "separation-line",
        "sy-liaison",
        {"ar": "خط الفصل", "he": "קו ההפרדה", "en": "separation line"},
        ("الخط الذي يحدد منطقة الفصل وفق اتفاقية فك الاشتباك لعام 1974.", "ar"),
        ["il-liaison", "us-head"],
    ),
    (
        "quneitra-crossing",
        "il-liaison",
        {"ar": "معبر القنيطرة", "he": "מעבר קוניטרה", "en": "Quneitra crossing"},
        None,
        ["sy-liaison", "us-head"],
    ),
    (
        "undof-zone",
        "us-head",
        {
            "ar": "منطقة الفصل التابعة للأندوف",
            "he": "אזור ההפרדה של אונדו״ף",
            "en": "UNDOF area of separation",
        },
        ("The area patrolled by the UN Disengagement Observer Force.", "en"),
        ["il-head", "sy-head"],
    ),
]


def seed_language(cell: Cell, keys: dict[str, SigningKey]) -> None:
    everyone = cell.charter.codes

    def post(member: str, kind: str, subject: str, visibility: list[str], body: Any) -> int:
        key = keys[member]
        author = Author(member.split("-", 1)[0].upper(), member, key.key_id_hex)
        return post_as(cell, key, author, kind, subject, visibility, body).index

    for term, proposer, texts, note, agreeing in TERMS:
        body: dict[str, Any] = {"term": term, "texts": texts}
        if note is not None:
            body["note"] = {"text": note[0], "lang": note[1]}
        version = post(proposer, kinds.PROPOSED, kinds.term_subject(term), everyone, body)
        for member in agreeing:
            post(
                member,
                kinds.AGREED,
                kinds.term_subject(term),
                everyone,
                {"term": term, "version": version},
            )

    with reading(cell.engine) as conn:
        row = conn.execute(
            select(log_entries.c.idx, log_entries.c.visibility)
            .join(cell_messages, cell_messages.c.idx == log_entries.c.idx)
            .where(cell_messages.c.text == MESSAGE_AR)
        ).first()
    if row is None:  # the demo's threads were not seeded
        return
    entry = int(row.idx)
    post(
        "il-liaison",
        kinds.VERIFIED,
        kinds.translation_subject(entry),
        [p for p in row.visibility.split(",") if p],
        {
            "entry": entry,
            "field": "text",
            "lang": "he",
            "text": MESSAGE_HE,
            "of_sha256": sha256_text(MESSAGE_AR),
        },
    )

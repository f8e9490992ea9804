"""The demo's understandings (fusioncell.demo): the eight of the charter (paris-demo.md),
with statuses given by signed entries in Arabic, Hebrew and English, a timeline and
milestones, one verification report by the supervisor and a link. Runs after the
workstreams' seeds, whose entries it cites as evidence.

- fusion-mechanism: met (the supervisor), citing the charter (entry 0) and the cell's
  first thread;
- security-arrangements: in progress (Israel's head of delegation, in Hebrew), with a
  timeline and two milestones, and the supervisor's verification report;
- halt-military-activity: disputed by Syria's head of delegation, in Arabic, citing the
  incident of the de-escalation demo, which Syria's liaison officer also links;
- borders-economy: in progress, citing the agricultural corridor proposal;
- withdrawal-timeline: a milestone set by Syria (in Arabic); the others stay not started.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.commerce.tables import commerce_proposals
from fusioncell.deesc.tables import deesc_incidents
from fusioncell.identity.devices import post_as
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.tables import log_entries
from fusioncell.understandings import kinds


def _first(cell: Cell, q: Any) -> int | None:
    with cell.engine.connect() as c:
        v = c.execute(q).scalars().first()
    return None if v is None else int(v)


def seed_understandings(cell: Cell, keys: dict[str, SigningKey]) -> None:
    if any(m not in keys for m in ("il-head", "sy-head", "us-supervisor", "sy-liaison")):
        return
    everyone = cell.charter.codes
    now = cell.clock.now()

    def post(member: str, kind: str, uid: str, body: dict[str, Any]) -> int:
        key = keys[member]
        author = Author(member[:2].upper(), member, key.key_id_hex)
        return post_as(
            cell,
            key,
            author,
            kind,
            kinds.subject(uid),
            everyone,
            {"understanding": uid, **body},
        ).index

    thread = _first(
        cell,
        select(log_entries.c.idx)
        .where(log_entries.c.kind == "cell.thread.opened", log_entries.c.visibility == ",IL,SY,US,")
        .order_by(log_entries.c.idx),
    )
    incident = _first(cell, select(deesc_incidents.c.idx).order_by(deesc_incidents.c.idx))
    corridor = _first(
        cell,
        select(commerce_proposals.c.submitted_idx).where(
            commerce_proposals.c.understanding == "borders-economy",
            commerce_proposals.c.parties == ",IL,SY,US,",
        ),
    )

    post(
        "us-supervisor",
        kinds.STATUS,
        "fusion-mechanism",
        {
            "status": kinds.MET,
            "reason": (
                "The cell is established under US supervision: the charter is adopted and the"
                " parties' liaison officers exchange messages in it."
            ),
            "lang": "en",
            "evidence": [0] + ([thread] if thread is not None else []),
        },
    )

    day = now.date()
    post(
        "us-supervisor",
        kinds.TIMELINE,
        "security-arrangements",
        {
            "start": day.isoformat(),
            "end": (day + timedelta(days=120)).isoformat(),
            "reason": "As agreed in Paris: a first set of arrangements within four months.",
            "lang": "en",
        },
    )
    post(
        "il-head",
        kinds.STATUS,
        "security-arrangements",
        {
            "status": kinds.IN_PROGRESS,
            "reason": "הצדדים החלו לדון בהסדרי הביטחון במסגרת התא; מפת אזור החיץ מוסכמת.",
            "lang": "he",
            "evidence": [thread] if thread is not None else [0],  # else the charter
        },
    )
    at = now.replace(hour=9, minute=0, second=0, microsecond=0)
    post(
        "us-supervisor",
        kinds.MILESTONE_SET,
        "security-arrangements",
        {
            "milestone": "demo-buffer-map",
            "title": "Joint map of the buffer zone agreed by both delegations",
            "lang": "en",
            "due": rfc3339(at + timedelta(days=30)),
            "parties": ["IL", "SY"],
        },
    )
    post(
        "il-head",
        kinds.MILESTONE_SET,
        "security-arrangements",
        {
            "milestone": "demo-hotline-drill",
            "title": "תרגיל משותף של הקו החם בין מפקדות הגזרה",
            "lang": "he",
            "due": rfc3339(at + timedelta(days=75)),
            "parties": ["IL", "SY"],
        },
    )
    if incident is not None:
        post(
            "us-supervisor",
            kinds.VERIFIED,
            "security-arrangements",
            {
                "assessment": kinds.CONCERNS,
                "findings": (
                    "Talks on the arrangements proceed, but the shelling reported near the"
                    " buffer zone shows the arrangements are not yet holding on the ground."
                ),
                "lang": "en",
                "evidence": [incident],
            },
        )
        post(
            "sy-head",
            kinds.STATUS,
            "halt-military-activity",
            {
                "status": kinds.DISPUTED,
                "reason": (
                    "لم يتوقف النشاط العسكري: قصف مدفعي قرب أطراف القرية أدى إلى إصابة"
                    " مدنيَّين، وهو ما يخالف المبادرة الأمريكية لوقف الأنشطة فوراً."
                ),
                "lang": "ar",
                "evidence": [incident],
            },
        )
        key = keys["sy-liaison"]
        post_as(
            cell,
            key,
            Author("SY", "sy-liaison", key.key_id_hex),
            kinds.LINKED,
            kinds.subject("halt-military-activity"),
            everyone,
            {
                "understanding": "halt-military-activity",
                "entry": incident,
                "note": "الحادثة المذكورة في اعتراضنا على تنفيذ هذا التفاهم.",
                "lang": "ar",
            },
        )
    if corridor is not None:
        post(
            "il-head",
            kinds.STATUS,
            "borders-economy",
            {
                "status": kinds.IN_PROGRESS,
                "reason": (
                    "ההצעה למסדרון סחר חקלאי הוסכמה עקרונית; זהו צעד ראשון לשיתוף פעולה כלכלי."
                ),
                "lang": "he",
                "evidence": [corridor],
            },
        )
    post(
        "sy-head",
        kinds.MILESTONE_SET,
        "withdrawal-timeline",
        {
            "milestone": "demo-withdrawal-plan",
            "title": "تقديم جدول زمني مكتوب للانسحاب إلى خطوط ما قبل 8 ديسمبر",
            "lang": "ar",
            "due": rfc3339(at + timedelta(days=60)),
            "parties": ["IL"],
        },
    )

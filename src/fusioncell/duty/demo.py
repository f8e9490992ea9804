"""The demo's rosters (fusioncell.demo): every party's duty for the week ahead, three shifts a
day in its own time zone, and a hand-over note from the holder now. Signed by the party
admin's and the holders' own demo keys, like every demo entry."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.duty import kinds
from fusioncell.identity.devices import post_as
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey

DAYS = 7
SHIFT_STARTS = (0, 8, 16)  # local hours: night, day, evening

# Who takes turns, per party (demo account names); the admin publishes.
TURNS = {
    "IL": ["il-duty", "il-duty-2", "il-liaison"],
    "SY": ["sy-duty", "sy-duty-2", "sy-liaison"],
    "US": ["us-duty", "us-duty-2", "us-supervisor"],
}
NOTES = {
    "IL": ("he", "משמרת שקטה. ממתינים להבהרה מהצד הסורי על התנועה ליד קו ההפרדה; לעקוב."),
    "SY": ("ar", "مناوبة هادئة. ننتظر ردّ الجانب الإسرائيلي على طلب التوضيح؛ يرجى المتابعة."),
    "US": ("en", "Quiet shift. Both parties were reminded of the 09:00 line check."),
}


def week(now: datetime, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """From now (to the minute) to the next local shift change, then whole shifts for
    DAYS days. Local boundaries, so a day the clocks change has one shift an hour longer or
    shorter."""
    start = now.replace(second=0, microsecond=0)
    day = start.astimezone(zone).date()
    edges = [
        datetime(day.year, day.month, day.day, h, tzinfo=zone) + timedelta(days=d)
        for d in range(DAYS + 1)
        for h in SHIFT_STARTS
    ]
    # Aware arithmetic keeps the wall time: each edge is that day's local hour, in UTC.
    edges = sorted({e.astimezone(UTC) for e in edges if e > start})
    points = [start, *edges]
    return list(itertools.pairwise(points))


def seed_rosters(cell: Cell, keys: dict[str, SigningKey]) -> None:
    """Publish each party's week and write the holder's hand-over note to the next one."""
    charter = cell.charter
    everyone = sorted(charter.codes)
    now = cell.clock.now()
    for p in charter.parties:
        turns = TURNS.get(p.code)
        admin = f"{p.code.lower()}-admin"
        if not turns or admin not in keys or any(m not in keys for m in turns):
            continue
        shifts = [
            {"member": turns[i % len(turns)], "start": rfc3339(a), "end": rfc3339(b)}
            for i, (a, b) in enumerate(week(now, ZoneInfo(p.timezone)))
        ]
        body = {"party": p.code, "from": shifts[0]["start"], "to": shifts[-1]["end"]}
        key = keys[admin]
        post_as(
            cell,
            key,
            Author(p.code, admin, key.key_id_hex),
            kinds.ROSTER,
            kinds.subject(p.code),
            everyone,
            {**body, "shifts": shifts},
        )
        lang, text = NOTES[p.code]
        holder = shifts[0]["member"]
        key = keys[holder]
        post_as(
            cell,
            key,
            Author(p.code, holder, key.key_id_hex),
            kinds.HANDOVER,
            kinds.subject(p.code),
            [p.code],
            {"party": p.code, "text": text, "lang": lang, "to": shifts[1]["member"]},
        )

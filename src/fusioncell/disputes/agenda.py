"""Disputes referred to the next round of talks, on that round's agenda (diplomacy's
AGENDA_SOURCES). The next round of a referral is the first round the reader may see that
starts on or after the day of the referral (UTC); a round whose dates are not yet recorded
takes none, and a referral made after every known round waits for the next one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import where_readable
from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.diplomacy.queries import AGENDA_SOURCES
from fusioncell.diplomacy.tables import diplomacy_rounds
from fusioncell.disputes import kinds
from fusioncell.disputes.tables import dispute_stages, disputes


def referred_to_round(cell: Cell, who: Principal, round_id: str) -> list[dict[str, Any]]:
    genesis = cell.ledger.genesis
    with reading(cell.engine) as conn:
        starts = [
            (r.start, r.id)
            for r in conn.execute(
                where_readable(
                    select(diplomacy_rounds.c.id, diplomacy_rounds.c.start),
                    diplomacy_rounds.c.parties,
                    who,
                    genesis,
                ).where(diplomacy_rounds.c.start.is_not(None))
            )
        ]
        if round_id not in {rid for _, rid in starts}:
            return []
        starts.sort()
        referred = conn.execute(
            where_readable(
                select(
                    disputes.c.id,
                    disputes.c.title,
                    disputes.c.lang,
                    disputes.c.raised_idx,
                    disputes.c.stage,
                    dispute_stages.c.time,
                ).join(dispute_stages, dispute_stages.c.dispute == disputes.c.id),
                disputes.c.parties,
                who,
                genesis,
            )
            .where(
                dispute_stages.c.stage == kinds.ST_REFERRED,
                dispute_stages.c.referred_to == kinds.TO_NEXT_ROUND,
            )
            .order_by(dispute_stages.c.idx)
        ).all()
    out = []
    for d in referred:
        day = d.time[:10]
        nxt = next((rid for start, rid in starts if start >= day), None)
        if nxt == round_id:
            out.append(
                {
                    "source": "dispute",
                    "text": d.title,
                    "lang": d.lang,
                    "href": f"/disputes/d/{d.id}",
                    "entry": int(d.raised_idx),
                    "field": "title",
                    "state": d.stage,
                }
            )
    return out


if referred_to_round not in AGENDA_SOURCES:
    AGENDA_SOURCES.append(referred_to_round)

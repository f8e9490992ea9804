"""What the supervisor's board shows, read from the projections (never from the log).

- open clocks: every open deadline the reader may see, overdue first, then by time left;
- breaches: deadlines that passed unmet in the period (their missed entry is in the log);
- per party, over the period: time to acknowledge the messages addressed to it (median,
  90th percentile, late, still owed) and its line checks (answered, late, missed).

Every figure is computed from the same rows a party could read: the reader's visibility
applies to each query, so a party's head of delegation sees its own side of the board.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from fusioncell.authz.principal import Principal
from fusioncell.authz.visibility import names, where_readable
from fusioncell.cell import Cell
from fusioncell.charter.schema import Charter
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.db import reading
from fusioncell.deadlines.api import OPEN
from fusioncell.deadlines.tables import deadlines
from fusioncell.errors import N_, Invalid
from fusioncell.ledger.trust import Genesis
from fusioncell.line.tables import line_checks
from fusioncell.messaging.tables import cell_acks, cell_messages

PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
DEFAULT_PERIOD = "7d"
MAX_CLOCKS = 100  # rows listed, the most pressing; the counts cover them all


@dataclass
class Clock:
    key: str
    kind: str
    party: str
    due: str
    seconds_left: int  # negative: overdue by that much
    step: int  # 0: not yet missed; k >= 1: missed and k - 1 escalation steps taken
    steps: int  # escalation steps planned
    refs: dict[str, Any]

    @property
    def overdue(self) -> bool:
        return self.seconds_left < 0


@dataclass
class PartyFigures:
    party: str
    addressed: int = 0  # messages that asked the party to acknowledge, posted in the period
    acknowledged: int = 0
    late: int = 0  # acknowledged after the deadline
    owed: int = 0  # not acknowledged yet
    median_s: float | None = None  # time to acknowledge
    p90_s: float | None = None
    checks: int = 0
    checks_answered: int = 0
    checks_late: int = 0
    checks_missed: int = 0
    checks_open: int = 0
    breaches: int = 0  # deadlines the party let pass in the period (every kind)


@dataclass
class Board:
    now: datetime
    period: str
    since: datetime
    open_total: int
    overdue_total: int
    open_by_kind: dict[str, int]
    clocks: list[Clock]
    parties: list[PartyFigures] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.open_total - len(self.clocks)


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile (what the figure says: p % answered within it)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100), at least 1
    return ordered[int(rank) - 1]


def read_board(cell: Cell, who: Principal, period: str = DEFAULT_PERIOD) -> Board:
    with reading(cell.engine) as conn:
        return board(conn, who, cell.ledger.genesis, cell.charter, cell.clock.now(), period)


def board(
    conn: Connection,
    who: Principal,
    genesis: Genesis,
    charter: Charter,
    now: datetime,
    period: str = DEFAULT_PERIOD,
) -> Board:
    if period not in PERIODS:
        raise Invalid(N_("unknown period %(p)s; choose 24h, 7d or 30d"), p=period[:10])
    since = now - PERIODS[period]
    at, start = rfc3339(now), rfc3339(since)

    def mine(q: Any) -> Any:
        return where_readable(q, deadlines.c.visibility, who, genesis)

    is_open = deadlines.c.state == OPEN
    late = func.coalesce(func.sum(case((deadlines.c.due < at, 1), else_=0)), 0)
    by_kind = conn.execute(  # one pass over the open rows: per kind, all and overdue
        mine(select(deadlines.c.kind, func.count(), late).where(is_open).group_by(deadlines.c.kind))
    ).all()
    overdue = sum(int(n) for _, _, n in by_kind)
    rows = conn.execute(
        mine(
            select(deadlines)
            .where(is_open)
            .order_by(deadlines.c.due, deadlines.c.key)
            .limit(MAX_CLOCKS)
        )
    ).all()
    clocks = [
        Clock(
            key=r.key,
            kind=r.kind,
            party=r.party,
            due=r.due,
            seconds_left=int((parse_rfc3339(r.due) - now).total_seconds()),
            step=int(r.step),
            steps=len(json.loads(r.plan)),
            refs=json.loads(r.refs),
        )
        for r in rows
    ]
    out = Board(
        now=now,
        period=period,
        since=since,
        open_total=sum(int(n) for _, n, _ in by_kind),
        overdue_total=overdue,
        open_by_kind={k: int(n) for k, n, _ in by_kind},
        clocks=clocks,
    )
    out.parties = _figures(conn, who, genesis, charter, start, at)
    return out


def _figures(
    conn: Connection, who: Principal, genesis: Genesis, charter: Charter, start: str, at: str
) -> list[PartyFigures]:
    figures = {p.code: PartyFigures(p.code) for p in charter.parties}
    for fig in figures.values():
        _acks(conn, who, genesis, fig, start, at)
    _checks(conn, figures, start, at)
    rows = conn.execute(
        where_readable(
            select(deadlines.c.party, func.count())
            .where(deadlines.c.step >= 1, deadlines.c.due >= start, deadlines.c.due <= at)
            .group_by(deadlines.c.party),
            deadlines.c.visibility,
            who,
            genesis,
        )
    ).all()
    for party, n in rows:  # breaches: deadlines of the period whose missed entry is written
        if party in figures:
            figures[party].breaches = int(n)
    return list(figures.values())


def _acks(
    conn: Connection, who: Principal, genesis: Genesis, fig: PartyFigures, start: str, at: str
) -> None:
    """Time to acknowledge: one row per message addressed to the party, with its ack if
    any. A reader that does not see everything counts only messages in its threads: those
    addressed to it, or asked by it."""
    code = fig.party
    acked = cell_acks.c.time
    late = case((and_(acked.is_not(None), acked > cell_messages.c.ack_due), 1), else_=0)
    q = (
        select(func.count(), func.count(acked), func.coalesce(func.sum(late), 0))
        .select_from(
            cell_messages.outerjoin(
                cell_acks,
                and_(cell_acks.c.message == cell_messages.c.idx, cell_acks.c.party == code),
            )
        )
        .where(
            cell_messages.c.requires_ack.is_(True),
            names(cell_messages.c.addressed, code),
            cell_messages.c.retracted_idx.is_(None),
            cell_messages.c.posted_at >= start,
            cell_messages.c.posted_at <= at,
        )
    )
    if who.party not in genesis.sees_all and code != who.party:
        q = q.where(cell_messages.c.party == who.party)
    addressed, acknowledged, n_late = conn.execute(q).one()
    fig.addressed, fig.acknowledged, fig.late = int(addressed), int(acknowledged), int(n_late)
    fig.owed = fig.addressed - fig.acknowledged
    # The times themselves only for what was acknowledged (the owed need no arithmetic).
    times = (
        [
            (parse_rfc3339(a) - parse_rfc3339(posted)).total_seconds()
            for posted, a in conn.execute(
                q.with_only_columns(cell_messages.c.posted_at, acked).where(acked.is_not(None))
            )
        ]
        if fig.acknowledged
        else []
    )
    fig.median_s = statistics.median(times) if times else None
    fig.p90_s = percentile(times, 90)


_CHECK_FIELDS = {"answered": "checks_answered", "late": "checks_late", "missed": "checks_missed"}


def _checks(conn: Connection, figures: dict[str, PartyFigures], start: str, at: str) -> None:
    """Line checks sent in the period, by outcome: visible to every party, like the line."""
    rows = conn.execute(
        select(line_checks.c.party, line_checks.c.state, func.count())
        .where(line_checks.c.sent_at >= start, line_checks.c.sent_at <= at)
        .group_by(line_checks.c.party, line_checks.c.state)
    ).all()
    for party, state, n in rows:
        fig = figures.get(party)
        if fig is None:
            continue
        fig.checks += int(n)
        name = _CHECK_FIELDS.get(state, "checks_open")
        setattr(fig, name, getattr(fig, name) + int(n))


# ---- for other reports over any period (the situation report, fusioncell.sitrep) --------


@dataclass
class Breach:
    """A deadline the reader may see that passed unmet (its missed entry is in the log)."""

    key: str
    kind: str
    party: str
    due: str
    state: str  # open: still owed; met: met late; done: every escalation step taken
    refs: dict[str, Any]


def figures_between(
    conn: Connection,
    who: Principal,
    genesis: Genesis,
    charter: Charter,
    since: datetime,
    until: datetime,
) -> list[PartyFigures]:
    """The board's per-party figures over [since, until] instead of a fixed period."""
    return _figures(conn, who, genesis, charter, rfc3339(since), rfc3339(until))


def breaches_between(
    conn: Connection, who: Principal, genesis: Genesis, since: datetime, until: datetime
) -> tuple[int, list[Breach]]:
    """The breaches the board counts per party over [since, until]: how many, and the
    first MAX_CLOCKS of them by due time."""
    q = select(deadlines).where(
        deadlines.c.step >= 1,
        deadlines.c.due >= rfc3339(since),
        deadlines.c.due <= rfc3339(until),
    )
    q = where_readable(q, deadlines.c.visibility, who, genesis)
    total = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = conn.execute(q.order_by(deadlines.c.due, deadlines.c.key).limit(MAX_CLOCKS)).all()
    return int(total), [
        Breach(r.key, r.kind, r.party, r.due, r.state, json.loads(r.refs)) for r in rows
    ]

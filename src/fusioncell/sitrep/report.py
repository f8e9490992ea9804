"""What the situation report holds, as JSON (the page and the PDF render from it).

The report never reads a table by itself where a capability has a query: it asks each
capability (de-escalation, the board, disputes, understandings) as a Principal of the
view's party, so it holds exactly what that party may read, counts and charts included.
The board's figures (clocks, breaches, time to acknowledge) are there only for readers
the board is for (permission `board:read`), as on the board itself.

The log's checkpoint is read last: every item listed was committed in the transaction of
a checkpoint no larger than it, so each item's log index is below the checkpoint's size.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fusioncell.authz import Permission, Principal, Role
from fusioncell.board.queries import board, breaches_between, figures_between
from fusioncell.cell import Cell
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.db import reading
from fusioncell.deesc import queries as deesc
from fusioncell.disputes import kinds as dispute_kinds
from fusioncell.disputes.queries import disputes_list
from fusioncell.errors import N_, Invalid, NotFound
from fusioncell.sitrep.checkpoint import log_checkpoint
from fusioncell.understandings.queries import understandings_list

MAX_DAYS = 92
FULL = "all"  # the supervisor's view: everything its party may read, which is everything
NO_VIEW = N_("no such view of the report")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Period:
    """Whole days `first`..`last` in the reader's zone: [since, until). The last day may
    not have ended: what is recorded stops at now, what is planned (an activity) may not."""

    first: date
    last: date
    zone: str
    since: datetime
    until: datetime

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def day_of(self, t: str) -> date:
        """The day (in the period's zone) of a time in the log's form."""
        return parse_rfc3339(t).astimezone(ZoneInfo(self.zone)).date()

    def holds(self, t: str | None) -> bool:
        """Whether a time in the log's form (UTC, milliseconds, Z) falls in the period."""
        return t is not None and rfc3339(self.since) <= t < rfc3339(self.until)


def _date(value: str | None, what: str) -> date | None:
    if not value:
        return None
    if not _DATE.match(value):
        raise Invalid(N_("%(what)s must be a date YYYY-MM-DD"), what=what)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(N_("%(what)s is not a valid date"), what=what) from None


def period_of(first: str | None, last: str | None, zone: str, now: datetime) -> Period:
    """The period from the form: dates `first` to `last` (both included) in `zone`; by
    default yesterday and today, up to now."""
    tz = ZoneInfo(zone)
    to = _date(last, "to") or now.astimezone(tz).date()
    fr = _date(first, "from") or to - timedelta(days=1)
    if to < fr:
        raise Invalid(N_("the period ends before it starts"))
    if (to - fr).days + 1 > MAX_DAYS:
        raise Invalid(N_("a report covers at most %(n)s days"), n=MAX_DAYS)
    since = datetime.combine(fr, time(), tz).astimezone(UTC)
    if since > now:
        raise Invalid(N_("the period has not begun yet"))
    until = datetime.combine(to + timedelta(days=1), time(), tz).astimezone(UTC)
    return Period(fr, to, zone, since, until)


# ---- whose view -------------------------------------------------------------------------


def may_choose(cell: Cell, who: Principal) -> bool:
    """A supervisor of the party that sees everything may read the report as any party."""
    return who.role is Role.SUPERVISOR and who.party in cell.ledger.genesis.sees_all


def views(cell: Cell, who: Principal) -> list[str]:
    """The views the reader may ask for: the full one and each other party's, or its own."""
    if not may_choose(cell, who):
        return [who.party]
    sees_all = cell.ledger.genesis.sees_all
    return [FULL, *(p.code for p in cell.charter.parties if p.code not in sees_all)]


def view_of(cell: Cell, who: Principal, party: str | None) -> tuple[str, Principal]:
    """The view asked for and the Principal every query runs as. A view the reader may
    not have and one that does not exist are the same 404."""
    chooser = may_choose(cell, who)
    view = party or (FULL if chooser else who.party)
    if view == FULL:
        if not chooser:
            raise NotFound(NO_VIEW)
        return FULL, who
    if view not in cell.charter.codes or (view != who.party and not chooser):
        raise NotFound(NO_VIEW)
    return view, Principal(view, who.member, who.role, who.permissions)


# ---- the report ---------------------------------------------------------------------------


def _incidents(cell: Cell, as_: Principal, period: Period) -> dict[str, Any]:
    window = deesc.Filters(since=rfc3339(period.since), until=rfc3339(period.until))
    items = deesc.incidents(cell, as_, window)
    truncated = len(items) >= deesc.MAX_ROWS
    items.sort(key=lambda i: (i["time"], i["index"]))
    return {
        "total": len(items),
        "truncated": truncated,
        "limit": deesc.MAX_ROWS,
        "by_category": dict(Counter(i["category"] for i in items)),
        "items": items,
    }


def _notifications(cell: Cell, as_: Principal, period: Period) -> dict[str, Any]:
    """Activities notified in the period or taking place in it (overlapping it)."""
    since, until = rfc3339(period.since), rfc3339(period.until)
    found = deesc.activities(cell, as_, deesc.Filters(since=since))  # every one ending after
    items = [a for a in found if period.holds(a["notified"]) or a["start"] < until]
    items.sort(key=lambda a: (a["start"], a["index"]))
    return {
        "total": len(items),
        "truncated": len(found) >= deesc.MAX_ROWS,  # more than the query lists: some left out
        "limit": deesc.MAX_ROWS,
        "late": sum(1 for a in items if a["late"]),
        "conflicting": sum(1 for a in items if a["conflicts"]),
        "items": items,
    }


def _board(cell: Cell, as_: Principal, period: Period, now: datetime) -> dict[str, Any]:
    genesis, charter = cell.ledger.genesis, cell.charter
    with reading(cell.engine) as conn:
        b = board(conn, as_, genesis, charter, now)  # its open clocks; the figures below
        end = min(period.until, now)
        figures = figures_between(conn, as_, genesis, charter, period.since, end)
        total, breaches = breaches_between(conn, as_, genesis, period.since, end)
    return {
        "clocks": {
            "total": b.open_total,
            "overdue": b.overdue_total,
            "by_kind": b.open_by_kind,
            "items": [asdict(c) | {"overdue": c.overdue} for c in b.clocks],
        },
        "breaches": {
            "total": total,
            "by_party": {f.party: f.breaches for f in figures},
            "items": [asdict(x) for x in breaches],
        },
        "acknowledgement": [asdict(f) for f in figures],
    }


def _disputes(cell: Cell, as_: Principal, period: Period) -> dict[str, Any]:
    """Disputes raised in the period, open now, or closed (resolved, withdrawn, referred)
    in the period, each with its stage as it stands."""
    items = []
    for d in disputes_list(cell, as_):
        final = d["stage"] in dispute_kinds.FINAL
        flags = {
            "raised_in_period": period.holds(d["raised_at"]),
            "open": not final,
            "closed_in_period": final and period.holds(d["stage_at"]),
        }
        if any(flags.values()):
            items.append(d | flags)
    items.sort(key=lambda d: d["raised"]["index"])
    return {
        "raised": sum(1 for d in items if d["raised_in_period"]),
        "open": sum(1 for d in items if d["open"]),
        "closed": sum(1 for d in items if d["closed_in_period"]),
        "by_stage": dict(Counter(d["stage"] for d in items)),
        "items": items,
    }


def _understandings(cell: Cell, as_: Principal, period: Period) -> dict[str, Any]:
    items = [
        u | {"changed_in_period": period.holds(u["status_at"])}
        for u in understandings_list(cell, as_)
    ]
    return {
        "by_status": dict(Counter(u["status"] for u in items)),
        "changed": sum(1 for u in items if u["changed_in_period"]),
        "items": items,
    }


def incidents_chart(cell: Cell, period: Period, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Incidents by day (in the period's zone) and category: from the listed items only."""
    counts = Counter((period.day_of(i["time"]), i["category"]) for i in items)
    present = {c for _, c in counts}
    order = [c.id for c in cell.charter.deescalation.categories if c.id in present]
    order += sorted(present - set(order))  # one no longer in the charter, last
    days = []
    for d in period.days:
        row = {c: counts[(d, c)] for c in order if counts[(d, c)]}
        days.append({"day": d.isoformat(), "counts": row, "total": sum(row.values())})
    return {"categories": order, "days": days, "total": sum(counts.values())}


def acknowledgement_chart(figures: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Median and 90th percentile time to acknowledge by party: the board's figures."""
    if figures is None:
        return None
    keys = ("party", "median_s", "p90_s", "acknowledged")
    return [{k: f[k] for k in keys} for f in figures]


def build(cell: Cell, who: Principal, period: Period, party: str | None) -> dict[str, Any]:
    """The report for `who` over `period` in the view `party` (None: the default)."""
    view, as_ = view_of(cell, who, party)
    now = cell.clock.now()
    incidents = _incidents(cell, as_, period)
    figures = _board(cell, as_, period, now) if who.can(Permission.BOARD_READ) else None
    report: dict[str, Any] = {
        "view": view,
        "reader": {"party": who.party, "member": who.member},
        "made_at": rfc3339(now),
        "period": {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "zone": period.zone,
            "since": rfc3339(period.since),
            "until": rfc3339(period.until),
            "days": len(period.days),
        },
        "incidents": incidents,
        "notifications": _notifications(cell, as_, period),
        "clocks": figures["clocks"] if figures else None,
        "breaches": figures["breaches"] if figures else None,
        "acknowledgement": figures["acknowledgement"] if figures else None,
        "disputes": _disputes(cell, as_, period),
        "understandings": _understandings(cell, as_, period),
    }
    report["charts"] = {
        "incidents_by_day": incidents_chart(cell, period, incidents["items"]),
        "time_to_acknowledge": acknowledgement_chart(report["acknowledgement"]),
    }
    report["checkpoint"], report["witnessed"] = log_checkpoint(cell)  # last: see above
    return report


def sitrep(
    cell: Cell, who: Principal, first: str | None, last: str | None, party: str | None
) -> dict[str, Any]:
    """The report from the request's values (dates in the reader's party's zone)."""
    view_of(cell, who, party)  # a hidden view is refused before anything else is said
    zone = cell.charter.party(who.party).timezone
    return build(cell, who, period_of(first, last, zone, cell.clock.now()), party)

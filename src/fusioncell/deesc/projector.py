"""De-escalation's projector: checks each `zone.loaded` and `deesc.*` entry against the
log's state and updates the tables, inside the append's transaction.

A refusal (a DomainError) rolls the append back and reaches the author as a 4xx. A
notification is marked late against the charter's `planned_activity_notice`, counted
from its log time, and its conflicts (agreed zones and lines it meets, other parties'
activities at the same place and time) are computed from earlier entries only, so
`rebuild` gives the same tables. A clarification request opens a deadline the engine
escalates; its answer meets it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, delete, insert, select, update

from fusioncell.charter.schema import Charter
from fusioncell.clock import rfc3339
from fusioncell.deadlines.api import MET, close_deadline, escalation_plan, open_deadline
from fusioncell.deesc import kinds
from fusioncell.deesc.tables import (
    deesc_activities,
    deesc_clarifications,
    deesc_conflicts,
    deesc_incidents,
    deesc_zones,
)
from fusioncell.duty.kinds import parse_time
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.ledger.entry import SYSTEM_MEMBER, Entry
from fusioncell.projector import CharterProjector

DEADLINE_KIND = "deesc.clarification"
URGENCY = "IMMEDIATE"
# Points and lines are widened this much (degrees, about 500 m) before two parties'
# activities are compared: two patrols on the same road meet though lines never overlap.
NEAR = 0.005
MAX_CANDIDATES = 5000

NO_ITEM = N_("no such incident or notification")
NO_REQUEST = N_("no such clarification request")


def deadline_key(request: int) -> str:
    return f"deesc:clar:{request}"


def _vis(entry: Entry) -> str:
    return "," + ",".join(entry.statement.visibility) + ","


def area(g: BaseGeometry) -> BaseGeometry:
    """A place as the area it covers for overlap (points and lines widened)."""
    return g if g.geom_type in ("Polygon", "MultiPolygon") else g.buffer(NEAR)


def conflicts(
    conn: Connection, party: str, a: kinds.Activity, before: int | None = None
) -> list[tuple[str, str]]:
    """What a party's activity meets, as the log stands: agreed zones and lines it touches,
    and other parties' activities overlapping it in time and space."""
    g = kinds.geometry(a.place)
    found: list[tuple[str, str]] = []
    zones = conn.execute(
        select(deesc_zones.c.zone, deesc_zones.c.geometry)
        .where(deesc_zones.c.status == kinds.AGREED)
        .order_by(deesc_zones.c.zone)
    ).all()
    for z in zones:
        if g.intersects(kinds.geometry(json.loads(z.geometry))):
            found.append(("zone", z.zone))
    q = (
        select(deesc_activities.c.idx, deesc_activities.c.place)
        .where(
            deesc_activities.c.party != party,
            deesc_activities.c.start < a.end,
            deesc_activities.c.end > a.start,
        )
        .order_by(deesc_activities.c.idx)
        .limit(MAX_CANDIDATES)
    )
    if before is not None:
        q = q.where(deesc_activities.c.idx < before)
    mine = area(g)
    for r in conn.execute(q).all():
        if mine.intersects(area(kinds.geometry(json.loads(r.place)))):
            found.append(("activity", str(r.idx)))
    return found


def is_late(notified: str, start: str, notice: timedelta) -> bool:
    return parse_time(start) - parse_time(notified) < notice


class DeescProjector(CharterProjector):
    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind not in kinds.KINDS:
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)
        st = entry.statement
        everyone = sorted(charter.codes)
        if list(st.visibility) != everyone:
            raise Invalid(N_("visibility must be %(parties)s"), parties=", ".join(everyone))
        if kind == kinds.ZONE:
            self._zone(conn, entry, parsed)
            return
        if st.author.member == SYSTEM_MEMBER or st.author.party not in charter.codes:
            raise Forbidden(N_("de-escalation entries are written by a party's member"))
        if st.subject != kinds.SUBJECTS[kind]:
            raise Invalid(N_("subject must be %(subject)s"), subject=kinds.SUBJECTS[kind])
        if kind == kinds.INCIDENT:
            self._incident(conn, entry, parsed)
        elif kind == kinds.ACTIVITY:
            self._activity(conn, entry, parsed, charter)
        elif kind == kinds.REQUESTED:
            self._requested(conn, entry, parsed, charter)
        else:
            self._answered(conn, entry, parsed)

    # ---- zones ----------------------------------------------------------------------------

    @staticmethod
    def _zone(conn: Connection, entry: Entry, z: kinds.Zone) -> None:
        st = entry.statement
        if st.subject != kinds.zone_subject(z.zone):
            raise Invalid(N_("subject must be %(subject)s"), subject=kinds.zone_subject(z.zone))
        if st.author.member != SYSTEM_MEMBER:
            # A party may only propose, in its own name; agreed and illustrative layers are
            # the operator's.
            if z.status != kinds.PROPOSED or z.party != st.author.party:
                raise Forbidden(
                    N_("a party only proposes zones, in its own name; the operator loads the rest")
                )
            old = conn.execute(
                select(deesc_zones.c.status, deesc_zones.c.party).where(
                    deesc_zones.c.zone == z.zone
                )
            ).first()
            if old is not None and (old.status != kinds.PROPOSED or old.party != z.party):
                raise Conflict(N_("zone %(zone)s is not your proposal"), zone=z.zone)
        conn.execute(delete(deesc_zones).where(deesc_zones.c.zone == z.zone))
        conn.execute(
            insert(deesc_zones).values(
                zone=z.zone,
                name=z.name,
                lang=z.lang,
                status=z.status,
                party=z.party,
                geometry=json.dumps(z.geometry, sort_keys=True),
                idx=entry.index,
                time=entry.time,
                visibility=_vis(entry),
            )
        )

    # ---- incidents and notifications ------------------------------------------------------

    @staticmethod
    def _incident(conn: Connection, entry: Entry, i: kinds.Incident) -> None:
        if i.time > entry.time:
            raise Invalid(N_("an incident is reported after it happened (time is in the future)"))
        st = entry.statement
        conn.execute(
            insert(deesc_incidents).values(
                idx=entry.index,
                party=st.author.party,
                member=st.author.member,
                reported=entry.time,
                at=i.time,
                at_precision=i.time_precision,
                place=json.dumps(i.place, sort_keys=True),
                place_precision_m=i.place_precision_m,
                category=i.category,
                actors=json.dumps(list(i.actors), ensure_ascii=False),
                casualties=None
                if i.casualties is None
                else json.dumps(i.casualties, sort_keys=True),
                description=i.description,
                lang=i.lang,
                sources=json.dumps(list(i.sources), ensure_ascii=False),
                visibility=_vis(entry),
            )
        )

    @staticmethod
    def _activity(conn: Connection, entry: Entry, a: kinds.Activity, charter: Charter) -> None:
        if a.end <= entry.time:
            raise Invalid(N_("the activity is over: notify before it ends"))
        st = entry.statement
        party = st.author.party
        found = conflicts(conn, party, a)
        conn.execute(
            insert(deesc_activities).values(
                idx=entry.index,
                party=party,
                member=st.author.member,
                notified=entry.time,
                activity_type=a.activity_type,
                start=a.start,
                end=a.end,
                place=json.dumps(a.place, sort_keys=True),
                description=a.description,
                lang=a.lang,
                late=is_late(entry.time, a.start, charter.clocks.planned_activity_notice),
                visibility=_vis(entry),
            )
        )
        if found:
            conn.execute(
                insert(deesc_conflicts),
                [{"activity": entry.index, "with_kind": k, "with_ref": r} for k, r in found],
            )

    # ---- clarifications -------------------------------------------------------------------

    @staticmethod
    def _requested(conn: Connection, entry: Entry, r: kinds.Request, charter: Charter) -> None:
        st = entry.statement
        about_kind = "incident"
        row = conn.execute(
            select(deesc_incidents.c.party).where(deesc_incidents.c.idx == r.about)
        ).first()
        if row is None:
            about_kind = "activity"
            row = conn.execute(
                select(deesc_activities.c.party).where(deesc_activities.c.idx == r.about)
            ).first()
        if row is None:
            raise NotFound(NO_ITEM)
        owing = str(row.party)
        if owing == st.author.party:
            raise Invalid(N_("a clarification is asked of another party"))
        due = parse_time(entry.time) + charter.clocks.clarification_answer
        vis = list(st.visibility)
        conn.execute(
            insert(deesc_clarifications).values(
                idx=entry.index,
                about=r.about,
                about_kind=about_kind,
                party=st.author.party,
                member=st.author.member,
                owing=owing,
                question=r.question,
                lang=r.lang,
                time=entry.time,
                due=rfc3339(due),
                visibility=_vis(entry),
            )
        )
        open_deadline(
            conn,
            key=deadline_key(entry.index),
            kind=DEADLINE_KIND,
            subject=kinds.SUBJECTS[kinds.REQUESTED],
            refs={"urgency": URGENCY, "request": entry.index, "about": r.about},
            party=owing,
            visibility=vis,
            due=due,
            plan=escalation_plan(charter, charter.urgency(URGENCY), owing, due),
            idx=entry.index,
        )

    @staticmethod
    def _answered(conn: Connection, entry: Entry, a: kinds.Answer) -> None:
        st = entry.statement
        row = conn.execute(
            select(deesc_clarifications).where(deesc_clarifications.c.idx == a.request)
        ).first()
        if row is None:
            raise NotFound(NO_REQUEST)
        if row.owing != st.author.party:
            raise Forbidden(N_("this clarification is owed by party %(party)s"), party=row.owing)
        if row.answered_idx is not None:
            raise Conflict(N_("this clarification was answered already"))
        conn.execute(
            update(deesc_clarifications)
            .where(deesc_clarifications.c.idx == a.request)
            .values(
                answer=a.answer,
                answer_lang=a.lang,
                answered_by=st.author.member,
                answered_idx=entry.index,
                answered_at=entry.time,
            )
        )
        close_deadline(conn, deadline_key(a.request), MET, entry.index)

"""Understandings' projector: checks each `understanding.*` entry against the log's state
and updates the tables, inside the append's transaction.

A refusal (a DomainError) rolls the append back and reaches the author as a 4xx. Who may
do what, decided here once:

- the charter's understandings are rows from entry 0; a later joint one is recorded by the
  supervisor, a stated one by a head of delegation or liaison officer of the party that
  stated it (its `stated_by`), with where it was said;
- an understanding's *stewards* change its status, set its timeline and set or move its
  milestones: the supervising party's supervisors, and the heads of delegation of the
  parties it binds and of the party that stated it;
- a milestone is met, before it is due, by a steward or a head of delegation of a party
  responsible for it; once its due time passes unmet the deadline engine's missed entry
  marks it breached (that changes no status: a status changes only by a signed entry);
- the supervisor records verification reports;
- any member who may write links an entry its party can read; the link is visible to
  exactly that entry's readers.

Evidence is a list of earlier log indices the author's party can read: one it cannot read
is refused exactly like one that does not exist (the ledger's "no such entry").
Because it reads only earlier entries, `rebuild` gives exactly the same tables.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from fusioncell.authz import Role
from fusioncell.charter.schema import Charter
from fusioncell.clock import rfc3339
from fusioncell.deadlines.api import CANCELLED, MET, close_deadline, escalation_plan, open_deadline
from fusioncell.deadlines.projector import MISSED, items_of
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.ledger.entry import SYSTEM_MEMBER, SYSTEM_PARTY, Entry
from fusioncell.ledger.tables import log_entries, log_members
from fusioncell.ledger.trust import GENESIS_KIND
from fusioncell.messaging.projector import column, split
from fusioncell.projector import CharterProjector
from fusioncell.understandings import kinds
from fusioncell.understandings.tables import (
    understanding_links,
    understanding_milestone_events,
    understanding_milestones,
    understanding_statuses,
    understanding_timelines,
    understanding_verifications,
    understandings,
)

MILESTONE_CLOCK = "understanding.milestone"  # a responsible party owes a milestone by its due
NO_UNDERSTANDING = N_("no such understanding")
NO_MILESTONE = N_("no such milestone")
NO_ENTRY = N_("no such entry")  # the ledger's words for a missing or hidden entry
RECORDERS = frozenset({Role.HEAD_OF_DELEGATION.value, Role.LIAISON_OFFICER.value})

_ROW = select(understandings).where(understandings.c.id == bindparam("uid"))
_MILESTONE = select(understanding_milestones).where(
    understanding_milestones.c.id == bindparam("mid")
)
_MEMBER = select(log_members).where(log_members.c.member == bindparam("m"))


def milestone_key(milestone: str, clock_idx: int, party: str) -> str:
    return f"milestone:{milestone}:{clock_idx}:{party}"


def sees_all(charter: Charter, party: str) -> bool:
    return any(p.code == party and p.sees_all for p in charter.parties)


def may_read(charter: Charter, party: str, visibility: list[str]) -> bool:
    """The log's one visibility rule (Ledger.may_read), for the charter in force."""
    return party in visibility or sees_all(charter, party)


def stewards_of(charter: Charter, parties: list[str], stated_by: str | None) -> list[str]:
    """The parties whose heads of delegation steward an understanding."""
    return sorted(set(parties) | ({stated_by} if stated_by else set()))


def is_supervisor(charter: Charter, party: str, role: str | None) -> bool:
    sup = charter.supervisor
    return sup is not None and party == sup.code and role == Role.SUPERVISOR.value


def may_steward(
    charter: Charter, parties: list[str], stated_by: str | None, party: str, role: str | None
) -> bool:
    """Whether a member (party, role) changes an understanding's status, timeline and
    milestones."""
    if is_supervisor(charter, party, role):
        return True
    return role == Role.HEAD_OF_DELEGATION.value and party in stewards_of(
        charter, parties, stated_by
    )


def may_meet(
    charter: Charter,
    parties: list[str],
    stated_by: str | None,
    responsible: list[str],
    party: str,
    role: str | None,
) -> bool:
    """Whether a member meets a milestone: a steward, or a head of delegation of a party
    responsible for it."""
    if role == Role.HEAD_OF_DELEGATION.value and party in responsible:
        return True
    return may_steward(charter, parties, stated_by, party, role)


def end_of(end_on: str) -> datetime:
    """The first instant after an end date (UTC): a milestone is due before it."""
    return datetime.combine(datetime.fromisoformat(end_on).date(), time(), UTC) + timedelta(days=1)


def _role(conn: Connection, entry: Entry) -> str | None:
    """The author's role as the log knows it, if an active member of the party they write for."""
    a = entry.statement.author
    r = conn.execute(_MEMBER, {"m": a.member}).first()
    if r is None or r.party != a.party or r.disabled is not None:
        return None
    return str(r.role)


def check_readable(
    conn: Connection, charter: Charter, party: str, indices: tuple[int, ...], before: int
) -> dict[int, Any]:
    """The earlier entries `party` may read, by index; NotFound for any other."""
    if not indices:
        return {}
    rows = {
        int(r.idx): r
        for r in conn.execute(
            select(
                log_entries.c.idx,
                log_entries.c.kind,
                log_entries.c.subject,
                log_entries.c.visibility,
            ).where(log_entries.c.idx.in_(list(indices)))
        )
    }
    for i in indices:
        r = rows.get(i)
        if r is None or i >= before or not may_read(charter, party, split(r.visibility)):
            raise NotFound(NO_ENTRY)
    return rows


def _texts(text: dict[str, str]) -> str:
    return json.dumps(text, ensure_ascii=False, sort_keys=True)


class UnderstandingsProjector(CharterProjector):
    def __call__(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        super().__call__(conn, entry, body)
        if entry.statement.kind == GENESIS_KIND:
            charter = self.charter(conn)
            for u in charter.understandings:
                self._charter_row(conn, u.id, charter, entry.time)

    @staticmethod
    def _charter_row(conn: Connection, uid: str, charter: Charter, at: str) -> Any:
        u = next((u for u in charter.understandings if u.id == uid), None)
        if u is None:
            return None
        conn.execute(
            insert(understandings).values(
                id=u.id,
                origin=u.kind,
                texts=_texts(u.text),
                lang=None,
                sources=_texts(u.source),
                stated_by=u.stated_by,
                parties=column(sorted(u.parties)),
                workstream=u.workstream,
                recorded_idx=0,
                recorded_at=at,
                member=None,
                status=kinds.NOT_STARTED,
                status_idx=None,
                status_at=None,
                start_on=None,
                end_on=None,
                last_idx=0,
                last_at=at,
            )
        )
        return conn.execute(_ROW, {"uid": uid}).first()

    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind == MISSED:
            self._missed(conn, entry, body)
            return
        if kind not in kinds.KINDS and not kind.startswith(kinds.NAMESPACE):
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)  # an unknown understanding.* is refused
        st = entry.statement
        if kinds.understanding_of_subject(st.subject) != parsed.understanding:
            raise Invalid(N_("subject must be u/<understanding> of the understanding in the body"))
        if kind != kinds.LINKED and list(st.visibility) != charter.codes:
            raise Invalid(N_("an understanding's record is visible to every party"))
        if kind == kinds.RECORDED:
            self._record(conn, entry, parsed, charter)
            return
        row = self._row(conn, parsed.understanding, charter)
        role = _role(conn, entry)
        party = st.author.party
        if kind == kinds.LINKED:
            self._link(conn, entry, parsed, charter)
        elif kind == kinds.VERIFIED:
            if not is_supervisor(charter, party, role):
                raise Forbidden(N_("verification reports are recorded by the supervisor"))
            self._verify(conn, entry, parsed, charter)
        elif kind == kinds.MILESTONE_MET:
            self._met(conn, entry, parsed, row, charter, role)
        else:
            self._stewarded(conn, entry, parsed, row, charter, role)
        conn.execute(
            update(understandings)
            .where(understandings.c.id == parsed.understanding)
            .values(last_idx=entry.index, last_at=entry.time)
        )

    def _stewarded(
        self,
        conn: Connection,
        entry: Entry,
        parsed: Any,
        row: Any,
        charter: Charter,
        role: str | None,
    ) -> None:
        """Status, timeline and milestones set or moved: the understanding's stewards."""
        kind = entry.statement.kind
        if not may_steward(
            charter, split(row.parties), row.stated_by, entry.statement.author.party, role
        ):
            raise Forbidden(
                N_(
                    "this is done by the supervisor or a head of delegation of a party"
                    " bound by the understanding or that stated it"
                )
            )
        if kind == kinds.STATUS:
            self._status(conn, entry, parsed, row, charter)
        elif kind == kinds.TIMELINE:
            self._timeline(conn, entry, parsed)
        elif kind == kinds.MILESTONE_SET:
            self._milestone(conn, entry, parsed, row, charter)
        else:
            self._move(conn, entry, parsed, row, charter)

    def _row(self, conn: Connection, uid: str, charter: Charter) -> Any:
        row = conn.execute(_ROW, {"uid": uid}).first()
        if row is None:
            # A cell made before this projector: its charter's rows come on first use.
            at = conn.execute(select(log_entries.c.time).where(log_entries.c.idx == 0)).scalar()
            row = self._charter_row(conn, uid, charter, str(at))
        if row is None:
            raise NotFound(NO_UNDERSTANDING)
        return row

    # ---- recording -------------------------------------------------------------------

    def _record(self, conn: Connection, entry: Entry, r: kinds.Recorded, charter: Charter) -> None:
        st = entry.statement
        role = _role(conn, entry)
        if r.origin == kinds.JOINT:
            if not is_supervisor(charter, st.author.party, role):
                raise Forbidden(N_("a joint understanding is recorded by the supervisor"))
            stated_by = None
        else:
            if role not in RECORDERS:
                raise Forbidden(
                    N_(
                        "a stated understanding is recorded by a head of delegation or a"
                        " liaison officer of the party that stated it"
                    )
                )
            stated_by = st.author.party
        if conn.execute(_ROW, {"uid": r.understanding}).first() is not None or any(
            u.id == r.understanding for u in charter.understandings
        ):
            raise Conflict(N_("an understanding with this id exists already"))
        conn.execute(
            insert(understandings).values(
                id=r.understanding,
                origin=r.origin,
                texts=_texts({r.lang: r.text}),
                lang=r.lang,
                sources=_texts({r.lang: r.source}),
                stated_by=stated_by,
                parties=column(r.parties),
                workstream=r.workstream,
                recorded_idx=entry.index,
                recorded_at=entry.time,
                member=st.author.member,
                status=kinds.NOT_STARTED,
                status_idx=None,
                status_at=None,
                start_on=None,
                end_on=None,
                last_idx=entry.index,
                last_at=entry.time,
            )
        )

    # ---- status and timeline ---------------------------------------------------------

    @staticmethod
    def _status(
        conn: Connection, entry: Entry, s: kinds.Status, row: Any, charter: Charter
    ) -> None:
        st = entry.statement
        check_readable(conn, charter, st.author.party, s.evidence, entry.index)
        if s.status == row.status:
            raise Conflict(
                N_("the understanding is %(status)s already"), status=s.status.replace("_", " ")
            )
        conn.execute(
            insert(understanding_statuses).values(
                idx=entry.index,
                understanding=s.understanding,
                party=st.author.party,
                member=st.author.member,
                from_status=row.status,
                status=s.status,
                reason=s.reason,
                lang=s.lang,
                evidence=json.dumps(list(s.evidence)),
                time=entry.time,
            )
        )
        conn.execute(
            update(understandings)
            .where(understandings.c.id == s.understanding)
            .values(status=s.status, status_idx=entry.index, status_at=entry.time)
        )

    @staticmethod
    def _timeline(conn: Connection, entry: Entry, t: kinds.Timeline) -> None:
        st = entry.statement
        if t.end is not None:
            late = conn.execute(
                select(understanding_milestones.c.id)
                .where(
                    understanding_milestones.c.understanding == t.understanding,
                    understanding_milestones.c.state == kinds.OPEN,
                    understanding_milestones.c.due >= rfc3339(end_of(t.end)),
                )
                .limit(1)
            ).first()
            if late is not None:
                raise Conflict(
                    N_("milestone %(m)s is due after that end: move it first"), m=late.id
                )
        conn.execute(
            insert(understanding_timelines).values(
                idx=entry.index,
                understanding=t.understanding,
                party=st.author.party,
                member=st.author.member,
                start_on=t.start,
                end_on=t.end,
                reason=t.reason,
                lang=t.lang,
                time=entry.time,
            )
        )
        conn.execute(
            update(understandings)
            .where(understandings.c.id == t.understanding)
            .values(start_on=t.start, end_on=t.end)
        )

    # ---- milestones ------------------------------------------------------------------

    @staticmethod
    def _check_due(due: str, entry: Entry, row: Any) -> None:
        if due <= entry.time:
            raise Invalid(N_("a milestone's due time is in the future"))
        if row.end_on is not None and kinds.due_time(due) >= end_of(row.end_on):
            raise Invalid(
                N_("the milestone is due after the understanding's end (%(end)s)"), end=row.end_on
            )

    @staticmethod
    def _open_clocks(
        conn: Connection,
        entry: Entry,
        understanding: str,
        milestone: str,
        parties: list[str],
        due: str,
        charter: Charter,
    ) -> None:
        level = charter.urgency_levels[-1]  # the least urgent: a milestone is not a FLASH
        at = kinds.due_time(due)
        for p in parties:
            open_deadline(
                conn,
                key=milestone_key(milestone, entry.index, p),
                kind=MILESTONE_CLOCK,
                subject=kinds.subject(understanding),
                refs={
                    "understanding": understanding,
                    "milestone": milestone,
                    "urgency": level.level.value,
                },
                party=p,
                visibility=charter.codes,
                due=at,
                plan=escalation_plan(charter, level, p, at),
                idx=entry.index,
            )

    @staticmethod
    def _close_clocks(conn: Connection, ms: Any, state: str, idx: int) -> None:
        for p in split(ms.parties):
            close_deadline(conn, milestone_key(ms.id, int(ms.clock_idx), p), state, idx)

    @staticmethod
    def _event(
        conn: Connection,
        entry: Entry,
        ms_id: str,
        understanding: str,
        event: str,
        due: str,
        text: str | None = None,
        lang: str | None = None,
        evidence: tuple[int, ...] = (),
    ) -> None:
        a = entry.statement.author
        conn.execute(
            insert(understanding_milestone_events).values(
                idx=entry.index,
                milestone=ms_id,
                understanding=understanding,
                event=event,
                party=a.party,
                member=a.member,
                due=due,
                text=text,
                lang=lang,
                evidence=json.dumps(list(evidence)),
                time=entry.time,
            )
        )

    def _milestone(
        self, conn: Connection, entry: Entry, m: kinds.MilestoneSet, row: Any, charter: Charter
    ) -> None:
        if conn.execute(_MILESTONE, {"mid": m.milestone}).first() is not None:
            raise Conflict(N_("a milestone with this id exists already"))
        self._check_due(m.due, entry, row)
        conn.execute(
            insert(understanding_milestones).values(
                id=m.milestone,
                understanding=m.understanding,
                title=m.title,
                lang=m.lang,
                parties=column(m.parties),
                due=m.due,
                clock_idx=entry.index,
                state=kinds.OPEN,
                set_idx=entry.index,
                set_at=entry.time,
                member=entry.statement.author.member,
                closed_idx=None,
                closed_at=None,
            )
        )
        self._event(conn, entry, m.milestone, m.understanding, "set", m.due, m.title, m.lang)
        self._open_clocks(
            conn, entry, m.understanding, m.milestone, list(m.parties), m.due, charter
        )

    def _milestone_of(self, conn: Connection, understanding: str, milestone: str) -> Any:
        ms = conn.execute(_MILESTONE, {"mid": milestone}).first()
        if ms is None or ms.understanding != understanding:
            raise NotFound(NO_MILESTONE)
        if ms.state != kinds.OPEN:
            raise Conflict(
                N_("this milestone is %(state)s: it no longer changes"),
                state="met" if ms.state == kinds.MET else "missed",
            )
        return ms

    def _move(
        self, conn: Connection, entry: Entry, m: kinds.MilestoneMoved, row: Any, charter: Charter
    ) -> None:
        ms = self._milestone_of(conn, m.understanding, m.milestone)
        if ms.due <= entry.time:
            raise Conflict(N_("this milestone's due time has passed: it is missed, not moved"))
        if m.due == ms.due:
            raise Invalid(N_("the milestone is due then already"))
        self._check_due(m.due, entry, row)
        self._close_clocks(conn, ms, CANCELLED, entry.index)
        conn.execute(
            update(understanding_milestones)
            .where(understanding_milestones.c.id == m.milestone)
            .values(due=m.due, clock_idx=entry.index)
        )
        self._event(conn, entry, m.milestone, m.understanding, "moved", m.due, m.reason, m.lang)
        self._open_clocks(
            conn, entry, m.understanding, m.milestone, split(ms.parties), m.due, charter
        )

    def _met(
        self,
        conn: Connection,
        entry: Entry,
        m: kinds.MilestoneMet,
        row: Any,
        charter: Charter,
        role: str | None,
    ) -> None:
        st = entry.statement
        ms = self._milestone_of(conn, m.understanding, m.milestone)
        if not may_meet(
            charter,
            split(row.parties),
            row.stated_by,
            split(ms.parties),
            st.author.party,
            role,
        ):
            raise Forbidden(
                N_(
                    "a milestone is met by the supervisor or a head of delegation of a party"
                    " responsible for it or bound by the understanding"
                )
            )
        if entry.time > ms.due:
            raise Conflict(N_("this milestone's due time has passed: it is missed, not met"))
        check_readable(conn, charter, st.author.party, m.evidence, entry.index)
        conn.execute(
            update(understanding_milestones)
            .where(understanding_milestones.c.id == m.milestone)
            .values(state=kinds.MET, closed_idx=entry.index, closed_at=entry.time)
        )
        self._event(
            conn, entry, m.milestone, m.understanding, "met", ms.due, m.text, m.lang, m.evidence
        )
        self._close_clocks(conn, ms, MET, entry.index)

    @staticmethod
    def _missed(conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        # project_deadline_entries ran first and accepted every item.
        for item in items_of(body):
            if item.get("kind") != MILESTONE_CLOCK:
                continue
            refs = item.get("refs")
            mid = refs.get("milestone") if isinstance(refs, dict) else None
            ms = conn.execute(_MILESTONE, {"mid": mid}).first()
            if ms is None or ms.state != kinds.OPEN:
                continue  # another responsible party's clock breached it in this entry
            conn.execute(
                update(understanding_milestones)
                .where(understanding_milestones.c.id == ms.id)
                .values(state=kinds.BREACHED_MS, closed_idx=entry.index, closed_at=entry.time)
            )
            conn.execute(
                insert(understanding_milestone_events).values(
                    idx=entry.index,
                    milestone=ms.id,
                    understanding=ms.understanding,
                    event="breached",
                    party=SYSTEM_PARTY,
                    member=SYSTEM_MEMBER,
                    due=ms.due,
                    text=None,
                    lang=None,
                    evidence="[]",
                    time=entry.time,
                )
            )
            conn.execute(
                update(understandings)
                .where(understandings.c.id == ms.understanding)
                .values(last_idx=entry.index, last_at=entry.time)
            )

    # ---- verification and links --------------------------------------------------------

    @staticmethod
    def _verify(conn: Connection, entry: Entry, v: kinds.Verified, charter: Charter) -> None:
        st = entry.statement
        check_readable(conn, charter, st.author.party, v.evidence, entry.index)
        conn.execute(
            insert(understanding_verifications).values(
                idx=entry.index,
                understanding=v.understanding,
                party=st.author.party,
                member=st.author.member,
                assessment=v.assessment,
                findings=v.findings,
                lang=v.lang,
                evidence=json.dumps(list(v.evidence)),
                time=entry.time,
            )
        )

    @staticmethod
    def _link(conn: Connection, entry: Entry, link: kinds.Linked, charter: Charter) -> None:
        st = entry.statement
        target = check_readable(conn, charter, st.author.party, (link.entry,), entry.index)[
            link.entry
        ]
        if column(list(st.visibility)) != target.visibility:
            raise Invalid(N_("a link is visible to exactly the linked entry's readers"))
        if target.kind == GENESIS_KIND or target.kind.startswith("system."):
            raise Invalid(N_("a link names an entry a member wrote"))
        dup = conn.execute(
            select(understanding_links.c.idx).where(
                understanding_links.c.understanding == link.understanding,
                understanding_links.c.entry == link.entry,
            )
        ).first()
        if dup is not None:
            raise Conflict(N_("this entry is linked to the understanding already"))
        conn.execute(
            insert(understanding_links).values(
                idx=entry.index,
                understanding=link.understanding,
                entry=link.entry,
                entry_kind=target.kind,
                entry_subject=target.subject,
                party=st.author.party,
                member=st.author.member,
                note=link.note,
                lang=link.lang,
                visibility=target.visibility,
                time=entry.time,
            )
        )

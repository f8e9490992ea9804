"""Diplomatic engagement's projector: checks each `diplomacy.*` entry against the log's
state and updates the tables, inside the append's transaction.

A refusal (a DomainError) rolls the append back and reaches the author as a 4xx. Who may
do what, decided here once:

- the charter's rounds are the record's first rounds (projected with entry 0); the
  supervising party's supervisor or head of delegation records further rounds, revises a
  round (its dates, place, roles attending: never its parties, which its entries' visibility
  already names) and sets its next round to a date or back to "not scheduled";
- the same members schedule a round's meetings: within the round's dates (compared as
  calendar dates in the meeting's own time zone), its parties among the round's;
- a head of delegation, liaison officer or supervisor of a meeting's party records its
  minutes (each a new version), outcomes and follow-up items; a follow-up item is closed,
  once, by its responsible party or the supervising party, with a note.

Recording a round that follows another sets the other's next round to its start date;
follow-up items still open when a round ends are carried into the round that follows it
(read by the queries from these tables: nothing is copied). Because it reads only earlier
entries, `rebuild` gives exactly the same tables.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from fusioncell.authz import Role
from fusioncell.charter.schema import Charter
from fusioncell.clock import rfc3339
from fusioncell.diplomacy import kinds
from fusioncell.diplomacy.tables import (
    diplomacy_followups,
    diplomacy_meetings,
    diplomacy_minutes,
    diplomacy_outcomes,
    diplomacy_rounds,
)
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.ledger.entry import Entry
from fusioncell.ledger.tables import log_members
from fusioncell.ledger.trust import GENESIS_KIND
from fusioncell.messaging.projector import column, split
from fusioncell.projector import CharterProjector

# Who records rounds and schedules meetings: the supervising party's.
ROUND_ROLES = frozenset({Role.SUPERVISOR.value, Role.HEAD_OF_DELEGATION.value})
# Who writes a meeting's record: any party's of the meeting.
RECORD_ROLES = frozenset(
    {Role.SUPERVISOR.value, Role.HEAD_OF_DELEGATION.value, Role.LIAISON_OFFICER.value}
)
NO_ROUND = N_("no such round")
NO_MEETING = N_("no such meeting")
NO_ITEM = N_("no such follow-up item")

_ROUND = select(diplomacy_rounds).where(diplomacy_rounds.c.id == bindparam("rid"))
_MEETING = select(diplomacy_meetings).where(diplomacy_meetings.c.id == bindparam("mid"))
_ROLE = select(log_members.c.role).where(log_members.c.member == bindparam("m"))


def texts(value: dict[str, str] | None, original: str | None = None) -> list[dict[str, str]]:
    """A charter text (language -> text) as [{text, lang}], `original` (else English) first."""
    if not value:
        return []
    first = original if original in value else ("en" if "en" in value else next(iter(value)))
    order = [first, *(lang for lang in value if lang != first)]
    return [{"text": value[lang], "lang": lang} for lang in order]


def _delegations_json(ds: tuple[kinds.Delegation, ...]) -> str:
    return json.dumps([d.to_json() for d in ds], ensure_ascii=False)


def _texts_json(t: tuple[tuple[str, str], ...]) -> str:
    return json.dumps(kinds.texts_json(t), ensure_ascii=False)


def meeting_days(m: kinds.Meeting) -> tuple[str, str]:
    """The meeting's first and last calendar day in its own time zone."""
    return m.start[:10], m.end[:10]


class DiplomacyProjector(CharterProjector):
    def __call__(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        super().__call__(conn, entry, body)
        if entry.statement.kind == GENESIS_KIND:
            self._charter_rounds(conn, entry)

    def _charter_rounds(self, conn: Connection, entry: Entry) -> None:
        charter = self.charter(conn)
        for r in charter.rounds:
            held = r.held_on.isoformat() if r.held_on else None
            nxt = r.next_round if isinstance(r.next_round, date) else None
            dels = tuple(kinds.Delegation(p, ()) for p in sorted(r.delegations))
            conn.execute(
                insert(diplomacy_rounds).values(
                    id=r.id,
                    parties=column(kinds.parties_of(dels, charter)),
                    source="charter",
                    recorded_idx=entry.index,
                    place=json.dumps(texts(r.place), ensure_ascii=False),
                    start=held,
                    end=held,
                    delegations=_delegations_json(dels),
                    note=json.dumps(texts(r.note), ensure_ascii=False),
                    follows=None,
                    next_state="scheduled" if nxt else kinds.NOT_SCHEDULED,
                    next_date=nxt.isoformat() if nxt else None,
                    next_round=None,
                    version=1,
                    last_idx=entry.index,
                    last_at=entry.time,
                    text_idx=None,
                )
            )

    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind not in kinds.KINDS:
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)
        subject = entry.statement.subject
        if kind in kinds.ROUND_KINDS:
            if subject != kinds.round_subject(parsed.round):
                raise Invalid(N_("subject must be dr/<round> of the round in the body"))
        elif subject != kinds.meeting_subject(parsed.meeting):
            raise Invalid(N_("subject must be dm/<meeting> of the meeting in the body"))
        if kind == kinds.ROUND_RECORDED:
            self._record(conn, entry, parsed, charter)
        elif kind == kinds.ROUND_REVISED:
            self._revise(conn, entry, parsed, charter)
        elif kind == kinds.ROUND_NEXT:
            self._next(conn, entry, parsed, charter)
        elif kind == kinds.MEETING:
            self._schedule(conn, entry, parsed, charter)
        else:
            self._on_meeting(conn, entry, parsed, charter)

    def _on_meeting(self, conn: Connection, entry: Entry, parsed: Any, charter: Charter) -> None:
        kind = entry.statement.kind
        meeting = self._meeting(conn, entry, parsed.meeting, charter)
        self._check_role(
            conn,
            entry,
            RECORD_ROLES,
            N_(
                "a meeting's record is written by a head of delegation, a liaison officer"
                " or the supervisor"
            ),
        )
        if kind == kinds.MINUTES:
            self._minutes(conn, entry, parsed)
        elif kind == kinds.OUTCOME:
            self._outcome(conn, entry, parsed)
        elif kind == kinds.FOLLOWUP:
            self._followup(conn, entry, parsed, meeting)
        else:
            self._close(conn, entry, parsed, charter)

    # ---- who ---------------------------------------------------------------------------

    @staticmethod
    def _check_role(conn: Connection, entry: Entry, roles: frozenset[str], message: str) -> None:
        role = conn.execute(_ROLE, {"m": entry.statement.author.member}).scalar()
        if role not in roles:
            raise Forbidden(message)

    def _check_supervisor(self, conn: Connection, entry: Entry, charter: Charter) -> None:
        sup = charter.supervisor
        if sup is None or entry.statement.author.party != sup.code:
            raise Forbidden(N_("rounds and meetings are recorded by the supervising party"))
        self._check_role(
            conn,
            entry,
            ROUND_ROLES,
            N_("rounds and meetings are recorded by the supervisor or its head of delegation"),
        )

    @staticmethod
    def _sees(charter: Charter, party: str) -> bool:
        return any(p.code == party and p.sees_all for p in charter.parties)

    def _round(self, conn: Connection, entry: Entry, rid: str, charter: Charter) -> Any:
        st = entry.statement
        row = conn.execute(_ROUND, {"rid": rid}).first()
        # Hidden and missing rounds get the same answer.
        if row is None or (
            st.author.party not in split(row.parties) and not self._sees(charter, st.author.party)
        ):
            raise NotFound(NO_ROUND)
        return row

    def _meeting(self, conn: Connection, entry: Entry, mid: str, charter: Charter) -> Any:
        st = entry.statement
        row = conn.execute(_MEETING, {"mid": mid}).first()
        if row is None:
            raise NotFound(NO_MEETING)
        parties = split(row.parties)
        if st.author.party not in parties:
            if not self._sees(charter, st.author.party):
                raise NotFound(NO_MEETING)
            raise Forbidden(N_("your party is not one of this meeting's parties"))
        if list(st.visibility) != parties:
            raise Invalid(N_("visibility must be exactly the meeting's parties"))
        return row

    # ---- rounds ------------------------------------------------------------------------

    @staticmethod
    def _content_row(c: kinds.RoundContent) -> dict[str, Any]:
        return {
            "place": _texts_json(c.place),
            "start": c.start,
            "end": c.end,
            "delegations": _delegations_json(c.delegations),
            "note": _texts_json(c.note),
        }

    def _record(
        self, conn: Connection, entry: Entry, r: kinds.RoundRecorded, charter: Charter
    ) -> None:
        st = entry.statement
        parties = kinds.parties_of(r.content.delegations, charter)
        if list(st.visibility) != parties:
            raise Invalid(N_("visibility must be exactly the round's parties"))
        self._check_supervisor(conn, entry, charter)
        if conn.execute(_ROUND, {"rid": r.round}).first():
            raise Conflict(N_("a round with this id exists already"))
        if r.follows is not None:
            before = self._round(conn, entry, r.follows, charter)
            if before.end is None:
                raise Conflict(N_("the round it follows has no dates recorded yet"))
            if before.next_round is not None:
                raise Conflict(
                    N_("round %(round)s is already followed by %(next)s"),
                    round=before.id,
                    next=before.next_round,
                )
            if r.content.start <= before.end:
                raise Invalid(
                    N_("a round starts after the round it follows ends (%(end)s)"),
                    end=before.end,
                )
            conn.execute(
                update(diplomacy_rounds)
                .where(diplomacy_rounds.c.id == before.id)
                .values(
                    next_state="scheduled",
                    next_date=r.content.start,
                    next_round=r.round,
                    last_idx=entry.index,
                    last_at=entry.time,
                )
            )
        conn.execute(
            insert(diplomacy_rounds).values(
                id=r.round,
                parties=column(parties),
                source="log",
                recorded_idx=entry.index,
                follows=r.follows,
                next_state=kinds.NOT_SCHEDULED,
                next_date=None,
                next_round=None,
                version=1,
                last_idx=entry.index,
                last_at=entry.time,
                text_idx=entry.index,
                **self._content_row(r.content),
            )
        )

    def _revise(
        self, conn: Connection, entry: Entry, r: kinds.RoundRevised, charter: Charter
    ) -> None:
        st = entry.statement
        row = self._round(conn, entry, r.round, charter)
        parties = split(row.parties)
        if list(st.visibility) != parties:
            raise Invalid(N_("visibility must be exactly the round's parties"))
        self._check_supervisor(conn, entry, charter)
        if kinds.parties_of(r.content.delegations, charter) != parties:
            raise Invalid(
                N_("a round's parties do not change (%(parties)s): record another round"),
                parties=", ".join(parties),
            )
        c = r.content
        outside = conn.execute(
            select(func.count())
            .select_from(diplomacy_meetings)
            .where(
                diplomacy_meetings.c.round == r.round,
                (func.substr(diplomacy_meetings.c.start_local, 1, 10) < c.start)
                | (func.substr(diplomacy_meetings.c.end_local, 1, 10) > c.end),
            )
        ).scalar()
        if outside:
            raise Conflict(N_("the round's meetings would fall outside its new dates"))
        if row.next_round is not None:
            after = conn.execute(_ROUND, {"rid": row.next_round}).one()
            if c.end >= after.start:
                raise Invalid(
                    N_("the round ends before the round that follows it starts (%(start)s)"),
                    start=after.start,
                )
        if row.follows is not None:
            before = conn.execute(_ROUND, {"rid": row.follows}).one()
            if c.start <= before.end:
                raise Invalid(
                    N_("a round starts after the round it follows ends (%(end)s)"),
                    end=before.end,
                )
            conn.execute(
                update(diplomacy_rounds)
                .where(diplomacy_rounds.c.id == before.id)
                .values(next_date=c.start, last_idx=entry.index, last_at=entry.time)
            )
        if row.next_date is not None and row.next_round is None and row.next_date <= c.end:
            raise Invalid(
                N_("the next round (%(date)s) must come after the round ends"),
                date=row.next_date,
            )
        new = self._content_row(c)
        if all(new[k] == getattr(row, k) for k in new):
            raise Invalid(N_("the revision changes nothing"))
        conn.execute(
            update(diplomacy_rounds)
            .where(diplomacy_rounds.c.id == r.round)
            .values(
                version=diplomacy_rounds.c.version + 1,
                last_idx=entry.index,
                last_at=entry.time,
                text_idx=entry.index,
                **new,
            )
        )

    def _next(self, conn: Connection, entry: Entry, n: kinds.RoundNext, charter: Charter) -> None:
        st = entry.statement
        row = self._round(conn, entry, n.round, charter)
        if list(st.visibility) != split(row.parties):
            raise Invalid(N_("visibility must be exactly the round's parties"))
        self._check_supervisor(conn, entry, charter)
        if row.next_round is not None:
            raise Conflict(
                N_("the next round is recorded (%(round)s): revise its dates instead"),
                round=row.next_round,
            )
        if n.next == kinds.NOT_SCHEDULED:
            state, when = kinds.NOT_SCHEDULED, None
        else:
            if row.end is not None and n.next <= row.end:
                raise Invalid(
                    N_("the next round must come after this round ends (%(end)s)"), end=row.end
                )
            state, when = "scheduled", n.next
        if (state, when) == (row.next_state, row.next_date):
            raise Invalid(N_("the next round is so already"))
        conn.execute(
            update(diplomacy_rounds)
            .where(diplomacy_rounds.c.id == n.round)
            .values(next_state=state, next_date=when, last_idx=entry.index, last_at=entry.time)
        )

    # ---- meetings ----------------------------------------------------------------------

    def _schedule(self, conn: Connection, entry: Entry, m: kinds.Meeting, charter: Charter) -> None:
        st = entry.statement
        row = self._round(conn, entry, m.round, charter)
        parties = kinds.parties_of(m.delegations, charter)
        if list(st.visibility) != parties:
            raise Invalid(N_("visibility must be exactly the meeting's parties"))
        self._check_supervisor(conn, entry, charter)
        outside = [p for p in parties if p not in split(row.parties)]
        if outside:
            raise Invalid(N_("party %(party)s is not in this round"), party=outside[0])
        if row.start is None or row.end is None:
            raise Conflict(N_("record the round's dates before scheduling its meetings"))
        first, last = meeting_days(m)
        if first < row.start or last > row.end:
            raise Invalid(
                N_("a meeting falls within its round's dates (%(start)s to %(end)s)"),
                start=row.start,
                end=row.end,
            )
        if conn.execute(_MEETING, {"mid": m.meeting}).first():
            raise Conflict(N_("a meeting with this id exists already"))
        conn.execute(
            insert(diplomacy_meetings).values(
                id=m.meeting,
                round=m.round,
                parties=column(parties),
                party=st.author.party,
                member=st.author.member,
                idx=entry.index,
                time=entry.time,
                title=_texts_json(m.title),
                place=_texts_json(m.place),
                start_local=m.start,
                end_local=m.end,
                tz=m.tz,
                start_utc=rfc3339(m.start_utc),
                end_utc=rfc3339(m.end_utc),
                delegations=_delegations_json(m.delegations),
                agenda=_texts_json(m.agenda),
            )
        )

    @staticmethod
    def _minutes(conn: Connection, entry: Entry, s: kinds.Said) -> None:
        last = conn.execute(
            select(diplomacy_minutes.c.version, diplomacy_minutes.c.text, diplomacy_minutes.c.lang)
            .where(diplomacy_minutes.c.meeting == s.meeting)
            .order_by(diplomacy_minutes.c.version.desc())
            .limit(1)
        ).first()
        if last is not None and (last.text, last.lang) == (s.text, s.lang):
            raise Invalid(N_("the correction changes nothing"))
        conn.execute(
            insert(diplomacy_minutes).values(
                idx=entry.index,
                meeting=s.meeting,
                version=(int(last.version) if last else 0) + 1,
                party=entry.statement.author.party,
                member=entry.statement.author.member,
                text=s.text,
                lang=s.lang,
                time=entry.time,
            )
        )

    @staticmethod
    def _outcome(conn: Connection, entry: Entry, s: kinds.Said) -> None:
        conn.execute(
            insert(diplomacy_outcomes).values(
                idx=entry.index,
                meeting=s.meeting,
                party=entry.statement.author.party,
                member=entry.statement.author.member,
                text=s.text,
                lang=s.lang,
                time=entry.time,
            )
        )

    @staticmethod
    def _followup(conn: Connection, entry: Entry, f: kinds.FollowUp, meeting: Any) -> None:
        if f.party not in split(meeting.parties):
            raise Invalid(
                N_("the responsible party %(party)s is not in this meeting"), party=f.party
            )
        if conn.execute(
            select(diplomacy_followups.c.id).where(diplomacy_followups.c.id == f.item)
        ).first():
            raise Conflict(N_("a follow-up item with this id exists already"))
        conn.execute(
            insert(diplomacy_followups).values(
                id=f.item,
                meeting=f.meeting,
                round=meeting.round,
                party=f.party,
                text=f.text,
                lang=f.lang,
                due=f.due,
                added_idx=entry.index,
                added_at=entry.time,
                added_by=entry.statement.author.member,
            )
        )

    @staticmethod
    def _close(conn: Connection, entry: Entry, c: kinds.Closed, charter: Charter) -> None:
        st = entry.statement
        item = conn.execute(
            select(diplomacy_followups).where(
                diplomacy_followups.c.id == c.item, diplomacy_followups.c.meeting == c.meeting
            )
        ).first()
        if item is None:
            raise NotFound(NO_ITEM)
        sup = charter.supervisor
        if st.author.party != item.party and (sup is None or st.author.party != sup.code):
            raise Forbidden(
                N_("a follow-up item is closed by its responsible party or the supervisor")
            )
        if item.closed_idx is not None:
            raise Conflict(N_("this follow-up item is closed already"))
        conn.execute(
            update(diplomacy_followups)
            .where(diplomacy_followups.c.id == c.item)
            .values(
                closed_idx=entry.index,
                closed_at=entry.time,
                closed_by=st.author.member,
                closed_party=st.author.party,
                note=c.text,
                note_lang=c.lang,
            )
        )

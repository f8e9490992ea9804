"""The line's projector: checks each line entry against the log's state and updates the
line's tables and deadlines, inside the append's transaction.

A refusal here (a DomainError) rolls the append back and reaches the author as a 4xx: the
log never holds an answer by someone not on duty, a second answer by a party, a slot sent
twice, or a suspension of a suspended line. It reads only earlier entries (the duty
roster as it stood, the members' roles), so `rebuild` gives exactly the same tables.

It must run after `project_deadline_entries`: a `system.deadline.missed` item of kind
`line.check` marks the check missed, once the deadlines projector has accepted the entry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from fusioncell.authz.permissions import Role
from fusioncell.charter.schema import Charter
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.deadlines.api import MET, close_deadline, escalation_plan, open_deadline
from fusioncell.deadlines.projector import MISSED, items_of
from fusioncell.duty.queries import on_duty
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.ledger.entry import SYSTEM_MEMBER, Entry
from fusioncell.ledger.tables import log_members
from fusioncell.line import kinds
from fusioncell.line.schedule import is_slot, slot_check_id
from fusioncell.line.tables import line_checks, line_status
from fusioncell.projector import CharterProjector

OPEN = "open"
ANSWERED = "answered"
LATE = "late"
MISSED_STATE = "missed"
CHECK_STATES = (OPEN, ANSWERED, LATE, MISSED_STATE)

# Who may send a check on demand: the supervising party's supervisor or duty officer.
REQUESTERS = frozenset({Role.SUPERVISOR.value, Role.DUTY_OFFICER.value})
# Who may declare the line suspended or resumed: a party's head of delegation or
# administrator, or the supervisor.
DECLARERS = frozenset(
    {Role.HEAD_OF_DELEGATION.value, Role.PARTY_ADMIN.value, Role.SUPERVISOR.value}
)

_CHECK_ANY = select(line_checks.c.check_id).where(line_checks.c.check_id == bindparam("c")).limit(1)
_CHECK_ROW = select(line_checks).where(
    line_checks.c.check_id == bindparam("c"), line_checks.c.party == bindparam("p")
)
_INSERT_CHECK = insert(line_checks)
_MISSED = (
    update(line_checks)
    .where(
        line_checks.c.check_id == bindparam("b_c"),
        line_checks.c.party == bindparam("b_p"),
        line_checks.c.state == OPEN,
    )
    .values(state=MISSED_STATE, missed_idx=bindparam("b_idx"))
)
_LAST_STATUS = select(line_status).order_by(line_status.c.idx.desc()).limit(1)
_MEMBER = select(log_members).where(log_members.c.member == bindparam("m"))

NO_CHECK = N_("no such line check")


def _role(conn: Connection, entry: Entry) -> str | None:
    """The author's role as the log knows it (member.added), if they are an active member
    of the party they write for."""
    a = entry.statement.author
    r = conn.execute(_MEMBER, {"m": a.member}).first()
    if r is None or r.party != a.party or r.disabled is not None:
        return None
    return str(r.role)


class LineProjector(CharterProjector):
    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind == MISSED:
            self._missed(conn, entry, body)
            return
        if kind not in kinds.KINDS and not kind.startswith(kinds.NAMESPACE):
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)  # an unknown line.* kind is refused
        st = entry.statement
        if list(st.visibility) != charter.codes:
            raise Invalid(N_("the line's entries are visible to every party"))
        if kind == kinds.DECLARED:
            if st.subject != kinds.STATUS_SUBJECT:
                raise Invalid(N_("subject must be %(subject)s"), subject=kinds.STATUS_SUBJECT)
            self._declare(conn, entry, parsed, charter)
            return
        if kinds.check_of_subject(st.subject) != parsed.check:
            raise Invalid(N_("subject must be line/<check> of the check in the body"))
        if kind == kinds.ANSWERED:
            self._answer(conn, entry, parsed)
        else:
            self._send(conn, entry, parsed, charter)

    # ---- checks ------------------------------------------------------------------------

    @staticmethod
    def _send(conn: Connection, entry: Entry, c: kinds.CheckSent, charter: Charter) -> None:
        st = entry.statement
        lc = charter.line_checks
        if lc is None:
            raise Invalid(N_("this cell's charter sets no line checks"))
        sent = parse_rfc3339(entry.time)
        if st.kind == kinds.SENT:
            # The program's own entry: refusals are for the engine, but say what is wrong.
            if st.author.member != SYSTEM_MEMBER:
                raise Forbidden(N_("scheduled line checks are sent by the cell itself"))
            try:
                slot = parse_rfc3339(c.slot or "")
            except ValueError:
                raise Invalid(N_("slot must be an RFC 3339 time")) from None
            if not is_slot(lc, slot) or c.check != slot_check_id(slot):
                raise Invalid(
                    N_("%(slot)s is not a slot of the charter's line checks"), slot=c.slot
                )
            if list(c.parties) != charter.codes:
                raise Invalid(N_("a scheduled check goes to every party"))
            if not slot <= sent < slot + lc.answer_within:
                raise Conflict(N_("the check of %(slot)s is not due now"), slot=c.slot)
        else:
            sup = charter.supervisor
            if sup is None or st.author.party != sup.code or _role(conn, entry) not in REQUESTERS:
                raise Forbidden(
                    N_("a check on demand is sent by the supervisor or its duty officer")
                )
        if conn.execute(_CHECK_ANY, {"c": c.check}).first():
            raise Conflict(N_("the line check %(check)s was sent already"), check=c.check)
        due = sent + lc.answer_within
        level = next((u for u in charter.urgency_levels if u.level == kinds.URGENCY), None)
        on_demand = st.kind == kinds.REQUESTED
        for party in c.parties:
            conn.execute(
                _INSERT_CHECK,
                {
                    "check_id": c.check,
                    "party": party,
                    "opened_idx": entry.index,
                    "sent_at": entry.time,
                    "due": rfc3339(due),
                    "slot": None if on_demand else c.slot,
                    "on_demand": on_demand,
                    "requested_by": st.author.member if on_demand else None,
                    "state": OPEN,
                    "answered_at": None,
                    "answered_by": None,
                    "answered_idx": None,
                    "missed_idx": None,
                },
            )
            # Missed, it escalates as an IMMEDIATE item would (the charter's steps).
            open_deadline(
                conn,
                key=kinds.check_key(c.check, party),
                kind=kinds.DEADLINE_KIND,
                subject=st.subject,
                refs={"check": c.check, "urgency": kinds.URGENCY},
                party=party,
                visibility=charter.codes,
                due=due,
                plan=[] if level is None else escalation_plan(charter, level, party, due),
                idx=entry.index,
            )

    @staticmethod
    def _answer(conn: Connection, entry: Entry, a: kinds.CheckAnswered) -> None:
        st = entry.statement
        party = a.party or st.author.party
        if party != st.author.party:
            raise Forbidden(N_("a party answers a line check for itself"))
        if conn.execute(_CHECK_ANY, {"c": a.check}).first() is None:
            raise NotFound(NO_CHECK)
        row = conn.execute(_CHECK_ROW, {"c": a.check, "p": party}).first()
        if row is None:
            raise Forbidden(N_("this line check was not sent to %(party)s"), party=party)
        if row.state in (ANSWERED, LATE):
            raise Conflict(
                N_("%(party)s answered this line check already (%(member)s, %(time)s)"),
                party=party,
                member=row.answered_by,
                time=row.answered_at,
            )
        holder = on_duty(conn, party, parse_rfc3339(entry.time))
        if holder is None:
            raise Forbidden(
                N_("nobody holds %(party)s's duty now: the duty holder answers a line check"),
                party=party,
            )
        if holder != st.author.member:
            raise Forbidden(
                N_(
                    "only the duty holder answers a line check: %(member)s is on duty for %(party)s"
                ),
                member=holder,
                party=party,
            )
        late = entry.time > row.due
        conn.execute(
            update(line_checks)
            .where(line_checks.c.check_id == a.check, line_checks.c.party == party)
            .values(
                state=LATE if late else ANSWERED,
                answered_at=entry.time,
                answered_by=st.author.member,
                answered_idx=entry.index,
            )
        )
        # On time: met. Late: stops any escalation still to come; the missed entry stays.
        close_deadline(conn, kinds.check_key(a.check, party), MET, entry.index)

    @staticmethod
    def _missed(conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        # project_deadline_entries ran first and accepted every item.
        for item in items_of(body):
            if item.get("kind") != kinds.DEADLINE_KIND:
                continue
            refs = item.get("refs")
            check = refs.get("check") if isinstance(refs, dict) else None
            conn.execute(_MISSED, {"b_c": check, "b_p": item.get("party"), "b_idx": entry.index})

    # ---- status ------------------------------------------------------------------------

    @staticmethod
    def _declare(conn: Connection, entry: Entry, d: kinds.StatusDeclared, charter: Charter) -> None:
        st = entry.statement
        role = _role(conn, entry)
        sup = charter.supervisor
        supervising = sup is not None and st.author.party == sup.code
        if role not in DECLARERS or (role == Role.SUPERVISOR.value and not supervising):
            raise Forbidden(
                N_(
                    "the line is suspended or resumed by a head of delegation, a party"
                    " administrator or the supervisor"
                )
            )
        last = conn.execute(_LAST_STATUS).first()
        now = last.state if last is not None else kinds.RESUMED
        if d.state == now:
            raise Conflict(
                N_("the line is suspended already")
                if now == kinds.SUSPENDED
                else N_("the line is not suspended")
            )
        if (
            d.state == kinds.RESUMED
            and last is not None
            and not supervising
            and st.author.party != last.party
        ):
            raise Forbidden(
                N_(
                    "the line is resumed by the party that suspended it (%(party)s)"
                    " or by the supervisor"
                ),
                party=last.party,
            )
        conn.execute(
            insert(line_status).values(
                idx=entry.index,
                time=entry.time,
                state=d.state,
                party=st.author.party,
                member=st.author.member,
                text=d.text,
                lang=d.lang,
            )
        )

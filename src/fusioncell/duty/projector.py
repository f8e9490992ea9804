"""The duty rosters' projector: checks each `duty.*` entry against the log's state and
updates the rosters' tables, inside the append's transaction.

A refusal (a DomainError) rolls the append back and reaches the author as a 4xx. The
present is the entry's log time: a roster may not begin before it (the record of who held
the duty is not rewritten afterwards), a swap moves only shifts that have not begun, and
taking the duty cuts the shift in progress at the approval's log time. Because it reads
only earlier entries, `rebuild` gives exactly the same tables.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from fusioncell.authz import Permission, Role
from fusioncell.charter.schema import Charter
from fusioncell.clock import rfc3339
from fusioncell.duty import kinds
from fusioncell.duty.kinds import parse_time
from fusioncell.duty.queries import ShiftRow, may_hand_over, shift_at
from fusioncell.duty.tables import duty_handovers, duty_requests, duty_shifts
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.ledger.entry import Entry
from fusioncell.ledger.tables import log_members
from fusioncell.projector import CharterProjector

PENDING = "pending"
APPROVED = "approved"
DECLINED = "declined"

# How far before its log time a roster may begin: the admin's device clock and the time
# the statement took to arrive, not a way to rewrite the past.
ROSTER_GRACE = timedelta(minutes=5)
# How far ahead a roster may begin.
ROSTER_AHEAD = timedelta(days=366)

NO_SHIFT = N_("no such shift")
NO_REQUEST = N_("no such request")
BEGUN = N_("shift %(shift)s has begun: it can no longer be swapped; ask to take the duty")

_MEMBER = select(log_members).where(log_members.c.member == bindparam("m"))
_SHIFT = select(duty_shifts).where(
    duty_shifts.c.id == bindparam("id"), duty_shifts.c.party == bindparam("p")
)
_REQUEST = select(duty_requests).where(
    duty_requests.c.idx == bindparam("idx"), duty_requests.c.party == bindparam("p")
)
_OVERLAPPING = select(duty_shifts).where(
    duty_shifts.c.party == bindparam("p"),
    duty_shifts.c.start < bindparam("hi"),
    duty_shifts.c.end > bindparam("lo"),
)
_PENDING_OF = (
    select(duty_requests.c.idx)
    .where(
        duty_requests.c.party == bindparam("p"),
        duty_requests.c.member == bindparam("m"),
        duty_requests.c.kind == bindparam("k"),
        duty_requests.c.state == PENDING,
    )
    .limit(1)
)


def shift_id(idx: int, n: int) -> str:
    """Shifts are named by the entry that made them and their place in it (n >= 1; 0 is the
    later part of a shift that a roster's window falls inside)."""
    return f"{idx}.{n}"


def replace_shifts(
    conn: Connection, party: str, lo: str, hi: str, shifts: list[kinds.Shift], idx: int
) -> None:
    """The party's roster within [lo, hi) becomes `shifts`: shifts inside the window go,
    those across its edges are cut at them."""
    for r in conn.execute(_OVERLAPPING, {"p": party, "lo": lo, "hi": hi}).all():
        where = duty_shifts.c.id == r.id
        if r.start >= lo and r.end <= hi:
            conn.execute(delete(duty_shifts).where(where))
        elif r.start < lo and r.end > hi:  # the window falls inside it: keep both ends
            conn.execute(update(duty_shifts).where(where).values(end=lo, changed_idx=idx))
            conn.execute(
                insert(duty_shifts).values(
                    id=shift_id(idx, 0),
                    party=party,
                    member=r.member,
                    start=hi,
                    end=r.end,
                    idx=idx,
                    changed_idx=None,
                )
            )
        elif r.start < lo:
            conn.execute(update(duty_shifts).where(where).values(end=lo, changed_idx=idx))
        else:
            conn.execute(update(duty_shifts).where(where).values(start=hi, changed_idx=idx))
    if shifts:
        conn.execute(
            insert(duty_shifts),
            [
                {
                    "id": shift_id(idx, n),
                    "party": party,
                    "member": s.member,
                    "start": s.start,
                    "end": s.end,
                    "idx": idx,
                    "changed_idx": None,
                }
                for n, s in enumerate(shifts, start=1)
            ],
        )


def check_roster(conn: Connection, r: kinds.Roster, now: str, charter: Charter) -> None:
    """What a roster's shape cannot tell: it begins neither before `now` (the record of who
    held the duty is not rewritten) nor more than a year ahead, and every member named can
    hold the party's duty. The projector and the page's draft both ask this."""
    t = parse_time(now)
    if r.start < rfc3339(t - ROSTER_GRACE):
        raise Invalid(
            N_(
                "a roster may not begin before now (%(now)s): who held the duty is not"
                " rewritten afterwards"
            ),
            now=now,
        )
    if r.start > rfc3339(t + ROSTER_AHEAD):
        raise Invalid(N_("a roster begins at most a year ahead"))
    for member in sorted({s.member for s in r.shifts}):
        check_member(conn, member, r.party, charter)


def check_member(
    conn: Connection, member: str, party: str, charter: Charter, *, what: str = "member"
) -> Any:
    """A member of `party`, enabled, whose role may write to the log (and so answer
    for the duty: an auditor or a witness cannot hold it)."""
    row = conn.execute(_MEMBER, {"m": member}).first()
    if row is None or row.party != party:
        if what == "you":
            raise Forbidden(N_("you are not a member of party %(party)s"), party=party)
        raise Invalid(
            N_("%(member)s is not a member of party %(party)s"), member=member, party=party
        )
    if row.disabled is not None:
        raise Invalid(N_("%(member)s is disabled"), member=member)
    try:
        role = Role(row.role)
    except ValueError:
        role = None
    if role is None or Permission.LOG_APPEND not in charter.permissions(role):
        raise Invalid(
            N_("%(member)s's role (%(role)s) cannot hold the duty"),
            member=member,
            role=row.role,
        )
    return row


class DutyProjector(CharterProjector):
    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind not in kinds.KINDS:
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)
        st = entry.statement
        party = parsed.party
        if st.author.party != party:
            raise Forbidden(N_("party %(party)s's duty is written by its own members"), party=party)
        if st.subject != kinds.subject(party):
            raise Invalid(N_("subject must be duty/<party> of the party in the body"))
        want = [party] if kind == kinds.HANDOVER else sorted(charter.codes)
        if list(st.visibility) != want:
            raise Invalid(N_("visibility must be %(parties)s"), parties=", ".join(want))
        check_member(conn, st.author.member, party, charter, what="you")
        if kind == kinds.ROSTER:
            self._require_admin(conn, st.author.member, charter)
            self._roster(conn, entry, parsed, charter)
        elif kind == kinds.HANDOVER:
            self._handover(conn, entry, parsed, charter)
        elif kind == kinds.SWAP_REQUESTED:
            self._swap_requested(conn, entry, parsed, charter)
        elif kind == kinds.TAKE_REQUESTED:
            self._take_requested(conn, entry, parsed)
        else:
            self._require_admin(conn, st.author.member, charter)
            self._decide(conn, entry, parsed, charter)

    # ---- who --------------------------------------------------------------------------

    @staticmethod
    def _require_admin(conn: Connection, member: str, charter: Charter) -> None:
        row = conn.execute(_MEMBER, {"m": member}).first()
        if row is None or Permission.DUTY_MANAGE not in charter.permissions(Role(row.role)):
            raise Forbidden(N_("only the party admin manages the party's roster"))

    # ---- rosters ----------------------------------------------------------------------

    def _roster(self, conn: Connection, entry: Entry, r: kinds.Roster, charter: Charter) -> None:
        check_roster(conn, r, entry.time, charter)
        replace_shifts(conn, r.party, r.start, r.end, list(r.shifts), entry.index)

    # ---- hand-over notes -----------------------------------------------------------------

    def _handover(
        self, conn: Connection, entry: Entry, h: kinds.Handover, charter: Charter
    ) -> None:
        me = entry.statement.author.member
        if not may_hand_over(conn, h.party, me, entry.time):
            raise Forbidden(
                N_(
                    "a hand-over note is written by the holder of the duty, the next holder,"
                    " or the one who handed over in the last two hours"
                )
            )
        if h.to is not None:
            if h.to == me:
                raise Invalid(N_("a hand-over note is addressed to someone else"))
            check_member(conn, h.to, h.party, charter)
        conn.execute(
            insert(duty_handovers).values(
                idx=entry.index,
                party=h.party,
                member=me,
                to_member=h.to,
                text=h.text,
                lang=h.lang,
                time=entry.time,
                visibility="," + ",".join(entry.statement.visibility) + ",",
            )
        )

    # ---- requests ---------------------------------------------------------------------

    @staticmethod
    def _shift(conn: Connection, party: str, sid: str) -> ShiftRow:
        r = conn.execute(_SHIFT, {"id": sid, "p": party}).first()
        if r is None:
            raise NotFound(NO_SHIFT)
        return ShiftRow.of(r)

    def _check_swap(
        self,
        conn: Connection,
        party: str,
        asker: str,
        s: kinds.SwapRequest,
        now: str,
        charter: Charter,
    ) -> tuple[ShiftRow, ShiftRow | None]:
        """The swap's shifts as they stand now: each held by its member, neither begun."""
        mine = self._shift(conn, party, s.shift)
        if mine.member != asker:
            raise Conflict(
                N_("shift %(shift)s is held by %(member)s, not by %(asker)s"),
                shift=mine.id,
                member=mine.member,
                asker=asker,
            )
        if mine.start <= now:
            raise Conflict(BEGUN, shift=mine.id)
        if s.with_member == asker:
            raise Invalid(N_("a swap is with someone else"))
        check_member(conn, s.with_member, party, charter)
        theirs = None
        if s.with_shift is not None:
            theirs = self._shift(conn, party, s.with_shift)
            if theirs.member != s.with_member:
                raise Conflict(
                    N_("shift %(shift)s is held by %(member)s, not by %(asker)s"),
                    shift=theirs.id,
                    member=theirs.member,
                    asker=s.with_member,
                )
            if theirs.start <= now:
                raise Conflict(BEGUN, shift=theirs.id)
        return mine, theirs

    def _swap_requested(
        self, conn: Connection, entry: Entry, s: kinds.SwapRequest, charter: Charter
    ) -> None:
        me = entry.statement.author.member
        self._check_swap(conn, s.party, me, s, entry.time, charter)
        dup = conn.execute(
            select(duty_requests.c.idx)
            .where(
                duty_requests.c.party == s.party,
                duty_requests.c.shift == s.shift,
                duty_requests.c.member == me,
                duty_requests.c.state == PENDING,
            )
            .limit(1)
        ).first()
        if dup is not None:
            raise Conflict(
                N_("you asked to swap this shift already (request %(request)s)"),
                request=int(dup.idx),
            )
        self._insert_request(
            conn,
            entry,
            s.party,
            kinds.SWAP,
            shift=s.shift,
            with_member=s.with_member,
            with_shift=s.with_shift,
        )

    def _take_requested(self, conn: Connection, entry: Entry, t: kinds.TakeRequest) -> None:
        me = entry.statement.author.member
        if t.until is not None:
            self._check_until(t.until, entry.time)
        cur = shift_at(conn, t.party, entry.time)
        if cur is not None and cur.member == me and (t.until is None or t.until <= cur.end):
            raise Conflict(N_("you hold the duty already"))
        dup = conn.execute(_PENDING_OF, {"p": t.party, "m": me, "k": kinds.TAKE}).first()
        if dup is not None:
            raise Conflict(
                N_("you asked to take the duty already (request %(request)s)"),
                request=int(dup.idx),
            )
        self._insert_request(conn, entry, t.party, kinds.TAKE, until=t.until)

    @staticmethod
    def _check_until(until: str, now: str) -> None:
        if until <= now:
            raise Conflict(N_("'until' (%(until)s) has passed"), until=until)
        if parse_time(until) - parse_time(now) > kinds.MAX_SHIFT:
            raise Invalid(
                N_("one takes the duty for at most %(days)s days"), days=kinds.MAX_SHIFT.days
            )

    @staticmethod
    def _insert_request(
        conn: Connection, entry: Entry, party: str, kind: str, **values: str | None
    ) -> None:
        conn.execute(
            insert(duty_requests).values(
                idx=entry.index,
                party=party,
                kind=kind,
                member=entry.statement.author.member,
                time=entry.time,
                state=PENDING,
                **values,
            )
        )

    # ---- the admin's decisions ---------------------------------------------------------------

    def _decide(self, conn: Connection, entry: Entry, d: kinds.Decision, charter: Charter) -> None:
        kind = entry.statement.kind
        req = conn.execute(_REQUEST, {"idx": d.request, "p": d.party}).first()
        if req is None:
            raise NotFound(NO_REQUEST)
        want = kinds.SWAP if kind in (kinds.SWAP_APPROVED, kinds.SWAP_DECLINED) else kinds.TAKE
        if req.kind != want:
            raise Invalid(
                N_("request %(request)s asks to %(kind)s, not to %(want)s"),
                request=d.request,
                kind=req.kind,
                want=want,
            )
        if req.state != PENDING:
            raise Conflict(
                N_("request %(request)s was %(state)s already"), request=d.request, state=req.state
            )
        approve = kind in (kinds.SWAP_APPROVED, kinds.TAKE_APPROVED)
        if approve and want == kinds.SWAP:
            self._approve_swap(conn, entry, req, charter)
        elif approve:
            self._approve_take(conn, entry, req, charter)
        conn.execute(
            update(duty_requests)
            .where(duty_requests.c.idx == d.request)
            .values(
                state=APPROVED if approve else DECLINED,
                decided_idx=entry.index,
                decided_by=entry.statement.author.member,
                decided_at=entry.time,
            )
        )

    def _approve_swap(self, conn: Connection, entry: Entry, req: Any, charter: Charter) -> None:
        s = kinds.SwapRequest(req.party, req.shift, req.with_member, req.with_shift)
        mine, theirs = self._check_swap(conn, req.party, req.member, s, entry.time, charter)
        moves = [(mine.id, s.with_member)]
        if theirs is not None:  # the asker takes theirs in exchange: still able to hold it
            check_member(conn, req.member, req.party, charter)
            moves.append((theirs.id, req.member))
        for sid, member in moves:
            conn.execute(
                update(duty_shifts)
                .where(duty_shifts.c.id == sid)
                .values(member=member, changed_idx=entry.index)
            )

    def _approve_take(self, conn: Connection, entry: Entry, req: Any, charter: Charter) -> None:
        taker = req.member
        check_member(conn, taker, req.party, charter)
        now = entry.time
        cur = shift_at(conn, req.party, now)
        if req.until is not None:
            self._check_until(req.until, now)
            until = req.until
        elif cur is None:
            raise Conflict(
                N_(
                    "no shift covers now and the request named no end: publish a roster"
                    " instead, or decline"
                )
            )
        else:
            until = cur.end
        if cur is not None and cur.member == taker and until <= cur.end:
            raise Conflict(N_("%(member)s holds the duty already"), member=taker)
        replace_shifts(conn, req.party, now, until, [kinds.Shift(taker, now, until)], entry.index)

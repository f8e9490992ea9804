"""Disputes' projector: checks each `dispute.*` entry against the log's state and updates
the tables, inside the append's transaction.

A refusal (a DomainError) rolls the append back and reaches the author as a 4xx. Who may
do what, decided here once:

- a dispute is raised by a head of delegation or a liaison officer of a party that is not
  the supervising one (the supervisor mediates), naming its parties: itself, the
  supervisor, and at least one counterparty. It cites log entries its party may read
  (the ledger's own rule; one hidden from it is refused as missing) and/or an
  understanding of the charter;
- every party of it but the raising one and the supervisor answers, within the charter's
  `clocks.dispute_answer`, on the deadline engine; either side states more later;
- the supervisor (role supervisor of the supervising party) opens mediation, records
  facts and findings, proposes resolutions (the newest supersedes the others) and records
  the dispute resolved once every other party has accepted the current proposal;
- a proposal is accepted or rejected by a party's head of delegation only: it commits the
  party, which a liaison officer's word does not;
- the raising party withdraws; the supervisor or either party refers it upward.

Because it reads only earlier entries, `rebuild` gives exactly the same tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from fusioncell.authz import Role
from fusioncell.charter.schema import Charter
from fusioncell.clock import parse_rfc3339
from fusioncell.deadlines.api import CANCELLED, MET, close_deadline, escalation_plan, open_deadline
from fusioncell.disputes import kinds
from fusioncell.disputes.tables import (
    dispute_cites,
    dispute_findings,
    dispute_proposals,
    dispute_responses,
    dispute_stages,
    dispute_statements,
    disputes,
)
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.ledger.canonical import loads_canonical
from fusioncell.ledger.entry import Entry
from fusioncell.ledger.tables import log_bodies, log_entries, log_members
from fusioncell.ledger.trust import Genesis
from fusioncell.messaging.projector import column, split
from fusioncell.projector import CharterProjector

ANSWER_CLOCK = "dispute.answer"  # a party owes its answer to a dispute
URGENCY = "IMMEDIATE"  # a missed answer goes to the party's head of delegation at once
SPEAK_ROLES = frozenset({Role.HEAD_OF_DELEGATION.value, Role.LIAISON_OFFICER.value})
COMMIT_ROLES = frozenset({Role.HEAD_OF_DELEGATION.value})
NO_DISPUTE = N_("no such dispute")
NO_ENTRY = N_("no such entry %(index)s")  # hidden and missing alike

_DISPUTE = select(disputes).where(disputes.c.id == bindparam("did"))
_ROLE = select(log_members.c.role).where(log_members.c.member == bindparam("m"))
_ANSWERS = select(dispute_statements.c.party).where(
    dispute_statements.c.dispute == bindparam("did"), dispute_statements.c.kind == "answer"
)
_RESPONSES = (
    select(dispute_responses.c.party, dispute_responses.c.accepted)
    .where(
        dispute_responses.c.dispute == bindparam("did"),
        dispute_responses.c.proposal == bindparam("pidx"),
    )
    .order_by(dispute_responses.c.idx)
)


def answer_key(dispute: str, party: str) -> str:
    return f"dispute:{dispute}:{party}"


def supervisor_code(charter: Charter) -> str | None:
    sup = charter.supervisor
    return sup.code if sup is not None else None


def answering(charter: Charter, parties: list[str], raiser: str) -> list[str]:
    """Who owes an answer: every party of the dispute but the raising one and the
    supervisor."""
    sup = supervisor_code(charter)
    return [p for p in parties if p not in (raiser, sup)]


def sides(charter: Charter, parties: list[str]) -> list[str]:
    """The parties that speak for themselves and accept a resolution: all but the
    supervisor."""
    sup = supervisor_code(charter)
    return [p for p in parties if p != sup]


def responses(conn: Connection, dispute: str, proposal: int) -> dict[str, bool]:
    """Each party's latest answer to `proposal`: True accepted, False rejected."""
    return {
        r.party: bool(r.accepted)
        for r in conn.execute(_RESPONSES, {"did": dispute, "pidx": proposal})
    }


class DisputesProjector(CharterProjector):
    def __init__(self) -> None:
        super().__init__()
        self._genesis: Genesis | None = None

    def genesis(self, conn: Connection) -> Genesis:
        """The log's own visibility rule (Genesis.may_read, as Ledger.may_read uses)."""
        if self._genesis is None:
            raw = conn.execute(select(log_bodies.c.body).where(log_bodies.c.idx == 0)).scalar()
            if raw is None:
                raise Invalid("the log has no charter yet")
            self._genesis = Genesis.from_body(loads_canonical(bytes(raw)))
        return self._genesis

    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind not in kinds.KINDS:
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)
        if kinds.dispute_of_subject(entry.statement.subject) != parsed.dispute:
            raise Invalid(N_("subject must be d/<dispute> of the dispute in the body"))
        if kind == kinds.RAISED:
            self._raise(conn, entry, parsed, charter)
            return
        row = self._dispute(conn, entry, parsed.dispute)
        if row.stage in kinds.FINAL:
            raise Conflict(
                N_("this dispute is %(stage)s: it takes no more steps"),
                stage=row.stage.replace("_", " "),
            )
        role = conn.execute(_ROLE, {"m": entry.statement.author.member}).scalar()
        handlers: dict[str, Callable[..., None]] = {
            kinds.ANSWERED: self._answer,
            kinds.STATEMENT: self._statement,
            kinds.MEDIATION: self._mediation,
            kinds.FINDING: self._finding,
            kinds.PROPOSED: self._propose,
            kinds.ACCEPTED: self._respond,
            kinds.REJECTED: self._respond,
            kinds.RESOLVED: self._resolve,
            kinds.WITHDRAWN: self._withdraw,
            kinds.REFERRED: self._refer,
        }
        handlers[kind](conn, entry, parsed, row, charter, str(role))
        conn.execute(
            update(disputes)
            .where(disputes.c.id == parsed.dispute)
            .values(last_idx=entry.index, last_at=entry.time)
        )

    # ---- the dispute -------------------------------------------------------------------

    @staticmethod
    def _dispute(conn: Connection, entry: Entry, dispute: str) -> Any:
        st = entry.statement
        row = conn.execute(_DISPUTE, {"did": dispute}).first()
        # Hidden and missing disputes get the same answer. The supervisor is a party of
        # every dispute, so nobody outside one may see it.
        if row is None or st.author.party not in split(row.parties):
            raise NotFound(NO_DISPUTE)
        if list(st.visibility) != split(row.parties):
            raise Invalid(N_("visibility must be exactly the dispute's parties"))
        return row

    def _raise(self, conn: Connection, entry: Entry, r: kinds.Raised, charter: Charter) -> None:
        st = entry.statement
        party = st.author.party
        if list(st.visibility) != list(r.parties):
            raise Invalid(N_("visibility must be exactly the dispute's parties"))
        if party not in r.parties:
            raise Invalid(N_("a dispute is raised by one of its parties"))
        if party == supervisor_code(charter):
            raise Forbidden(N_("the supervisor mediates disputes; it does not raise them"))
        others = answering(charter, list(r.parties), party)
        if not others:
            raise Invalid(N_("a dispute names the other party it is raised with"))
        role = conn.execute(_ROLE, {"m": st.author.member}).scalar()
        if role not in SPEAK_ROLES:
            raise Forbidden(N_("a dispute is raised by a head of delegation or a liaison officer"))
        if conn.execute(_DISPUTE, {"did": r.dispute}).first():
            raise Conflict(N_("a dispute with this id exists already"))
        genesis = self.genesis(conn)
        for idx in r.cites:
            vis = conn.execute(
                select(log_entries.c.visibility).where(log_entries.c.idx == idx)
            ).scalar()
            if vis is None or not genesis.may_read(party, tuple(split(vis))):
                raise NotFound(NO_ENTRY, index=idx)
        conn.execute(
            insert(disputes).values(
                id=r.dispute,
                parties=column(r.parties),
                party=party,
                member=st.author.member,
                raised_idx=entry.index,
                raised_at=entry.time,
                title=r.title,
                account=r.account,
                request=r.request,
                lang=r.lang,
                understanding=r.understanding,
                stage=kinds.ST_RAISED,
                stage_at=entry.time,
                proposal_idx=None,
                last_idx=entry.index,
                last_at=entry.time,
            )
        )
        if r.cites:
            conn.execute(insert(dispute_cites), [{"dispute": r.dispute, "idx": i} for i in r.cites])
        self._stage_row(conn, entry, r.dispute, None, kinds.ST_RAISED)
        level = charter.urgency(URGENCY)
        due = parse_rfc3339(entry.time) + timedelta(
            seconds=charter.clocks.dispute_answer.total_seconds()
        )
        for p in others:
            open_deadline(
                conn,
                key=answer_key(r.dispute, p),
                kind=ANSWER_CLOCK,
                subject=st.subject,
                refs={"dispute": r.dispute, "urgency": level.level.value},
                party=p,
                visibility=list(r.parties),
                due=due,
                plan=escalation_plan(charter, level, p, due),
                idx=entry.index,
            )

    @staticmethod
    def _stage_row(
        conn: Connection,
        entry: Entry,
        dispute: str,
        from_stage: str | None,
        stage: str,
        *,
        to: str | None = None,
        text: str | None = None,
        lang: str | None = None,
    ) -> None:
        st = entry.statement
        conn.execute(
            insert(dispute_stages).values(
                idx=entry.index,
                dispute=dispute,
                from_stage=from_stage,
                stage=stage,
                party=st.author.party,
                member=st.author.member,
                referred_to=to,
                text=text,
                lang=lang,
                time=entry.time,
            )
        )
        if from_stage is not None:
            conn.execute(
                update(disputes)
                .where(disputes.c.id == dispute)
                .values(stage=stage, stage_at=entry.time)
            )

    @staticmethod
    def _cancel_clocks(conn: Connection, row: Any, charter: Charter, idx: int) -> None:
        for p in answering(charter, split(row.parties), row.party):
            close_deadline(conn, answer_key(row.id, p), CANCELLED, idx)

    @staticmethod
    def _mediator(entry: Entry, charter: Charter, role: str) -> None:
        if entry.statement.author.party != supervisor_code(charter) or role != Role.SUPERVISOR:
            raise Forbidden(N_("only the supervisor mediates a dispute"))

    @staticmethod
    def _in_mediation(row: Any) -> None:
        if row.stage != kinds.ST_MEDIATION:
            raise Conflict(N_("this is done in mediation: the supervisor opens it first"))

    # ---- the parties' words ---------------------------------------------------------------

    @staticmethod
    def _said(conn: Connection, entry: Entry, s: kinds.Said, what: str) -> None:
        st = entry.statement
        conn.execute(
            insert(dispute_statements).values(
                idx=entry.index,
                dispute=s.dispute,
                kind=what,
                party=st.author.party,
                member=st.author.member,
                text=s.text,
                lang=s.lang,
                time=entry.time,
            )
        )

    def _answer(
        self, conn: Connection, entry: Entry, s: kinds.Said, row: Any, charter: Charter, role: str
    ) -> None:
        party = entry.statement.author.party
        owing = answering(charter, split(row.parties), row.party)
        if party == row.party:
            raise Forbidden(N_("the raising party does not answer its own dispute"))
        if party not in owing:
            raise Forbidden(N_("the supervisor mediates; the other party answers"))
        if role not in SPEAK_ROLES:
            raise Forbidden(N_("a head of delegation or a liaison officer answers a dispute"))
        answered = set(conn.execute(_ANSWERS, {"did": s.dispute}).scalars())
        if party in answered:
            raise Conflict(N_("your party has answered this dispute already"))
        self._said(conn, entry, s, "answer")
        close_deadline(conn, answer_key(s.dispute, party), MET, entry.index)
        if row.stage == kinds.ST_RAISED and set(owing) <= answered | {party}:
            self._stage_row(conn, entry, s.dispute, row.stage, kinds.ST_ANSWERED)

    def _statement(
        self, conn: Connection, entry: Entry, s: kinds.Said, row: Any, charter: Charter, role: str
    ) -> None:
        party = entry.statement.author.party
        if party not in sides(charter, split(row.parties)):
            raise Forbidden(N_("the supervisor records findings, not statements"))
        if role not in SPEAK_ROLES:
            raise Forbidden(N_("a head of delegation or a liaison officer speaks in a dispute"))
        if party != row.party and party not in set(
            conn.execute(_ANSWERS, {"did": s.dispute}).scalars()
        ):
            raise Conflict(N_("your party answers the dispute before stating more"))
        self._said(conn, entry, s, "statement")

    # ---- mediation ------------------------------------------------------------------------

    def _mediation(
        self, conn: Connection, entry: Entry, n: kinds.Noted, row: Any, charter: Charter, role: str
    ) -> None:
        self._mediator(entry, charter, role)
        if row.stage == kinds.ST_MEDIATION:
            raise Conflict(N_("mediation is open already"))
        self._stage_row(
            conn, entry, n.dispute, row.stage, kinds.ST_MEDIATION, text=n.text, lang=n.lang
        )

    def _finding(
        self,
        conn: Connection,
        entry: Entry,
        f: kinds.Finding,
        row: Any,
        charter: Charter,
        role: str,
    ) -> None:
        self._mediator(entry, charter, role)
        self._in_mediation(row)
        conn.execute(
            insert(dispute_findings).values(
                idx=entry.index,
                dispute=f.dispute,
                finding=f.finding,
                member=entry.statement.author.member,
                text=f.text,
                lang=f.lang,
                time=entry.time,
            )
        )

    def _propose(
        self, conn: Connection, entry: Entry, s: kinds.Said, row: Any, charter: Charter, role: str
    ) -> None:
        self._mediator(entry, charter, role)
        self._in_mediation(row)
        conn.execute(
            insert(dispute_proposals).values(
                idx=entry.index,
                dispute=s.dispute,
                member=entry.statement.author.member,
                text=s.text,
                lang=s.lang,
                time=entry.time,
            )
        )
        conn.execute(
            update(disputes).where(disputes.c.id == s.dispute).values(proposal_idx=entry.index)
        )

    @staticmethod
    def _current(row: Any, proposal: int) -> None:
        if row.proposal_idx is None:
            raise Conflict(N_("no resolution has been proposed in this dispute"))
        if proposal != row.proposal_idx:
            raise Conflict(
                N_("proposal %(proposal)s is not the current one (%(current)s): it was superseded"),
                proposal=proposal,
                current=int(row.proposal_idx),
            )

    def _respond(
        self,
        conn: Connection,
        entry: Entry,
        r: kinds.Response,
        row: Any,
        charter: Charter,
        role: str,
    ) -> None:
        party = entry.statement.author.party
        if party not in sides(charter, split(row.parties)):
            raise Forbidden(N_("the parties of the dispute accept or reject its resolution"))
        if role not in COMMIT_ROLES:
            raise Forbidden(N_("a resolution is accepted or rejected by a head of delegation"))
        self._in_mediation(row)
        self._current(row, r.proposal)
        accepted = r.reason is None
        if responses(conn, r.dispute, r.proposal).get(party) is accepted:
            raise Conflict(
                N_("your party has accepted this proposal already")
                if accepted
                else N_("your party has rejected this proposal already")
            )
        st = entry.statement
        conn.execute(
            insert(dispute_responses).values(
                idx=entry.index,
                dispute=r.dispute,
                proposal=r.proposal,
                party=party,
                member=st.author.member,
                accepted=accepted,
                reason=r.reason,
                lang=r.lang,
                time=entry.time,
            )
        )

    def _resolve(
        self,
        conn: Connection,
        entry: Entry,
        r: kinds.Resolved,
        row: Any,
        charter: Charter,
        role: str,
    ) -> None:
        self._mediator(entry, charter, role)
        self._in_mediation(row)
        self._current(row, r.proposal)
        said = responses(conn, r.dispute, r.proposal)
        missing = [p for p in sides(charter, split(row.parties)) if said.get(p) is not True]
        if missing:
            raise Conflict(
                N_(
                    "a dispute is resolved only when every party has accepted the current"
                    " proposal: %(parties)s has not"
                ),
                parties=", ".join(missing),
            )
        self._stage_row(
            conn, entry, r.dispute, row.stage, kinds.ST_RESOLVED, text=r.text, lang=r.lang
        )
        self._cancel_clocks(conn, row, charter, entry.index)

    def _withdraw(
        self, conn: Connection, entry: Entry, n: kinds.Noted, row: Any, charter: Charter, role: str
    ) -> None:
        if entry.statement.author.party != row.party:
            raise Forbidden(N_("only the raising party withdraws a dispute"))
        if role not in SPEAK_ROLES:
            raise Forbidden(N_("a head of delegation or a liaison officer withdraws a dispute"))
        self._stage_row(
            conn, entry, n.dispute, row.stage, kinds.ST_WITHDRAWN, text=n.text, lang=n.lang
        )
        self._cancel_clocks(conn, row, charter, entry.index)

    def _refer(
        self,
        conn: Connection,
        entry: Entry,
        r: kinds.Referred,
        row: Any,
        charter: Charter,
        role: str,
    ) -> None:
        party = entry.statement.author.party
        if party == supervisor_code(charter):
            self._mediator(entry, charter, role)
        elif role not in SPEAK_ROLES:
            raise Forbidden(N_("a head of delegation or a liaison officer refers a dispute"))
        self._stage_row(
            conn,
            entry,
            r.dispute,
            row.stage,
            kinds.ST_REFERRED,
            to=r.to,
            text=r.reason,
            lang=r.lang,
        )
        self._cancel_clocks(conn, row, charter, entry.index)

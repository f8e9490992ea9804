"""Commercial opportunities' projector: checks each `commerce.*` entry against the log's
state and updates the tables, inside the append's transaction.

A refusal (a DomainError) rolls the append back and reaches the author as a 4xx. Who may
do what, decided here once:

- a proposal is submitted by a member of one of its parties, which chooses the parties
  (the supervisor always, where the charter says so); only the proposing party revises it,
  and a revision is a new version, never an overwrite;
- its counterparties (the others, less the supervisor where it only oversees: the same
  rule as the cell's acknowledgements) are asked for their interest, with a clock of
  `clocks.clarification_answer`; any party of the proposal but the proposer may state it;
- a stage is moved by a head of delegation or a liaison officer of the proposer or a
  counterparty, one step forward at a time (or to declined, with a reason); agreeing in
  principle needs every counterparty's latest interest to be "interested".

Because it reads only earlier entries, `rebuild` gives exactly the same tables.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from fusioncell.authz import Role
from fusioncell.authz.visibility import names
from fusioncell.charter.schema import Charter
from fusioncell.clock import parse_rfc3339
from fusioncell.commerce import kinds
from fusioncell.commerce.tables import (
    commerce_documents,
    commerce_interest,
    commerce_proposals,
    commerce_stages,
    commerce_versions,
)
from fusioncell.deadlines.api import CANCELLED, MET, close_deadline, escalation_plan, open_deadline
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.ledger.entry import Entry
from fusioncell.ledger.tables import log_members
from fusioncell.messaging.attachments import check_attachment
from fusioncell.messaging.kinds import Attachment
from fusioncell.messaging.projector import addressed, column, split
from fusioncell.projector import CharterProjector

INTEREST_CLOCK = "commerce.interest"  # a counterparty owes its interest in a proposal
STAGE_ROLES = frozenset({Role.HEAD_OF_DELEGATION.value, Role.LIAISON_OFFICER.value})
NO_PROPOSAL = N_("no such proposal")

_PROPOSAL = select(commerce_proposals).where(commerce_proposals.c.id == bindparam("pid"))
_ROLE = select(log_members.c.role).where(log_members.c.member == bindparam("m"))
_LATEST_INTEREST = (
    select(commerce_interest.c.party, commerce_interest.c.level)
    .where(commerce_interest.c.proposal == bindparam("pid"))
    .order_by(commerce_interest.c.idx)
)


def interest_key(proposal: str, party: str) -> str:
    return f"commerce:{proposal}:{party}"


def counterparties(charter: Charter, parties: list[str], proposer: str) -> list[str]:
    """The parties asked for their interest: the others, less an overseeing supervisor."""
    return addressed(charter, parties, proposer)


def latest_interest(conn: Connection, proposal: str) -> dict[str, str]:
    """Each party's latest stated level of interest."""
    return {r.party: r.level for r in conn.execute(_LATEST_INTEREST, {"pid": proposal})}


def _in_a_proposal(conn: Connection, sha256: str, party: str) -> bool:
    found = conn.execute(
        select(commerce_documents.c.proposal)
        .join(commerce_proposals, commerce_proposals.c.id == commerce_documents.c.proposal)
        .where(commerce_documents.c.sha256 == sha256, names(commerce_proposals.c.parties, party))
        .limit(1)
    ).first()
    return found is not None


class CommerceProjector(CharterProjector):
    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind not in kinds.KINDS:
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)
        if kinds.proposal_of_subject(entry.statement.subject) != parsed.proposal:
            raise Invalid(N_("subject must be c/<proposal> of the proposal in the body"))
        if kind == kinds.SUBMITTED:
            self._submit(conn, entry, parsed, charter)
            return
        row = self._proposal(conn, entry, parsed.proposal, charter)
        if row.stage in kinds.FINAL:
            raise Conflict(
                N_("this proposal is %(stage)s: it no longer changes"),
                stage=row.stage.replace("_", " "),
            )
        if kind == kinds.REVISED:
            self._revise(conn, entry, parsed, row, charter)
        elif kind == kinds.INTEREST:
            self._interest(conn, entry, parsed, row, charter)
        else:
            self._stage(conn, entry, parsed, row, charter)
        conn.execute(
            update(commerce_proposals)
            .where(commerce_proposals.c.id == parsed.proposal)
            .values(last_idx=entry.index, last_at=entry.time)
        )

    # ---- the proposal ------------------------------------------------------------------

    @staticmethod
    def _proposal(conn: Connection, entry: Entry, proposal: str, charter: Charter) -> Any:
        st = entry.statement
        row = conn.execute(_PROPOSAL, {"pid": proposal}).first()
        if row is None:
            raise NotFound(NO_PROPOSAL)
        parties = split(row.parties)
        if st.author.party not in parties:
            sees = any(p.code == st.author.party and p.sees_all for p in charter.parties)
            # Hidden and missing proposals get the same answer.
            if not sees:
                raise NotFound(NO_PROPOSAL)
            raise Forbidden(N_("your party is not one of this proposal's parties"))
        if list(st.visibility) != parties:
            raise Invalid(N_("visibility must be exactly the proposal's parties"))
        return row

    def _submit(self, conn: Connection, entry: Entry, s: kinds.Submitted, charter: Charter) -> None:
        st = entry.statement
        if list(st.visibility) != list(s.parties):
            raise Invalid(N_("visibility must be exactly the proposal's parties"))
        if st.author.party not in s.parties:
            raise Invalid(N_("a proposal is submitted by one of its parties"))
        if conn.execute(_PROPOSAL, {"pid": s.proposal}).first():
            raise Conflict(N_("a proposal with this id exists already"))
        self._check_documents(conn, s.content.documents, st.author.party)
        c = s.content
        conn.execute(
            insert(commerce_proposals).values(
                id=s.proposal,
                parties=column(s.parties),
                party=st.author.party,
                member=st.author.member,
                submitted_idx=entry.index,
                submitted_at=entry.time,
                version=1,
                stage=kinds.PROPOSED,
                stage_at=entry.time,
                last_idx=entry.index,
                last_at=entry.time,
                **self._content_row(c),
            )
        )
        self._version(conn, entry, s.proposal, c)
        level = charter.urgency("ROUTINE")
        due = parse_rfc3339(entry.time) + timedelta(
            seconds=charter.clocks.clarification_answer.total_seconds()
        )
        for p in counterparties(charter, list(s.parties), st.author.party):
            open_deadline(
                conn,
                key=interest_key(s.proposal, p),
                kind=INTEREST_CLOCK,
                subject=st.subject,
                refs={"proposal": s.proposal, "urgency": level.level.value},
                party=p,
                visibility=list(s.parties),
                due=due,
                plan=escalation_plan(charter, level, p, due),
                idx=entry.index,
            )

    def _revise(
        self, conn: Connection, entry: Entry, r: kinds.Revised, row: Any, charter: Charter
    ) -> None:
        st = entry.statement
        if st.author.party != row.party:
            raise Forbidden(N_("only the proposing party revises a proposal"))
        if kinds.Content(**self._current(row)) == r.content:
            raise Invalid(N_("the revision changes nothing"))
        self._check_documents(conn, r.content.documents, st.author.party)
        conn.execute(
            update(commerce_proposals)
            .where(commerce_proposals.c.id == r.proposal)
            .values(version=commerce_proposals.c.version + 1, **self._content_row(r.content))
        )
        self._version(conn, entry, r.proposal, r.content)

    @staticmethod
    def _content_row(c: kinds.Content) -> dict[str, Any]:
        return {
            "sector": c.sector,
            "title": c.title,
            "description": c.description,
            "lang": c.lang,
            "partners": json.dumps(list(c.partners), ensure_ascii=False),
            "amount": c.value.amount if c.value else None,
            "currency": c.value.currency if c.value else None,
            "documents": json.dumps([d.to_json() for d in c.documents], ensure_ascii=False),
            "understanding": c.understanding,
        }

    @staticmethod
    def _current(row: Any) -> dict[str, Any]:
        return {
            "sector": row.sector,
            "title": row.title,
            "description": row.description,
            "lang": row.lang,
            "partners": tuple(json.loads(row.partners)),
            "value": kinds.Value(int(row.amount), row.currency) if row.currency else None,
            "documents": tuple(Attachment(**d) for d in json.loads(row.documents)),
            "understanding": row.understanding,
        }

    @staticmethod
    def _version(conn: Connection, entry: Entry, proposal: str, c: kinds.Content) -> None:
        conn.execute(
            insert(commerce_versions).values(
                idx=entry.index,
                proposal=proposal,
                member=entry.statement.author.member,
                content=json.dumps(c.to_json(), ensure_ascii=False),
                time=entry.time,
            )
        )
        for d in c.documents:
            known = conn.execute(
                select(commerce_documents.c.sha256).where(
                    commerce_documents.c.proposal == proposal,
                    commerce_documents.c.sha256 == d.sha256,
                )
            ).first()
            if known is None:
                conn.execute(insert(commerce_documents).values(proposal=proposal, sha256=d.sha256))

    @staticmethod
    def _check_documents(conn: Connection, docs: tuple[Attachment, ...], party: str) -> None:
        """As the cell's attachments, a document already in a proposal of the party counts
        as the party's to share."""
        for a in docs:
            check_attachment(conn, a, party, _in_a_proposal)

    # ---- interest and stages -------------------------------------------------------------

    @staticmethod
    def _interest(
        conn: Connection, entry: Entry, i: kinds.Interest, row: Any, charter: Charter
    ) -> None:
        st = entry.statement
        if st.author.party == row.party:
            raise Forbidden(N_("interest is stated by the other parties, not the proposer"))
        conn.execute(
            insert(commerce_interest).values(
                idx=entry.index,
                proposal=i.proposal,
                party=st.author.party,
                member=st.author.member,
                level=i.level,
                text=i.text,
                lang=i.lang,
                time=entry.time,
            )
        )
        close_deadline(conn, interest_key(i.proposal, st.author.party), MET, entry.index)

    @staticmethod
    def _stage(conn: Connection, entry: Entry, s: kinds.Stage, row: Any, charter: Charter) -> None:
        st = entry.statement
        parties = split(row.parties)
        others = counterparties(charter, parties, row.party)
        if st.author.party not in [row.party, *others]:
            raise Forbidden(N_("only the proposer and its counterparties move a proposal's stage"))
        role = conn.execute(_ROLE, {"m": st.author.member}).scalar()
        if role not in STAGE_ROLES:
            raise Forbidden(N_("a stage is moved by a head of delegation or a liaison officer"))
        if s.stage != kinds.DECLINED and kinds.NEXT.get(row.stage) != s.stage:
            raise Conflict(
                N_("a proposal %(from)s moves next to %(next)s, not to %(to)s"),
                **{
                    "from": row.stage.replace("_", " "),
                    "next": kinds.NEXT[row.stage].replace("_", " "),
                    "to": s.stage.replace("_", " "),
                },
            )
        if s.stage == kinds.AGREED:
            levels = latest_interest(conn, s.proposal)
            missing = [p for p in others if levels.get(p) != kinds.INTERESTED]
            if missing:
                raise Conflict(
                    N_("agreeing in principle needs %(parties)s to have stated interest"),
                    parties=", ".join(missing),
                )
        conn.execute(
            insert(commerce_stages).values(
                idx=entry.index,
                proposal=s.proposal,
                party=st.author.party,
                member=st.author.member,
                from_stage=row.stage,
                stage=s.stage,
                text=s.text,
                lang=s.lang,
                time=entry.time,
            )
        )
        conn.execute(
            update(commerce_proposals)
            .where(commerce_proposals.c.id == s.proposal)
            .values(stage=s.stage, stage_at=entry.time)
        )
        if s.stage == kinds.DECLINED:  # nobody owes interest in a declined proposal
            for p in others:
                close_deadline(conn, interest_key(s.proposal, p), CANCELLED, entry.index)

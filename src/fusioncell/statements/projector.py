"""Joint statements' projector: checks each `statement.*` entry against the log's state
and updates the tables, inside the append's transaction.

A refusal (a DomainError) rolls the append back and reaches the author as a 4xx. Who may
do what, decided here once:

- a statement is created, and a new version proposed, by a head of delegation or a
  liaison officer of one of its parties; a version names the current one as its base
  (else 409: no update is lost) and never overwrites it;
- any member of a party of it comments on a passage of any version, quoting it exactly;
- only a party's head of delegation approves, and only the current version, with the hash
  of exactly its texts (else 409); a version lacking a language of the cell cannot be
  approved; a new version leaves the earlier approvals behind (they were of that version);
- when every party's head of delegation has approved the current version, the statement
  is adopted by that last approval: frozen, nothing more is written to it (409).

Because it reads only earlier entries, `rebuild` gives exactly the same tables.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from fusioncell.authz import Role
from fusioncell.charter.schema import Charter
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.ledger.entry import Entry
from fusioncell.ledger.tables import log_members
from fusioncell.messaging.projector import column, split
from fusioncell.projector import CharterProjector
from fusioncell.statements import kinds
from fusioncell.statements.tables import (
    statements,
    statements_approvals,
    statements_comments,
    statements_versions,
)

DRAFT_ROLES = frozenset({Role.HEAD_OF_DELEGATION.value, Role.LIAISON_OFFICER.value})
APPROVE_ROLE = Role.HEAD_OF_DELEGATION.value
NO_STATEMENT = N_("no such statement")

_STATEMENT = select(statements).where(statements.c.id == bindparam("sid"))
_ROLE = select(log_members.c.role).where(log_members.c.member == bindparam("m"))
_VERSION = select(statements_versions).where(
    statements_versions.c.statement == bindparam("sid"),
    statements_versions.c.number == bindparam("n"),
)
_APPROVERS = select(statements_approvals.c.party).where(
    statements_approvals.c.statement == bindparam("sid"),
    statements_approvals.c.version == bindparam("n"),
)


def approved_parties(conn: Connection, statement: str, version: int) -> set[str]:
    """The parties whose head of delegation approved this version."""
    return set(conn.execute(_APPROVERS, {"sid": statement, "n": version}).scalars())


def missing_languages(charter: Charter, texts: dict[str, str]) -> list[str]:
    return [lang for lang in charter.languages if lang not in texts]


class StatementsProjector(CharterProjector):
    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind not in kinds.KINDS:
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)
        if kinds.statement_of_subject(entry.statement.subject) != parsed.statement:
            raise Invalid(N_("subject must be s/<statement> of the statement in the body"))
        if kind == kinds.CREATED:
            self._create(conn, entry, parsed)
            return
        row = self._statement(conn, entry, parsed.statement, charter)
        if row.state == kinds.ADOPTED:
            raise Conflict(N_("this statement is adopted: it no longer changes"))
        values: dict[str, Any] = {"last_idx": entry.index, "last_at": entry.time}
        if kind == kinds.VERSION:
            self._propose(conn, entry, parsed, row)
            values["version"] = parsed.base + 1
        elif kind == kinds.COMMENT:
            self._comment(conn, entry, parsed)
        elif self._approve(conn, entry, parsed, row, charter):
            values.update(state=kinds.ADOPTED, adopted_idx=entry.index, adopted_at=entry.time)
        conn.execute(update(statements).where(statements.c.id == parsed.statement).values(values))

    # ---- the statement and its versions -------------------------------------------------

    @staticmethod
    def _statement(conn: Connection, entry: Entry, statement: str, charter: Charter) -> Any:
        st = entry.statement
        row = conn.execute(_STATEMENT, {"sid": statement}).first()
        if row is None:
            raise NotFound(NO_STATEMENT)
        parties = split(row.parties)
        if st.author.party not in parties:
            sees = any(p.code == st.author.party and p.sees_all for p in charter.parties)
            # Hidden and missing statements get the same answer.
            if not sees:
                raise NotFound(NO_STATEMENT)
            raise Forbidden(N_("your party is not one of this statement's parties"))
        if list(st.visibility) != parties:
            raise Invalid(N_("visibility must be exactly the statement's parties"))
        return row

    @staticmethod
    def _drafter(conn: Connection, entry: Entry) -> None:
        role = conn.execute(_ROLE, {"m": entry.statement.author.member}).scalar()
        if role not in DRAFT_ROLES:
            raise Forbidden(
                N_("a statement is drafted by a head of delegation or a liaison officer")
            )

    def _create(self, conn: Connection, entry: Entry, c: kinds.Created) -> None:
        st = entry.statement
        if list(st.visibility) != list(c.parties):
            raise Invalid(N_("visibility must be exactly the statement's parties"))
        if st.author.party not in c.parties:
            raise Invalid(N_("a statement is drafted by one of its parties"))
        self._drafter(conn, entry)
        if conn.execute(_STATEMENT, {"sid": c.statement}).first():
            raise Conflict(N_("a statement with this id exists already"))
        conn.execute(
            insert(statements).values(
                id=c.statement,
                parties=column(c.parties),
                party=st.author.party,
                member=st.author.member,
                round=c.round,
                title=c.title,
                lang=c.lang,
                created_idx=entry.index,
                created_at=entry.time,
                version=1,
                state=kinds.DRAFT,
                adopted_idx=None,
                adopted_at=None,
                last_idx=entry.index,
                last_at=entry.time,
            )
        )
        self._version(conn, entry, c.statement, 1, c.texts)

    def _propose(self, conn: Connection, entry: Entry, v: kinds.Version, row: Any) -> None:
        self._drafter(conn, entry)
        if v.base != row.version:
            raise Conflict(
                N_("version %(base)s is not the current one (%(current)s): read it, propose again"),
                base=v.base,
                current=row.version,
            )
        current = conn.execute(_VERSION, {"sid": v.statement, "n": row.version}).one()
        if json.loads(current.texts) == v.texts:
            raise Invalid(N_("the new version changes nothing"))
        self._version(conn, entry, v.statement, v.base + 1, v.texts)

    @staticmethod
    def _version(
        conn: Connection, entry: Entry, statement: str, number: int, texts: dict[str, str]
    ) -> None:
        conn.execute(
            insert(statements_versions).values(
                idx=entry.index,
                statement=statement,
                number=number,
                party=entry.statement.author.party,
                member=entry.statement.author.member,
                texts=json.dumps(texts, ensure_ascii=False, sort_keys=True),
                sha256=kinds.texts_hash(texts),
                time=entry.time,
            )
        )

    # ---- comments and approvals ---------------------------------------------------------

    @staticmethod
    def _comment(conn: Connection, entry: Entry, c: kinds.Comment) -> None:
        version = conn.execute(_VERSION, {"sid": c.statement, "n": c.version}).first()
        if version is None:
            raise NotFound(N_("this statement has no version %(n)s"), n=c.version)
        p = c.passage
        text = json.loads(version.texts).get(p.lang)
        if text is None:
            raise Invalid(N_("version %(n)s has no %(lang)s text"), n=c.version, lang=p.lang)
        if p.end > len(text) or text[p.start : p.end] != p.quote:
            raise Invalid(N_("the quote is not the text at those offsets of that version"))
        st = entry.statement
        conn.execute(
            insert(statements_comments).values(
                idx=entry.index,
                statement=c.statement,
                version=c.version,
                party=st.author.party,
                member=st.author.member,
                passage_lang=p.lang,
                start=p.start,
                end=p.end,
                quote=p.quote,
                text=c.text,
                lang=c.lang,
                time=entry.time,
            )
        )

    @staticmethod
    def _approve(
        conn: Connection, entry: Entry, a: kinds.Approval, row: Any, charter: Charter
    ) -> bool:
        """Record the approval; True when it is the last one needed (the statement is
        adopted)."""
        st = entry.statement
        role = conn.execute(_ROLE, {"m": st.author.member}).scalar()
        if role != APPROVE_ROLE:
            raise Forbidden(N_("only a party's head of delegation approves a statement"))
        if a.version != row.version:
            raise Conflict(
                N_("version %(n)s is not the current one (%(current)s): approve what is current"),
                n=a.version,
                current=row.version,
            )
        version = conn.execute(_VERSION, {"sid": a.statement, "n": a.version}).one()
        if a.sha256 != version.sha256:
            raise Conflict(N_("the hash is not that of this version's texts: read it again"))
        missing = missing_languages(charter, json.loads(version.texts))
        if missing:
            raise Conflict(
                N_("this version has no text in %(languages)s: it cannot be approved"),
                languages=", ".join(missing),
            )
        approved = approved_parties(conn, a.statement, a.version)
        if st.author.party in approved:
            raise Conflict(N_("your party has approved this version already"))
        conn.execute(
            insert(statements_approvals).values(
                idx=entry.index,
                statement=a.statement,
                version=a.version,
                party=st.author.party,
                member=st.author.member,
                sha256=a.sha256,
                time=entry.time,
            )
        )
        return set(split(row.parties)) <= approved | {st.author.party}

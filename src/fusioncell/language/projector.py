"""Translation's and the glossary's projector: checks each entry against the log's state and
updates the tables, inside the append's transaction. Who may do what, decided here once:

- a verified translation is signed by a head of delegation or a liaison officer (the
  members who speak for their party in the cell) of a party that may read the original;
  its visibility is exactly the original's; an original the translator's party cannot
  read is refused like one that does not exist (the same 404); `of_sha256` must be the
  original text's; a later one for the same text and language supersedes (both kept);
- a glossary term is proposed by a head of delegation or liaison officer of any party,
  visible to every party; the proposer's party agrees by proposing; the other parties'
  heads of delegation or liaison officers agree to that proposal (by its log index); a
  new proposal of the term resets the agreements; when every party of the cell agreed
  the same proposal, its texts are adopted.

Because it reads only earlier entries, `rebuild` gives exactly the same tables.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from fusioncell.authz import Role
from fusioncell.charter.schema import Charter
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.language import fields, kinds
from fusioncell.language.tables import (
    glossary_agreements,
    glossary_terms,
    glossary_versions,
    language_verified,
)
from fusioncell.ledger.canonical import loads_canonical
from fusioncell.ledger.entry import Entry
from fusioncell.ledger.tables import log_bodies, log_entries, log_members
from fusioncell.messaging.projector import column, split
from fusioncell.projector import CharterProjector

TRANSLATOR_ROLES = frozenset({Role.HEAD_OF_DELEGATION.value, Role.LIAISON_OFFICER.value})
GLOSSARY_ROLES = TRANSLATOR_ROLES
NO_TEXT = N_("no such entry or text")
NO_TERM = N_("no such term")
PROPOSED = "proposed"
ADOPTED = "adopted"

_ROLE = select(log_members.c.role).where(log_members.c.member == bindparam("m"))
_TERM = select(glossary_terms).where(glossary_terms.c.term == bindparam("t"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def may_read(visibility: list[str], party: str, charter: Charter) -> bool:
    """The log's one rule: the entry names the party, or the party sees everything."""
    return party in visibility or any(p.code == party and p.sees_all for p in charter.parties)


def read_original(
    conn: Connection, entry: int, field: str, party: str, charter: Charter
) -> tuple[str, str, list[str], str]:
    """(text, lang, visibility, kind) of `field` of log entry `entry`, as `party` may read
    it; a hidden entry, a missing one and one without that text are the same NotFound."""
    row = conn.execute(
        select(log_entries.c.kind, log_entries.c.visibility, log_bodies.c.body)
        .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
        .where(log_entries.c.idx == entry)
    ).first()
    if row is None:
        raise NotFound(NO_TEXT)
    visibility = split(row.visibility)
    if not may_read(visibility, party, charter):
        raise NotFound(NO_TEXT)
    found = fields.original(row.kind, field, loads_canonical(bytes(row.body)))
    if found is None:
        raise NotFound(NO_TEXT)
    text, lang = found
    return text.strip(), lang, visibility, str(row.kind)


class LanguageProjector(CharterProjector):
    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind not in kinds.KINDS:
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)
        role = conn.execute(_ROLE, {"m": entry.statement.author.member}).scalar()
        if kind == kinds.VERIFIED:
            self._verified(conn, entry, parsed, charter, role)
        elif kind == kinds.PROPOSED:
            self._proposed(conn, entry, parsed, charter, role)
        else:
            self._agreed(conn, entry, parsed, charter, role)

    # ---- verified translations -----------------------------------------------------------

    @staticmethod
    def _verified(
        conn: Connection, entry: Entry, v: kinds.Verified, charter: Charter, role: Any
    ) -> None:
        st = entry.statement
        if st.subject != kinds.translation_subject(v.entry):
            raise Invalid(N_("subject must be tr/<entry> of the entry in the body"))
        if v.entry >= entry.index:
            raise NotFound(NO_TEXT)
        text, lang, visibility, _ = read_original(conn, v.entry, v.field, st.author.party, charter)
        if role not in TRANSLATOR_ROLES:
            raise Forbidden(
                N_("a verified translation is signed by a head of delegation or a liaison officer")
            )
        if list(st.visibility) != visibility:
            raise Invalid(N_("visibility must be exactly the original entry's"))
        if v.lang == lang:
            raise Invalid(N_("a translation is into another language than the original's"))
        if v.of_sha256 != sha256_text(text):
            raise Conflict(N_("of_sha256 is not the SHA-256 of the original text"))
        conn.execute(
            insert(language_verified).values(
                idx=entry.index,
                entry=v.entry,
                field=v.field,
                lang=v.lang,
                text=v.text,
                of_sha256=v.of_sha256,
                party=st.author.party,
                member=st.author.member,
                visibility=column(visibility),
                time=entry.time,
            )
        )

    # ---- the glossary --------------------------------------------------------------------

    @staticmethod
    def _check_glossary_entry(entry: Entry, term: str, charter: Charter, role: Any) -> None:
        st = entry.statement
        if st.subject != kinds.term_subject(term):
            raise Invalid(N_("subject must be g/<term> of the term in the body"))
        if list(st.visibility) != charter.codes:
            raise Invalid(
                N_("the glossary is visible to every party: %(parties)s"),
                parties=", ".join(charter.codes),
            )
        if role not in GLOSSARY_ROLES:
            raise Forbidden(
                N_(
                    "glossary terms are proposed and agreed by a head of delegation or a"
                    " liaison officer"
                )
            )

    def _proposed(
        self, conn: Connection, entry: Entry, p: kinds.Proposed, charter: Charter, role: Any
    ) -> None:
        st = entry.statement
        self._check_glossary_entry(entry, p.term, charter, role)
        texts = json.dumps(p.texts, ensure_ascii=False, sort_keys=True)
        row = conn.execute(_TERM, {"t": p.term}).first()
        values = {
            "texts": texts,
            "note": p.note,
            "note_lang": p.note_lang,
            "version": entry.index,
            "party": st.author.party,
            "member": st.author.member,
            "proposed_at": entry.time,
            "state": PROPOSED,
        }
        if row is None:
            conn.execute(insert(glossary_terms).values(term=p.term, **values))
        else:
            if (row.texts, row.note, row.note_lang) == (texts, p.note, p.note_lang):
                raise Invalid(N_("the proposal changes nothing"))
            # A changed proposal starts its agreement over; what was adopted stays in
            # force until the new one is adopted.
            conn.execute(
                update(glossary_terms).where(glossary_terms.c.term == p.term).values(**values)
            )
        conn.execute(
            insert(glossary_versions).values(
                idx=entry.index,
                term=p.term,
                texts=texts,
                note=p.note,
                note_lang=p.note_lang,
                party=st.author.party,
                member=st.author.member,
                time=entry.time,
            )
        )
        self._agree(conn, entry, p.term, entry.index, charter)

    def _agreed(
        self, conn: Connection, entry: Entry, a: kinds.Agreed, charter: Charter, role: Any
    ) -> None:
        self._check_glossary_entry(entry, a.term, charter, role)
        row = conn.execute(_TERM, {"t": a.term}).first()
        if row is None:
            raise NotFound(NO_TERM)
        if int(row.version) != a.version:
            raise Conflict(
                N_("the term was proposed again (entry %(version)s): agree to that proposal"),
                version=int(row.version),
            )
        done = conn.execute(
            select(glossary_agreements.c.idx).where(
                glossary_agreements.c.version == a.version,
                glossary_agreements.c.party == entry.statement.author.party,
            )
        ).first()
        if done is not None:
            raise Conflict(N_("your party has agreed to this proposal already"))
        self._agree(conn, entry, a.term, a.version, charter)

    @staticmethod
    def _agree(conn: Connection, entry: Entry, term: str, version: int, charter: Charter) -> None:
        st = entry.statement
        conn.execute(
            insert(glossary_agreements).values(
                version=version,
                party=st.author.party,
                term=term,
                idx=entry.index,
                member=st.author.member,
                time=entry.time,
            )
        )
        agreed = set(
            conn.execute(
                select(glossary_agreements.c.party).where(glossary_agreements.c.version == version)
            ).scalars()
        )
        if agreed >= set(charter.codes):
            texts = conn.execute(
                select(glossary_versions.c.texts).where(glossary_versions.c.idx == version)
            ).scalar_one()
            conn.execute(
                update(glossary_terms)
                .where(glossary_terms.c.term == term)
                .values(
                    state=ADOPTED,
                    adopted_texts=texts,
                    adopted_version=version,
                    adopted_at=entry.time,
                )
            )

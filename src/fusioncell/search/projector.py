"""The search index's projector: every text a page shows, one row each, written in the
append's transaction (after the capabilities' projectors have accepted the entry) and
rebuilt from the log like every other projection.

What is indexed is a registry: each entry kind maps to an extractor that returns the
entry's texts (field, text, language, the page it links to). A capability adds its kinds
with one line each, for instance

    SOURCES["disputes.dispute.opened"] = texts("disputes", "title", "statement",
                                               link=lambda e, b: f"/disputes/d/{b['dispute']}")

(`texts` reads body fields that hold a text, with the body's `lang`; an extractor of its
own handles any other shape). Rows carry the entry's visibility, so a search never reads
what the party may not read in the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, cast, insert, select
from sqlalchemy.dialects.postgresql import TSVECTOR

from fusioncell.deesc.tables import deesc_clarifications
from fusioncell.ledger.entry import Entry
from fusioncell.ledger.tables import log_entries
from fusioncell.ledger.trust import GENESIS_KIND
from fusioncell.search.normalize import normalize
from fusioncell.search.tables import ORIGINAL, VERIFIED, search_rows


@dataclass(frozen=True, slots=True)
class Found:
    """One text of an entry, as the index holds it."""

    field: str
    text: str
    lang: str
    link: str
    withheld: bool = False  # matched, but no snippet (see tables.search_rows)
    visibility: tuple[str, ...] | None = None  # None: the entry's
    copy_of: int | None = None
    # A translation's row: what it translates (the original's entry, kind and area).
    source: str = ORIGINAL
    of_idx: int | None = None
    of_kind: str | None = None
    of_area: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    area: str
    extract: Callable[[Connection, Entry, dict[str, Any]], Iterable[Found]]


Link = Callable[[Entry, dict[str, Any]], str]


def texts(area: str, *fields: str, link: Link, lang: str = "lang") -> Source:
    """The body's text fields (those present), in the body's language."""

    def extract(_conn: Connection, entry: Entry, body: dict[str, Any]) -> Iterable[Found]:
        where = link(entry, body)
        for f in fields:
            value = body.get(f)
            if isinstance(value, str) and value.strip():
                yield Found(f, value.strip(), str(body[lang]), where)

    return Source(area, extract)


def _nested(area: str, field: str, link: Link) -> Source:
    """A text kept as {text, lang} under one field (a thread's topic, a reason)."""

    def extract(_conn: Connection, entry: Entry, body: dict[str, Any]) -> Iterable[Found]:
        value = body.get(field)
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            yield Found(field, value["text"].strip(), str(value["lang"]), link(entry, body))

    return Source(area, extract)


# ---- the capabilities built so far -------------------------------------------------------


def _thread(e: Entry, b: dict[str, Any]) -> str:
    return f"/cell/t/{b['thread']}"


def _message(e: Entry, b: dict[str, Any]) -> str:
    # The thread's page at the message (/cell/t/<thread>/m/<index> is a fragment).
    return f"/cell/t/{b['thread']}#m-{b.get('message', e.index)}"


def _report(e: Entry, b: dict[str, Any]) -> str:
    return f"/intel/r/{b['report']}"


def _item(e: Entry, b: dict[str, Any]) -> str:
    return f"/deesc/items/{b.get('about', e.index)}"


def _proposal(e: Entry, b: dict[str, Any]) -> str:
    return f"/commerce/p/{b['proposal']}"


REPORT_CONTENT = ("intel.report.issued", "intel.report.corrected", "intel.release.widened")


def _report_version(_conn: Connection, entry: Entry, body: dict[str, Any]) -> Iterable[Found]:
    link = _report(entry, body)
    lang = str(body["lang"])
    yield Found("title", body["title"].strip(), lang, link)
    yield Found("summary", body["summary"].strip(), lang, link)
    yield Found("body", body["body"].strip(), lang, link, withheld=True)


def _widened(conn: Connection, entry: Entry, body: dict[str, Any]) -> Iterable[Found]:
    """The current version repeated for the parties it is released to now: only they find
    this copy (the others found the version where it was first written)."""
    before = conn.execute(
        select(log_entries.c.idx, log_entries.c.visibility)
        .where(
            log_entries.c.subject == entry.statement.subject,
            log_entries.c.kind.in_(REPORT_CONTENT),
            log_entries.c.idx < entry.index,
        )
        .order_by(log_entries.c.idx.desc())
        .limit(1)
    ).one()
    had = set(before.visibility.strip(",").split(","))
    added = tuple(p for p in entry.statement.visibility if p not in had)
    for f in _report_version(conn, entry, {**body["content"], "report": body["report"]}):
        yield Found(
            f.field, f.text, f.lang, f.link, f.withheld, visibility=added, copy_of=int(before.idx)
        )


def _answer(conn: Connection, entry: Entry, body: dict[str, Any]) -> Iterable[Found]:
    about = conn.execute(
        select(deesc_clarifications.c.about).where(deesc_clarifications.c.idx == body["request"])
    ).scalar_one()
    yield Found("answer", body["answer"].strip(), str(body["lang"]), f"/deesc/items/{about}")


def _charter(_conn: Connection, _entry: Entry, body: dict[str, Any]) -> Iterable[Found]:
    """The charter's understandings, in each of its languages."""
    for u in body["charter"].get("understandings", []):
        link = f"/understandings/{u['id']}"
        for field in ("text", "source"):
            for lang, value in sorted(u.get(field, {}).items()):
                if isinstance(value, str) and value.strip():
                    yield Found(field, value.strip(), lang, link)


def _texts_list(area: str, *fields: str, link: Link) -> Source:
    """Fields that hold a list of texts, each {text, lang} (a round's place, a meeting's
    title, its agenda): each text in its own language."""

    def extract(_conn: Connection, entry: Entry, body: dict[str, Any]) -> Iterable[Found]:
        where = link(entry, body)
        for f in fields:
            for t in body.get(f) or ():
                if isinstance(t, dict) and isinstance(t.get("text"), str) and t["text"].strip():
                    yield Found(f, t["text"].strip(), str(t["lang"]), where)

    return Source(area, extract)


def _dispute(e: Entry, b: dict[str, Any]) -> str:
    return f"/disputes/d/{b['dispute']}"


def _understanding(e: Entry, b: dict[str, Any]) -> str:
    return f"/understandings/{b['understanding']}"


def _round(e: Entry, b: dict[str, Any]) -> str:
    return f"/diplomacy/r/{b['round']}"


def _meeting(e: Entry, b: dict[str, Any]) -> str:
    return f"/diplomacy/m/{b['meeting']}"


def _statement(e: Entry, b: dict[str, Any]) -> str:
    return f"/statements/s/{b['statement']}"


def _statement_texts(_conn: Connection, entry: Entry, body: dict[str, Any]) -> Iterable[Found]:
    """A joint statement's title and its text in each language of the version."""
    link = _statement(entry, body)
    if isinstance(body.get("title"), str):
        yield Found("title", body["title"].strip(), str(body["lang"]), link)
    for lang, value in sorted(body["texts"].items()):
        if isinstance(value, str) and value.strip():
            yield Found("text", value.strip(), lang, link)


def _meeting_scheduled(conn: Connection, entry: Entry, body: dict[str, Any]) -> Iterable[Found]:
    yield from _texts_list("diplomacy", "title", "place", link=_meeting).extract(conn, entry, body)
    for a in body.get("agenda") or ():
        if isinstance(a, dict) and isinstance(a.get("text"), str) and a["text"].strip():
            yield Found("agenda", a["text"].strip(), str(a["lang"]), _meeting(entry, body))


def _verified(conn: Connection, entry: Entry, body: dict[str, Any]) -> Iterable[Found]:
    """A verified translation (translation.verified): found in its language, shown as a
    translation, linking to the original's page and readable by exactly the original
    entry's readers (its visibility in the log)."""
    of = int(body["entry"])
    original = conn.execute(
        select(search_rows.c.kind, search_rows.c.area, search_rows.c.link, search_rows.c.withheld)
        .where(
            search_rows.c.idx == of,
            search_rows.c.field == body["field"],
            search_rows.c.source == ORIGINAL,
            search_rows.c.copy_of.is_(None),
        )
        .order_by(search_rows.c.id)
        .limit(1)
    ).first()
    vis = conn.execute(
        select(log_entries.c.visibility).where(log_entries.c.idx == of)
    ).scalar_one_or_none()
    if original is None or vis is None:  # a text search does not index has no page to open
        return
    yield Found(
        str(body["field"]),
        body["text"].strip(),
        str(body["lang"]),
        original.link,
        withheld=bool(original.withheld),
        visibility=tuple(p for p in vis.strip(",").split(",") if p),
        source=VERIFIED,
        of_idx=of,
        of_kind=original.kind,
        of_area=original.area,
    )


SOURCES: dict[str, Source] = {
    GENESIS_KIND: Source("charter", _charter),
    "cell.thread.opened": _nested("cell", "topic", _thread),
    "cell.message.posted": texts("cell", "text", link=_message),
    "cell.message.edited": texts("cell", "text", link=_message),
    "cell.message.retracted": _nested("cell", "reason", _message),
    "intel.report.issued": Source("intel", _report_version),
    "intel.report.corrected": Source("intel", _report_version),
    "intel.release.widened": Source("intel", _widened),
    "intel.summary.released": texts("intel", "title", "text", link=_report),
    "intel.report.assessed": texts("intel", "text", link=_report),
    "intel.rfi.requested": texts("intel", "text", link=lambda e, b: "/intel"),
    "deesc.incident.reported": texts("deesc", "description", link=_item),
    "deesc.activity.notified": texts("deesc", "description", link=_item),
    "deesc.clarification.requested": texts("deesc", "question", link=_item),
    "deesc.clarification.answered": Source("deesc", _answer),
    "commerce.proposal.submitted": texts("commerce", "title", "description", link=_proposal),
    "commerce.proposal.revised": texts("commerce", "title", "description", link=_proposal),
    "commerce.interest.expressed": texts("commerce", "text", link=_proposal),
    "commerce.stage.changed": texts("commerce", "text", link=_proposal),
    "dispute.raised": texts("disputes", "title", "account", "request", link=_dispute),
    "dispute.answered": texts("disputes", "text", link=_dispute),
    "dispute.statement.made": texts("disputes", "text", link=_dispute),
    "dispute.finding.recorded": texts("disputes", "text", link=_dispute),
    "dispute.resolution.proposed": texts("disputes", "text", link=_dispute),
    "dispute.resolution.rejected": texts("disputes", "reason", link=_dispute),
    "dispute.referred": texts("disputes", "reason", link=_dispute),
    "dispute.mediation.opened": texts("disputes", "text", link=_dispute),
    "dispute.resolved": texts("disputes", "text", link=_dispute),
    "dispute.withdrawn": texts("disputes", "text", link=_dispute),
    "understanding.recorded": texts("understandings", "text", "source", link=_understanding),
    "understanding.status.changed": texts("understandings", "reason", link=_understanding),
    "understanding.timeline.set": texts("understandings", "reason", link=_understanding),
    "understanding.milestone.set": texts("understandings", "title", link=_understanding),
    "understanding.milestone.moved": texts("understandings", "reason", link=_understanding),
    "understanding.milestone.met": texts("understandings", "text", link=_understanding),
    "understanding.verification.recorded": texts("understandings", "findings", link=_understanding),
    "understanding.link.added": texts("understandings", "note", link=_understanding),
    "diplomacy.round.recorded": _texts_list("diplomacy", "place", "note", link=_round),
    "diplomacy.round.revised": _texts_list("diplomacy", "place", "note", link=_round),
    "diplomacy.meeting.scheduled": Source("diplomacy", _meeting_scheduled),
    "diplomacy.minutes.recorded": texts("diplomacy", "text", link=_meeting),
    "diplomacy.outcome.recorded": texts("diplomacy", "text", link=_meeting),
    "diplomacy.followup.added": texts("diplomacy", "text", link=_meeting),
    "diplomacy.followup.closed": texts("diplomacy", "text", link=_meeting),
    "statement.created": Source("statements", _statement_texts),
    "statement.version.proposed": Source("statements", _statement_texts),
    "statement.comment.added": texts("statements", "text", link=_statement),
    "translation.verified": Source("translation", _verified),
}


def areas() -> list[str]:
    """The areas a search may be narrowed to (a translation is in its original's)."""
    return sorted({s.area for s in SOURCES.values()} - {"translation"})


def _vis(parties: Sequence[str]) -> str:
    return "," + ",".join(parties) + ","


# PostgreSQL only: tokens beside the words, so the GIN index itself filters by party and
# by age. A query's words never hold "_" (normalize's words are letters and digits), so
# no query can name these tokens.
PARTY_MARK = "_vis_{}"
# Age tokens at several sizes, one of each per row: `_age13_<idx >> 13>` is a bucket of
# 8,192 log entries, `_age15_` of 32,768, and so on by fours up to `_age23_` (8,388,608).
# A window of the newest entries is then ONE token ANDed with the words and the party, an
# entry every match needs, so GIN's fast scan skips along the words' long posting lists
# to it instead of walking them (an OR of small buckets could not be skipped to). Sizes
# grow by four, not eight: PostgreSQL reads every match of a window from the table
# (a bitmap scan cannot stop at the LIMIT), so a window too large for what is still
# wanted costs up to four times the rows needed, not eight.
AGE_SHIFTS = (13, 15, 17, 19, 21, 23)
# A phrase's neighbouring words, as one token per pair of a row's consecutive terms
# (`_p_<a>_<b>`): GIN holds no positions, so without them every row holding all the words
# of "a b c" is read back to check their order; with them only the rows holding both
# pairs are, and the order is still checked (<->) on those.
PAIR_MARK = "_p_{}_{}"
MAX_LEXEME_BYTES = 2047  # PostgreSQL's limit for one word of a tsvector


def age_mark(shift: int, bucket: int) -> str:
    return f"_age{shift}_{bucket}"


def age_marks(idx: int) -> list[str]:
    """The age tokens of a row of entry `idx`, one per bucket size."""
    return [age_mark(s, idx >> s) for s in AGE_SHIFTS]


def tsvector_literal(terms: str, extra: Iterable[str] = ()) -> str:
    """The terms as a tsvector with their positions, built here rather than by a text
    search configuration, so PostgreSQL holds exactly the terms SQLite does; `extra`
    tokens (party, age) and the pairs of consecutive terms are added without a position."""
    positions: dict[str, list[int]] = {}
    split = terms.split()
    for i, t in enumerate(split, start=1):
        if len(t.encode("utf-8")) > MAX_LEXEME_BYTES:
            continue  # PostgreSQL refuses it; no query (200 characters at most) is one
        positions.setdefault(t, []).append(min(i, 16383))  # PostgreSQL's largest position
    pairs = dict.fromkeys(pair_marks(split))
    words = [
        "'{}':{}".format(_quoted(t), ",".join(map(str, p[:256]))) for t, p in positions.items()
    ]
    return " ".join([*words, *(f"'{_quoted(x)}'" for x in (*pairs, *extra))])


def _quoted(t: str) -> str:
    if "'" not in t and "\\" not in t:  # normalised words never hold either
        return t
    return t.replace("\\", "\\\\").replace("'", "''")


def pair_marks(terms: Sequence[str]) -> list[str]:
    """The pair tokens of consecutive terms (too long a pair is left out: a phrase holding
    it is then checked on its words alone)."""
    out = []
    for a, b in pairwise(terms):
        mark = PAIR_MARK.format(a, b)
        if len(mark.encode("utf-8")) <= MAX_LEXEME_BYTES:
            out.append(mark)
    return out


def tsv_text(terms: str, parties: Iterable[str], idx: int) -> str:
    """PostgreSQL's tsvector of a row: its terms, pairs, party and age tokens."""
    return tsvector_literal(terms, [*(PARTY_MARK.format(p) for p in parties), *age_marks(idx)])


def row_values(entry: Entry, n: int, source: Source, f: Found, *, pg: bool) -> dict[str, Any]:
    st = entry.statement
    terms = normalize(f.text)
    parties = st.visibility if f.visibility is None else f.visibility
    return {
        "id": entry.index * TEXTS_PER_ENTRY + n,
        "idx": entry.index,
        "of_idx": entry.index if f.of_idx is None else f.of_idx,
        "source": f.source,
        "area": f.of_area or source.area,
        "kind": f.of_kind or st.kind,
        "subject": st.subject,
        "field": f.field,
        "link": f.link,
        "lang": f.lang,
        "party": st.author.party,
        "member": st.author.member,
        "time": entry.time,
        "visibility": _vis(parties),
        "copy_of": f.copy_of,
        "withheld": f.withheld,
        "text": f.text,
        "terms": terms,
        "tsv_text": tsv_text(terms, parties, entry.index) if pg else None,
    }


_COLUMNS = [c.name for c in search_rows.columns if c.name != "tsv"]
TEXTS_PER_ENTRY = 1024  # row ids are idx * 1024 + n
# An entry's own texts take n below 256; the rows above are its machine translations
# (fusioncell.search.translations), so both keep ids that a rebuild gives again.
ORIGINAL_SLOTS = 256


def _insert(pg: bool) -> Insert:
    values: dict[str, Any] = {c: bindparam(c) for c in _COLUMNS}
    if pg:
        values["tsv"] = cast(bindparam("tsv_text"), TSVECTOR)
    return insert(search_rows).values(values)


# Built once: building the statement for each entry (twenty bound parameters coerced, a
# cache key computed) cost a third of the indexer's own time.
_INSERTS = {True: _insert(True), False: _insert(False)}


def insert_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write index rows (one executemany); the SQLite FTS table follows by trigger, the
    PostgreSQL vocabulary (search_terms) likewise."""
    if rows:
        conn.execute(_INSERTS[conn.dialect.name == "postgresql"], rows)


class SearchProjector:
    """Indexes every entry of a registered kind; refuses nothing (the capabilities'
    projectors, before it, have accepted the entry)."""

    def __init__(self, sources: dict[str, Source] | None = None) -> None:
        self.sources = SOURCES if sources is None else sources

    def rows(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> list[dict[str, Any]]:
        source = self.sources.get(entry.statement.kind)
        if source is None:
            return []
        pg = conn.dialect.name == "postgresql"
        found = [f for f in source.extract(conn, entry, body) if f.visibility != ()]
        return [
            row_values(entry, n, source, f, pg=pg) for n, f in enumerate(found[:ORIGINAL_SLOTS])
        ]

    def __call__(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        insert_rows(conn, self.rows(conn, entry, body))

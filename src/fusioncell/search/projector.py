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
from typing import Any

from sqlalchemy import Connection, bindparam, cast, insert, select
from sqlalchemy.dialects.postgresql import TSVECTOR

from fusioncell.deesc.tables import deesc_clarifications
from fusioncell.ledger.entry import Entry
from fusioncell.ledger.tables import log_entries
from fusioncell.ledger.trust import GENESIS_KIND
from fusioncell.search.normalize import normalize
from fusioncell.search.tables import ORIGINAL, search_rows


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
    return f"/cell/t/{b['thread']}/m/{b.get('message', e.index)}"


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
}


def areas() -> list[str]:
    """The areas a search may be narrowed to."""
    return sorted({s.area for s in SOURCES.values()})


def _vis(parties: Sequence[str]) -> str:
    return "," + ",".join(parties) + ","


def tsvector_literal(terms: str) -> str:
    """The terms as a tsvector with their positions, built here rather than by a text
    search configuration, so PostgreSQL holds exactly the terms SQLite does."""
    positions: dict[str, list[int]] = {}
    for i, t in enumerate(terms.split(), start=1):
        positions.setdefault(t, []).append(min(i, 16383))  # PostgreSQL's largest position
    return " ".join(
        "'{}':{}".format(t.replace("\\", "\\\\").replace("'", "''"), ",".join(map(str, p[:256])))
        for t, p in positions.items()
    )


def row_values(entry: Entry, n: int, source: Source, f: Found, *, pg: bool) -> dict[str, Any]:
    st = entry.statement
    terms = normalize(f.text)
    return {
        "id": entry.index * TEXTS_PER_ENTRY + n,
        "idx": entry.index,
        "of_idx": entry.index,
        "source": ORIGINAL,
        "area": source.area,
        "kind": st.kind,
        "subject": st.subject,
        "field": f.field,
        "link": f.link,
        "lang": f.lang,
        "party": st.author.party,
        "member": st.author.member,
        "time": entry.time,
        "visibility": _vis(st.visibility if f.visibility is None else f.visibility),
        "copy_of": f.copy_of,
        "withheld": f.withheld,
        "text": f.text,
        "terms": terms,
        "tsv_text": tsvector_literal(terms) if pg else None,
    }


_COLUMNS = [c.name for c in search_rows.columns if c.name != "tsv"]
TEXTS_PER_ENTRY = 1024  # row ids are idx * 1024 + n


def insert_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write index rows (one executemany); the SQLite FTS table follows by trigger."""
    if not rows:
        return
    values: dict[str, Any] = {c: bindparam(c) for c in _COLUMNS}
    if conn.dialect.name == "postgresql":
        values["tsv"] = cast(bindparam("tsv_text"), TSVECTOR)
    conn.execute(insert(search_rows).values(values), rows)


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
            row_values(entry, n, source, f, pg=pg) for n, f in enumerate(found[:TEXTS_PER_ENTRY])
        ]

    def __call__(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        insert_rows(conn, self.rows(conn, entry, body))

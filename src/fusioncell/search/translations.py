"""Cached machine translations in the search index, so a query in one language also finds
a text whose machine translation into that language matches.

The cache (fusioncell.language, `language_cache`) is keyed by the text sent to the engine
and knows no entry, so it cannot be indexed on its own: the language package calls
`index_machine` when it has a machine translation of an entry's text in hand (fresh from
the engine or from the cache). A row is written once per (text, target language) and
replaced when the translation changed (a new glossary equivalent, another engine). The
row is the original's row in another language: same entry, kind, area, link, author,
time and visibility, `source = machine`, and an id derived from the original's
(`idx * 1024 + n + 256 * (1 + slot)`), so ids never collide with entries' own texts.

A rebuild recomputes the log's projections and drops these rows with the rest of
`search_rows`; they come back when each translation is next shown, because nothing in the
cache says which entry a cached text came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select

from fusioncell.search.normalize import normalize
from fusioncell.search.projector import (
    ORIGINAL_SLOTS,
    TEXTS_PER_ENTRY,
    insert_rows,
    tsv_text,
)
from fusioncell.search.tables import MACHINE, ORIGINAL, search_rows

TARGET_SLOTS = TEXTS_PER_ENTRY // ORIGINAL_SLOTS - 1  # three target languages per text


@dataclass(frozen=True, slots=True)
class MachineText:
    """A machine translation of the text `field` of entry `entry` into `lang`."""

    entry: int
    field: str
    lang: str
    text: str


def _slot(lang: str, source: str, languages: Sequence[str]) -> int | None:
    targets = [x for x in sorted(languages) if x != source]
    if lang not in targets or targets.index(lang) >= TARGET_SLOTS:
        return None
    return targets.index(lang)


def index_machine(conn: Connection, found: Sequence[MachineText], languages: Sequence[str]) -> int:
    """Write (or replace) the index rows of these machine translations; the texts whose
    original search does not index are skipped. Returns the rows written."""
    wanted = {(m.entry, m.field) for m in found}
    if not wanted:
        return 0
    originals: dict[tuple[int, str], Any] = {}
    for r in conn.execute(
        select(search_rows).where(
            search_rows.c.idx.in_({e for e, _ in wanted}),
            search_rows.c.source == ORIGINAL,
            search_rows.c.copy_of.is_(None),
        )
    ):
        originals.setdefault((int(r.idx), r.field), r)
    pg = conn.dialect.name == "postgresql"
    rows: dict[int, dict[str, Any]] = {}
    for m in found:
        o = originals.get((m.entry, m.field))
        slot = None if o is None else _slot(m.lang, o.lang, languages)
        if o is None or slot is None or not m.text.strip():
            continue
        terms = normalize(m.text)
        parties = [p for p in o.visibility.strip(",").split(",") if p]
        rid = int(o.id) + ORIGINAL_SLOTS * (1 + slot)
        rows[rid] = {
            **{c: getattr(o, c) for c in search_rows.c.keys() if c != "tsv"},  # noqa: SIM118
            "id": rid,
            "source": MACHINE,
            "lang": m.lang,
            "text": m.text.strip(),
            "terms": terms,
            "tsv_text": tsv_text(terms, parties, int(o.idx)) if pg else None,
        }
    if not rows:
        return 0
    have = {
        int(r.id): r.text
        for r in conn.execute(
            select(search_rows.c.id, search_rows.c.text).where(search_rows.c.id.in_(rows))
        )
    }
    stale = [i for i, t in have.items() if t != rows[i]["text"]]
    if stale:
        conn.execute(delete(search_rows).where(search_rows.c.id.in_(stale)))
    fresh = [r for i, r in rows.items() if i not in have or i in stale]
    insert_rows(conn, fresh)
    return len(fresh)


def missing(conn: Connection, found: Sequence[MachineText]) -> bool:
    """Whether any of these translations is not in the index as it is now (a cheap read,
    so showing translations writes only when something changed)."""
    if not found:
        return False
    have = {
        (int(r.idx), r.field, r.lang, r.text)
        for r in conn.execute(
            select(
                search_rows.c.idx, search_rows.c.field, search_rows.c.lang, search_rows.c.text
            ).where(
                search_rows.c.idx.in_({m.entry for m in found}),
                search_rows.c.source == MACHINE,
            )
        )
    }
    return any((m.entry, m.field, m.lang, m.text.strip()) not in have for m in found)

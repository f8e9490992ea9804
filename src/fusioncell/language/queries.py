"""Reading translations and the glossary as a member sees them.

`translations` answers, for texts of entries the reader may read, what to show beside each
original: the newest verified translation into the reader's language, else a machine
translation (glossary terms kept, cached, one engine call per language pair for all the
texts not cached), else why there is none. The original is always read from the log for
that reader: a hidden entry and a missing one are the same 404."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select, tuple_
from sqlalchemy.exc import IntegrityError

from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import reading, transaction
from fusioncell.errors import N_, Invalid, NotFound
from fusioncell.intel.queries import record_body_reads
from fusioncell.language import engines
from fusioncell.language.glossary import Match, Term, find_terms, protect, restore, utf16
from fusioncell.language.projector import (
    ADOPTED,
    NO_TERM,
    TRANSLATOR_ROLES,
    read_original,
    sha256_text,
)
from fusioncell.language.tables import (
    glossary_agreements,
    glossary_terms,
    glossary_versions,
    language_cache,
    language_verified,
)
from fusioncell.search import translations as search_index

MAX_ITEMS = 100
SAME_LANGUAGE = "same_language"


def adopted_terms(conn: Connection) -> list[Term]:
    rows = conn.execute(
        select(glossary_terms.c.term, glossary_terms.c.adopted_texts)
        .where(glossary_terms.c.adopted_texts.is_not(None))
        .order_by(glossary_terms.c.term)
    )
    return [Term(r.term, json.loads(r.adopted_texts)) for r in rows]


def _spans(text: str, matches: Sequence[Match], terms: dict[str, Term]) -> list[dict[str, Any]]:
    return [
        {
            "term": m.term,
            "start": utf16(text, m.start),
            "end": utf16(text, m.end),
            "lang": m.lang,
            "equivalents": terms[m.term].texts,
        }
        for m in matches
    ]


def may_translate(who: Principal) -> bool:
    """May this member sign verified translations (the projector's rule)?"""
    return who.role.value in TRANSLATOR_ROLES and who.can(Permission.LOG_APPEND)


def translations(
    cell: Cell, who: Principal, items: Sequence[tuple[int, str]], to: str
) -> dict[str, Any]:
    """What to show beside each (entry, field) for a reader of language `to`."""
    charter = cell.charter
    if to not in charter.languages:
        raise Invalid(
            N_("language must be one of the cell's languages: %(languages)s"),
            languages=", ".join(charter.languages),
        )
    if not items or len(items) > MAX_ITEMS:
        raise Invalid(N_("ask for 1 to %(n)s texts at a time"), n=MAX_ITEMS)
    keys = list(dict.fromkeys(items))
    with reading(cell.engine) as conn:
        originals = {k: read_original(conn, k[0], k[1], who.party, charter) for k in keys}
        verified: dict[tuple[int, str], list[Any]] = defaultdict(list)
        for r in conn.execute(
            select(language_verified)
            .where(
                tuple_(language_verified.c.entry, language_verified.c.field).in_(keys),
                language_verified.c.lang == to,
            )
            .order_by(language_verified.c.idx)
        ):
            if r.of_sha256 == sha256_text(originals[(int(r.entry), r.field)][0]):
                verified[(int(r.entry), r.field)].append(r)
        terms = adopted_terms(conn)
    # The original of a report's body, shown beside its translation, is an opening of it.
    record_body_reads(
        cell, who, [(k[0], originals[k][3]) for k in keys if k[1] == "body"], "translation"
    )
    by_id = {t.term: t for t in terms}
    engine = engines.engine_for(cell.settings)
    out: dict[tuple[int, str], dict[str, Any]] = {}
    machine: dict[str, list[tuple[tuple[int, str], list[Match]]]] = defaultdict(list)
    for k in keys:
        text, lang, visibility, kind = originals[k]
        found = find_terms(text, terms)
        item: dict[str, Any] = {
            "entry": k[0],
            "field": k[1],
            "kind": kind,
            "visibility": visibility,
            "original": {
                "text": text,
                "lang": lang,
                "sha256": sha256_text(text),
                "authoritative": True,
                "terms": _spans(text, found, by_id),
            },
            "translation": None,
            "superseded": 0,
            "reason": None,
        }
        out[k] = item
        history = verified.get(k)
        if history:
            v = history[-1]
            item["superseded"] = len(history) - 1
            item["translation"] = {
                "text": v.text,
                "lang": to,
                "provenance": "verified",
                "by": {"member": v.member, "party": v.party, "index": int(v.idx), "time": v.time},
                "engine": None,
                "terms": _spans(v.text, find_terms(v.text, terms), by_id),
                "not_enforced": [],
            }
        elif lang == to:
            item["reason"] = SAME_LANGUAGE
        elif engine.name == engines.NONE:
            item["reason"] = engines.NONE
        else:
            machine[lang].append((k, found))
    for source, group in machine.items():
        _machine(cell, engine, source, to, group, out, by_id)
    return {
        "to": to,
        "engine": engine.name,
        "may_translate": may_translate(who),
        "items": [out[k] for k in items],
    }


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _machine(
    cell: Cell,
    engine: engines.Engine,
    source: str,
    target: str,
    group: list[tuple[tuple[int, str], list[Match]]],
    out: dict[tuple[int, str], dict[str, Any]],
    terms: dict[str, Term],
) -> None:
    """Machine translations of one language pair: from the cache, and one engine call for
    every text not in it."""
    prepared = [(k, protect(out[k]["original"]["text"], found)) for k, found in group]
    hashes = {_hash(p.text) for _, p in prepared}
    with reading(cell.engine) as conn:
        cached = {
            r.hash: r.text
            for r in conn.execute(
                select(language_cache.c.hash, language_cache.c.text).where(
                    language_cache.c.hash.in_(hashes),
                    language_cache.c.source == source,
                    language_cache.c.target == target,
                    language_cache.c.engine == engine.key,
                )
            )
        }
    missing = list(dict.fromkeys(p.text for _, p in prepared if _hash(p.text) not in cached))
    if missing:
        try:
            done = engine.translate(missing, source, target)
        except engines.Unavailable as exc:
            for k, p in prepared:
                if _hash(p.text) not in cached:
                    out[k]["reason"] = exc.reason
                    out[k]["detail"] = exc.detail
            done = []
        fresh = dict(zip(missing, done, strict=False))
        _store(cell, source, target, engine.key, fresh)
        cached.update({_hash(t): v for t, v in fresh.items()})
    equivalents = {t: terms[t].texts.get(target, "") for t in terms}
    shown: list[search_index.MachineText] = []
    for k, p in prepared:
        raw = cached.get(_hash(p.text))
        if raw is None:
            continue
        text, lost = restore(raw, p, equivalents)
        out[k]["translation"] = {
            "text": text,
            "lang": target,
            "provenance": "machine",
            "by": None,
            "engine": engine.name,
            "terms": _spans(text, find_terms(text, terms.values()), terms),
            "not_enforced": lost,
        }
        shown.append(search_index.MachineText(k[0], k[1], target, text))
    # Searchable in the target language too (fusioncell.search.translations): written only
    # when the index does not hold this translation yet.
    with reading(cell.engine) as conn:
        stale = search_index.missing(conn, shown)
    if stale:
        try:
            with transaction(cell.engine) as conn:
                search_index.index_machine(conn, shown, cell.charter.languages)
        except IntegrityError:
            pass  # another request indexed them meanwhile


def _store(cell: Cell, source: str, target: str, engine_key: str, fresh: dict[str, str]) -> None:
    if not fresh:
        return
    now = rfc3339(cell.clock.now())
    for text, translated in fresh.items():
        # One row at a time: another request may have cached the same text meanwhile.
        try:
            with transaction(cell.engine) as conn:
                conn.execute(
                    language_cache.insert().values(
                        hash=_hash(text),
                        source=source,
                        target=target,
                        engine=engine_key,
                        text=translated,
                        time=now,
                    )
                )
        except IntegrityError:
            continue


# ---- the glossary ------------------------------------------------------------------------


def _term(r: Any, agreements: dict[int, dict[str, Any]], versions: int) -> dict[str, Any]:
    return {
        "term": r.term,
        "texts": json.loads(r.texts),
        "note": None if r.note is None else {"text": r.note, "lang": r.note_lang},
        "version": int(r.version),
        "proposed": {"party": r.party, "member": r.member, "time": r.proposed_at},
        "state": r.state,
        "agreed": agreements.get(int(r.version), {}),
        "adopted": (
            None
            if r.adopted_texts is None
            else {
                "texts": json.loads(r.adopted_texts),
                "version": int(r.adopted_version),
                "time": r.adopted_at,
            }
        ),
        "versions": versions,
    }


def glossary(cell: Cell, who: Principal, term: str | None = None) -> list[dict[str, Any]]:
    """Every term (visible to every party): its current proposal, who agreed it, and what
    is adopted. `term` keeps that one (NotFound where there is none)."""
    q = select(glossary_terms).order_by(glossary_terms.c.term)
    if term is not None:
        q = q.where(glossary_terms.c.term == term)
    with reading(cell.engine) as conn:
        rows = list(conn.execute(q))
        agreements: dict[int, dict[str, Any]] = defaultdict(dict)
        for a in conn.execute(
            select(glossary_agreements).where(
                glossary_agreements.c.version.in_([int(r.version) for r in rows])
            )
        ):
            agreements[int(a.version)][a.party] = {
                "member": a.member,
                "index": int(a.idx),
                "time": a.time,
            }
        counts: dict[str, int] = defaultdict(int)
        for v in conn.execute(select(glossary_versions.c.term)):
            counts[v.term] += 1
    if term is not None and not rows:
        raise NotFound(NO_TERM)
    return [_term(r, agreements, counts[r.term]) for r in rows]


def term_history(cell: Cell, who: Principal, term: str) -> list[dict[str, Any]]:
    with reading(cell.engine) as conn:
        rows = list(
            conn.execute(
                select(glossary_versions)
                .where(glossary_versions.c.term == term)
                .order_by(glossary_versions.c.idx)
            )
        )
    if not rows:
        raise NotFound(NO_TERM)
    return [
        {
            "index": int(v.idx),
            "texts": json.loads(v.texts),
            "note": None if v.note is None else {"text": v.note, "lang": v.note_lang},
            "party": v.party,
            "member": v.member,
            "time": v.time,
        }
        for v in rows
    ]


def highlight(cell: Cell, text: str) -> list[dict[str, Any]]:
    """The adopted terms found in a text (for pages that draw it on the server)."""
    with reading(cell.engine) as conn:
        terms = adopted_terms(conn)
    return _spans(text, find_terms(text, terms), {t.term: t for t in terms})


__all__ = ["ADOPTED", "glossary", "highlight", "term_history", "translations"]

"""Searching the record as a member sees it, in any of the cell's languages.

A query is parsed here, never handed to a database's query language: its words are
normalised exactly as the index was (fusioncell.search.normalize) and each term is quoted
by us, so quotes, `*`, NEAR, AND/OR, parentheses and colons are only ever words or
nothing. Words are ANDed; "a quoted phrase" matches its terms in order; the last word, if
the query does not end with a space or a quote, also matches as a prefix. The database
hands back the newest matches (at most CANDIDATES), ranked here by BM25's term frequency.

Every query filters by the reader's party inside the match (the rows carry the entries'
visibility), and the total is counted after that filter: what a party may not read is
never a result, never a count, never a page of results.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, bindparam, text

from fusioncell.authz import Principal
from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.errors import N_, Invalid
from fusioncell.search import normalize as nz
from fusioncell.search.projector import (
    AGE_SHIFTS,
    PARTY_MARK,
    TEXTS_PER_ENTRY,
    age_mark,
    areas,
    pair_marks,
)

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
MIN_PREFIX = 2
PAGE = 20
MAX_PAGE = 50
MAX_OFFSET = 1000
COUNT_CAP = 1000  # a total beyond this is shown as "more than 1000"
# Ranking reads at most this many matches, the newest: a word found in a hundred thousand
# texts is ranked among its newest 1,001, and the query's time stays bounded. One more
# than COUNT_CAP, so that the count is exact up to it and "more than" beyond. (It was
# 2,000: fetching and ranking the second, older thousand was half of a common query's
# time at 1,000,000 texts; docs/performance.md.)
CANDIDATES = COUNT_CAP + 1
SNIPPET_WORDS = 40
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: groups of terms that must all match (a group of two or more is a
    phrase), and the prefixes the last word may also begin."""

    groups: tuple[tuple[str, ...], ...]
    prefixes: tuple[str, ...] = ()
    terms: frozenset[str] = field(default_factory=frozenset)  # every term, for marking


def _prefix_forms(word: str) -> tuple[str, ...]:
    """What the index terms of a word being typed may begin with: its stem, and the word
    with only its Arabic or Hebrew prefixes taken off (a stem may be cut shorter)."""
    forms = [nz.stem(word)]
    w = word
    if any(nz._is_arabic(c) for c in w):
        if w.startswith("و") and len(w) > 3:
            w = w[1:]
        for p in nz.AR_PREFIXES:
            if w.startswith(p) and len(w) - len(p) >= nz.AR_MIN_STEM:
                w = w[len(p) :]
                break
    elif any(nz._is_hebrew(c) for c in w):
        w = nz._hebrew_once(w)
    forms.append(w)
    return tuple(dict.fromkeys(f for f in forms if len(f) >= MIN_PREFIX))


def parse(raw: str) -> Query:
    """Refuses (Invalid) a query that is too long or holds no word."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(N_("the search is not valid text")) from None
    if len(raw) > MAX_QUERY_CHARS:
        raise Invalid(N_("a search is at most %(n)s characters"), n=MAX_QUERY_CHARS)
    q = nz.ACRONYM.sub("", raw.translate(_QUOTES))
    parts = q.split('"')
    if len(parts) % 2 == 0:  # an unmatched quote: no phrases, only words
        parts = [q.replace('"', " ")]
    groups: list[tuple[str, ...]] = []
    last_word: str | None = None
    for i, part in enumerate(parts):
        words = nz.words(part)
        if i % 2:  # inside quotes
            if words:
                groups.append(tuple(nz.stem(w) for w in words))
            last_word = None
        else:
            groups.extend((nz.stem(w),) for w in words)
            last_word = words[-1] if words and not part[-1:].isspace() else None
    groups = list(dict.fromkeys(groups))
    if not groups:
        raise Invalid(N_("the search holds no word to look for"))
    if sum(len(g) for g in groups) > MAX_TERMS:
        raise Invalid(N_("a search is at most %(n)s words"), n=MAX_TERMS)
    prefixes: tuple[str, ...] = ()
    if last_word is not None and len(groups[-1]) == 1:
        prefixes = _prefix_forms(last_word)
    return Query(
        tuple(groups), prefixes, frozenset(t for g in groups for t in g) | frozenset(prefixes)
    )


# ---- the two databases' query languages, from parsed terms only ----------------------


def _fts_term(t: str) -> str:
    return '"' + t.replace('"', '""') + '"'


def fts5_match(q: Query, party: str | None) -> str:
    """An FTS5 MATCH expression: every term quoted, the party's filter in the match."""
    parts = [_fts_term(" ".join(g)) for g in q.groups]
    if q.prefixes:
        alts = [parts.pop(), *(_fts_term(p) + "*" for p in q.prefixes)]
        parts.append("(" + " OR ".join(alts) + ")")
    expr = "terms : (" + " AND ".join(parts) + ")"
    if party is not None:
        expr += " AND visibility : " + _fts_term(party)
    return expr


def _ts_term(t: str) -> str:
    return "'" + t.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_group(g: tuple[str, ...]) -> str:
    phrase = " <-> ".join(_ts_term(t) for t in g)
    # A phrase also needs its pairs of neighbouring words (projector.PAIR_MARK), which the
    # index holds: only rows holding those are read back for the order check.
    pairs = [_ts_term(p) for p in pair_marks(g)]
    if len(g) == 2 and pairs:
        # Two words: their pair token IS the phrase (the two terms next to each other), so
        # no row is read back to check positions (a phrase makes PostgreSQL recheck every
        # row it reads against its tsvector, which is stored out of line).
        return "(" + pairs[0] + ")"
    return "(" + " & ".join([*pairs, f"({phrase})"]) + ")"


def tsquery(q: Query, completions: Sequence[str] | None = None) -> str:
    """A tsquery literal: terms quoted, phrases with <-> (and their pair tokens); the word
    being typed as its `completions` (index terms), or else its prefixes with :*."""
    parts = [_ts_group(g) if len(g) > 1 else "(" + _ts_term(g[0]) + ")" for g in q.groups]
    if q.prefixes:
        if completions is None:
            more = [_ts_term(p) + ":*" for p in q.prefixes]
        else:
            more = [_ts_term(t) for t in completions if t != q.groups[-1][0]]
        parts.append("(" + " | ".join([parts.pop(), *more]) + ")")
    return " & ".join(parts)


# A word being typed is completed into at most this many index terms, the shortest first
# (its nearest completions), out of the first COMPLETION_SCAN in byte order; a prefix of
# two or three letters with more completions than that finds the texts holding those,
# and the whole word, once typed, finds every text holding it.
COMPLETIONS = 256
COMPLETION_SCAN = 20_000


def _after_prefix(p: str) -> str:
    """The smallest string greater than every string that begins with `p`, in code point
    order (the byte order of UTF-8, collation "C")."""
    return p[:-1] + chr(ord(p[-1]) + 1)


def completions(conn: Connection, prefixes: Sequence[str]) -> list[str]:
    """The index terms (search_terms, PostgreSQL) that the prefixes begin, shortest first."""
    found: set[str] = set()
    for p in prefixes:
        found.update(
            conn.execute(
                text(
                    "SELECT term FROM (SELECT term FROM search_terms WHERE term >= :lo "
                    "AND term < :hi ORDER BY term LIMIT :scan) s "
                    "ORDER BY length(term), term LIMIT :n"
                ),
                {"lo": p, "hi": _after_prefix(p), "scan": COMPLETION_SCAN, "n": COMPLETIONS},
            ).scalars()
        )
    return sorted(found, key=lambda t: (len(t), t))[:COMPLETIONS]


# ---- snippets ---------------------------------------------------------------------------


def snippet(original: str, q: Query) -> list[dict[str, Any]]:
    """A part of the original text around its first match, as segments; a segment is
    marked where an original word's terms meet the query's. Marking works on the original
    words (vocalised, with prefixes), never on normalised text mapped back."""
    wanted = q.terms
    prefixes = q.prefixes
    words = nz.spans(original)

    def hit(ts: list[str]) -> bool:
        return any(t in wanted or any(t.startswith(p) for p in prefixes) for t in ts)

    marks = [hit(ts) for _, _, ts in words]
    first = marks.index(True) if True in marks else 0
    lo = max(0, first - SNIPPET_WORDS // 4)
    hi = min(len(words), lo + SNIPPET_WORDS)
    if not words:
        return [{"text": original[:300], "mark": False}]
    start = 0 if lo == 0 else words[lo][0]
    end = len(original) if hi == len(words) else words[hi - 1][1]
    out: list[dict[str, Any]] = []
    if lo > 0:
        out.append({"text": "… ", "mark": False})
    pos = start
    for (s, e, _), m in zip(words[lo:hi], marks[lo:hi], strict=True):
        if m:
            if s > pos:
                out.append({"text": original[pos:s], "mark": False})
            out.append({"text": original[s:e], "mark": True})
            pos = e
    if end > pos:
        out.append({"text": original[pos:end], "mark": False})
    if hi < len(words):
        out.append({"text": " …", "mark": False})
    return out


# ---- searching ---------------------------------------------------------------------------
# The SQL below is assembled from fixed fragments only; every value (the match expression,
# the filters, the party) is a bound parameter.

_COLS = (
    "r.id, r.idx, r.of_idx, r.source, r.area, r.kind, r.subject, r.field, r.link, r.lang, "
    "r.party, r.member, r.time, r.withheld, r.text"
)


def _filters(area: str | None, lang: str | None, sees_all: bool) -> tuple[str, dict[str, Any]]:
    sql, params = "", {}
    if area:
        sql += " AND r.area = :area"
        params["area"] = area
    if lang:
        sql += " AND r.lang = :lang"
        params["lang"] = lang
    if sees_all:  # it found the text where it was first written
        sql += " AND r.copy_of IS NULL"
    return sql, params


def _fetch(conn: Connection, sql: str, params: dict[str, Any]) -> list[tuple[int, str]]:
    """The candidates (id, terms) through the driver's own cursor, in the connection's
    transaction: for 2,000 rows SQLAlchemy's result rows cost twice what the driver's
    fetch does (measured: 7 ms against 2.5 ms), as much as ranking them."""
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(sql, params)
        return cast(list[tuple[int, str]], cur.fetchall())
    finally:
        cur.close()


def _sqlite(
    conn: Connection, q: Query, party: str | None, where: str, params: dict[str, Any]
) -> list[tuple[int, str]]:
    """The newest CANDIDATES matches: FTS5 walks the match (party filter inside it) in
    descending rowid order and stops at the limit, whatever the number of matches."""
    return _fetch(
        conn,
        "SELECT search_fts.rowid, r.terms FROM search_fts "  # noqa: S608
        "JOIN search_rows r ON r.id = search_fts.rowid "
        f"WHERE search_fts MATCH :m{where} ORDER BY search_fts.rowid DESC LIMIT :k",
        {**params, "m": fts5_match(q, party), "k": CANDIDATES},
    )


# PostgreSQL's GIN index cannot return matches newest first, so the newest are found by
# age windows, newest first, each window ONE age token of the rows (projector.AGE_SHIFTS)
# ANDed with the words and the party: the rest of the newest bucket of 8,192 entries, the
# bucket before it, then the rest of the enclosing bucket of 32,768 and the one before,
# and so on up the sizes, then whatever is older, until CANDIDATES are found. A single
# token is an entry every match needs, so GIN's fast scan skips along the words' posting
# lists to the window's rows; a common word stops in the first windows, a rare one costs
# a few small index probes.
_PER_SIZE = 2
# When the windows read so far cover this many entries, the density they saw decides
# whether the rest is read at once: when it would hold at most _JUMP_RATIO times the
# matches still wanted.
_JUMP_AFTER = 1 << 15
_JUMP_RATIO = 2


def age_windows(top: int, smallest: int = AGE_SHIFTS[0]) -> Iterator[tuple[str | None, int]]:
    """(the window's age token, its first entry), newest first: each window ends where
    the one before began, the first at entry `top`, and the last (no token) at entry 0;
    buckets from size 2**smallest up."""
    below = top + 1
    for shift in (s for s in AGE_SHIFTS if s >= smallest):
        for _ in range(_PER_SIZE):
            if below <= 0:
                return
            bucket = (below - 1) >> shift
            below = bucket << shift
            yield age_mark(shift, bucket), below
    if below > 0:
        yield None, 0


def _postgresql(
    conn: Connection, q: Query, party: str | None, where: str, params: dict[str, Any]
) -> list[tuple[int, str]]:
    tq = tsquery(q, completions(conn, q.prefixes) if q.prefixes else None)
    if party is not None:
        tq = f"({tq}) & {_ts_term(PARTY_MARK.format(party))}"
    # A plan for these words, not a generic one: psycopg prepares a statement run often,
    # and PostgreSQL's generic plan for "tsv @@ $1 ORDER BY id DESC LIMIT $2" walks the
    # primary key backwards, reading the whole table for a rare word.
    conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    top = conn.execute(text("SELECT max(id) FROM search_rows")).scalar_one()
    if top is None:
        return []
    # psycopg's placeholders: the filters' `:name` become `%(name)s`.
    sql = re.sub(
        r":(\w+)",
        r"%(\1)s",
        f"SELECT r.id, r.terms FROM search_rows r WHERE r.tsv @@ CAST(:tq AS tsquery){where} "  # noqa: S608
        "AND r.id < :below ORDER BY r.id DESC LIMIT :k",
    )
    found: list[tuple[int, str]] = []
    below = int(top) + 1
    top_entry = int(top) // TEXTS_PER_ENTRY
    for window_mark, lo in age_windows(top_entry):
        mark = window_mark
        # Few matches so far: if the rest of the log, at the density seen, holds not many
        # more than are still wanted, it is read in one query. A rare word (or a word
        # being typed, whose prefix GIN expands once per query) then costs one scan, not
        # one per window.
        covered = top_entry + 1 - below // TEXTS_PER_ENTRY
        if mark is not None and covered >= _JUMP_AFTER:
            wanted = CANDIDATES - len(found)
            if len(found) * (below // TEXTS_PER_ENTRY) <= _JUMP_RATIO * wanted * covered:
                mark = None
        window = tq if mark is None else f"({tq}) & {_ts_term(mark)}"
        args = {**params, "tq": window, "below": below, "k": CANDIDATES - len(found)}
        found.extend(_fetch(conn, sql, args))
        if len(found) >= CANDIDATES or mark is None:
            break
        below = lo * TEXTS_PER_ENTRY
    return found


# Ranking, the same on both databases, over the candidates only: Okapi BM25's term
# frequency with length normalisation. Every candidate holds every word of the query (or
# the prefix being typed), so an inverse document frequency would only reweigh words that
# all candidates share; it is left out, and with it the databases' per-query scans of each
# term's whole posting list (FTS5's bm25() counts every row holding each phrase).
_K1 = 1.2
_B = 0.75


def _counters(q: Query) -> tuple[list[str], list[re.Pattern[str]]]:
    """For each group of the query, what counts its occurrences in a row's terms written
    with two spaces between terms and one around: a needle for str.count (in C, every
    occurrence), or a pattern for the word being typed."""
    needles: list[str] = []
    patterns: list[re.Pattern[str]] = []
    for i, g in enumerate(q.groups):
        if i == len(q.groups) - 1 and q.prefixes and len(g) == 1:
            alts = [re.escape(g[0]), *(re.escape(p) + r"\S*" for p in q.prefixes)]
            patterns.append(re.compile(r"(?<= )(?:" + "|".join(alts) + r")(?= )"))
        else:
            needles.append(" " + "  ".join(g) + " ")
    return needles, patterns


def rank(candidates: list[tuple[int, str]], q: Query) -> list[int]:
    """The candidates' ids, best first, newest first among equals."""
    if not candidates:
        return []
    needles, patterns = _counters(q)
    lengths = [t.count(" ") + 1 for _, t in candidates]
    fixed, per_term = _K1 * (1 - _B), _K1 * _B * len(lengths) / sum(lengths)
    k1 = _K1 + 1
    scored = []
    for (i, t), n in zip(candidates, lengths, strict=True):
        padded = " " + t.replace(" ", "  ") + " "
        norm = fixed + per_term * n
        score = 0.0
        for needle in needles:
            f = padded.count(needle)
            if f:
                score += f * k1 / (f + norm)
        for pattern in patterns:
            f = len(pattern.findall(padded))
            if f:
                score += f * k1 / (f + norm)
        scored.append((-score, -i))
    scored.sort()
    return [-i for _, i in scored]


def search_conn(
    conn: Connection,
    party: str | None,
    raw: str,
    *,
    area: str | None = None,
    lang: str | None = None,
    offset: int = 0,
    limit: int = PAGE,
) -> dict[str, Any]:
    """Search as `party` (None: a party that sees everything)."""
    if area is not None and area not in areas():
        raise Invalid(N_("kind must be one of %(kinds)s"), kinds=", ".join(areas()))
    if lang is not None and not re.fullmatch(r"[a-z]{2,3}", lang):
        raise Invalid(N_("lang is a language code such as ar, he or en"))
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid(N_("offset is from 0 to %(n)s"), n=MAX_OFFSET)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(N_("limit is from 1 to %(n)s"), n=MAX_PAGE)
    q = parse(raw)
    where, params = _filters(area, lang, party is None)
    run = _postgresql if conn.dialect.name == "postgresql" else _sqlite
    candidates = run(conn, q, party, where, params)
    # The candidates are the newest matches, up to CANDIDATES: below that they are all of
    # them, so the count is exact up to COUNT_CAP and "more than" beyond, at no extra cost.
    total = len(candidates)
    ids = rank(candidates, q)[offset : offset + limit]
    by_id = (
        {
            r.id: r
            for r in conn.execute(
                text(f"SELECT {_COLS} FROM search_rows r WHERE r.id IN :ids").bindparams(  # noqa: S608
                    bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            )
        }
        if ids
        else {}
    )
    rows = [by_id[i] for i in ids]
    results = [
        {
            "kind": r.kind,
            "area": r.area,
            "field": r.field,
            "link": r.link,
            "lang": r.lang,
            "source": r.source,
            "party": r.party,
            "member": r.member,
            "time": r.time,
            "index": int(r.idx),
            "of": int(r.of_idx),
            "withheld": bool(r.withheld),
            "snippet": [] if r.withheld else snippet(r.text, q),
        }
        for r in rows
    ]
    more = offset + len(results) < min(total, COUNT_CAP + 1) and offset + limit <= MAX_OFFSET
    return {
        "query": raw,
        "total": min(total, COUNT_CAP),
        "more_than": total > COUNT_CAP,
        "offset": offset,
        "results": results,
        "next_offset": offset + limit if more else None,
    }


def search(
    cell: Cell,
    who: Principal,
    raw: str,
    *,
    area: str | None = None,
    lang: str | None = None,
    offset: int = 0,
    limit: int = PAGE,
) -> dict[str, Any]:
    """What the member's party may read that matches `raw` (see the module's docstring)."""
    party = None if who.party in cell.ledger.genesis.sees_all else who.party
    with reading(cell.engine) as conn:
        return search_conn(conn, party, raw, area=area, lang=lang, offset=offset, limit=limit)

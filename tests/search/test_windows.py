"""PostgreSQL's newest-first windows (search.queries._postgresql) give what one query over
the whole index gives, whether the windows go on or the rest is read at once: the same
candidates, newest first, for words, phrases and words being typed, for each party.

The texts are the benchmark's (bench/search.py), on entries spread over a million
indexes so that the windows of every size are walked."""

from __future__ import annotations

from typing import Any

import pytest
from bench.search import Corpus, entries
from sqlalchemy import text

from fusioncell.db import make_engine, migrate, reading, transaction
from fusioncell.search import queries
from fusioncell.search.projector import SearchProjector

TEXTS = 1500
SPREAD = 700  # entry i is at index i * SPREAD


def everything(conn: Any, q: queries.Query, party: str | None) -> list[int]:
    tq = queries.tsquery(q)
    if party is not None:
        tq = f"({tq}) & {queries._ts_term(queries.PARTY_MARK.format(party))}"
    rows = conn.execute(
        text(
            "SELECT id FROM search_rows WHERE tsv @@ CAST(:tq AS tsquery) ORDER BY id DESC LIMIT :k"
        ),
        {"tq": tq, "k": queries.CANDIDATES},
    )
    return [int(r.id) for r in rows]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_windows_find_the_newest_matches(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        corpus = Corpus(11)
        projector = SearchProjector()
        with transaction(engine) as conn:
            for entry, body in entries(corpus, TEXTS):
                object.__setattr__(entry, "index", entry.index * SPREAD)
                projector(conn, entry, body)
        monkeypatch.setattr(queries, "CANDIDATES", 40)  # so that windows do not stop at once
        asked = [corpus.query() for _ in range(60)] + ['"' + corpus.sentence("en")[:30] + '"']
        for raw in asked:
            q = queries.parse(raw)
            for party in ("IL", "SY", None):
                with reading(engine) as conn:
                    want = everything(conn, q, party)
                    for after, ratio in ((1 << 40, 0), (1, 2), (1, 1 << 20)):
                        # never jump; jump on the density; jump at the first chance
                        monkeypatch.setattr(queries, "_JUMP_AFTER", after)
                        monkeypatch.setattr(queries, "_JUMP_RATIO", ratio)
                        got = queries._postgresql(conn, q, party, "", {})
                        assert [i for i, _ in got] == want, (raw, party, after, ratio)
    finally:
        engine.dispose()

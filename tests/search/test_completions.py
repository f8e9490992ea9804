"""PostgreSQL completes a word being typed from the index's vocabulary (search_terms),
which a trigger keeps as rows are written, which migration 0020 fills from the rows
already indexed, and which a rebuild leaves whole. Completion is the shortest terms
first, at most COMPLETIONS of them; below that it finds exactly what GIN's own prefix
match (:*) finds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from bench.search import entry
from sqlalchemy import Engine, text

from fusioncell.db import alembic_config, make_engine, migrate, reading, transaction
from fusioncell.search import queries
from fusioncell.search.projector import SearchProjector

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def index(engine: Engine, texts: list[str], first: int = 1) -> None:
    projector = SearchProjector()
    with transaction(engine) as conn:
        for i, t in enumerate(texts, start=first):
            projector(conn, entry(i), {"thread": "x", "text": t, "lang": "en"})


def vocabulary(conn: Any) -> set[str]:
    return set(conn.execute(text("SELECT term FROM search_terms")).scalars())


def held(conn: Any) -> set[str]:
    return {t for (s,) in conn.execute(text("SELECT terms FROM search_rows")) for t in s.split()}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    e = make_engine(db_url)
    yield e
    e.dispose()


def test_the_vocabulary_follows_the_index(engine: Engine) -> None:
    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), "0019")
        conn.commit()
    index(engine, ["border crossing reopened", "الحدود مفتوحة"])  # before the vocabulary
    migrate(engine)
    with reading(engine) as conn:
        assert vocabulary(conn) == held(conn) != set()
    index(engine, ["והגבול נפתח", "crossing points"], first=10)  # by the trigger
    with reading(engine) as conn:
        assert vocabulary(conn) == held(conn)
        before = vocabulary(conn)
    with transaction(engine) as conn:  # a rebuild deletes the rows and writes them again
        conn.execute(text("DELETE FROM search_rows"))
    index(engine, ["border crossing reopened"])
    with reading(engine) as conn:
        assert vocabulary(conn) == before  # never pruned: a term no row holds finds nothing
        assert queries.search_conn(conn, "IL", "poin")["total"] == 0
        assert queries.search_conn(conn, "IL", "cross")["total"] == 1


def test_completions_are_the_nearest_terms_and_find_what_a_prefix_finds(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(engine)
    words = ["cross", "crossing", "crossroad", "crossbow", "crosswind", "crossfire", "cro"]
    index(engine, [f"{w} zone" for w in words] + ["across the line", "crow zone"])
    with reading(engine) as conn:
        for raw in ("cross", "cro", "crossw", "zone cros", "acr", "crossingx"):
            q = queries.parse(raw)
            want = conn.execute(
                text("SELECT id FROM search_rows WHERE tsv @@ CAST(:tq AS tsquery) ORDER BY id"),
                {"tq": queries.tsquery(q)},  # GIN's own prefix match
            ).scalars()
            got = sorted(i for i, _ in queries._postgresql(conn, q, None, "", {}))
            assert got == list(want), raw
        # Past the cap, the shortest completions are the ones asked for, the exact word
        # first, and the whole word still finds every text holding it.
        monkeypatch.setattr(queries, "COMPLETIONS", 3)
        assert queries.completions(conn, ["cro"]) == ["cro", "crow", "cross"]
        assert queries.search_conn(conn, "IL", "crossw")["total"] == 1
        assert queries.search_conn(conn, "IL", "crosswind ")["total"] == 1
        # A prefix is only ever a range of the vocabulary: LIKE's characters are letters.
        assert queries.completions(conn, ["cr%"]) == []
        assert queries.completions(conn, ["_"]) == []

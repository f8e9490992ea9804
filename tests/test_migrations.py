"""The migrations build exactly the schema the code declares: after `alembic upgrade head`
on an empty database, Alembic's autogenerate comparison finds nothing to add, drop or
change (tables, columns, types, nullability, indexes), on SQLite and on PostgreSQL. A table
added to a tables.py without its migration, or the reverse, fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from fusioncell.db import migrate, target_metadata


def test_migrations_match_the_declared_tables(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            diff = [
                d
                for d in compare_metadata(ctx, target_metadata())
                # alembic's own bookkeeping table is not declared by the code
                if not (d[0] == "remove_table" and d[1].name == "alembic_version")
                # SQLite's FTS5 search index and its shadow tables (migration 0016):
                # virtual tables, which SQLAlchemy cannot declare
                and not (d[0] == "remove_table" and d[1].name.startswith("search_fts"))
            ]
    finally:
        engine.dispose()
    assert diff == [], "\n".join(map(str, diff))

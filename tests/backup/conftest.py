"""Second databases for restores: an empty one on the backend of a given URL (PostgreSQL:
a schema of its own on the test server, as tests/conftest.py makes them)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A fresh PostgreSQL schema on the server of `base`, dropped afterwards."""
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with admin.connect() as c:
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": schema},
            )
            c.execute(text("SET lock_timeout = '60s'"))
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def empty_db(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """empty_db("sqlite" | "postgresql") -> the URL of a new, empty database there."""
    with ExitStack() as stack:
        n = 0

        def make(backend: str) -> str:
            nonlocal n
            n += 1
            if backend.startswith("sqlite"):
                return f"sqlite:///{tmp_path / f'restored-{n}.db'}"
            return stack.enter_context(pg_schema(request.getfixturevalue("pg_url")))

        yield make

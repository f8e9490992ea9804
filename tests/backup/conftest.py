"""Second databases for restores: an empty one on the backend of a given URL (PostgreSQL:
a schema of its own on the test server, made as tests/conftest.py makes each test's)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import pg_schema


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

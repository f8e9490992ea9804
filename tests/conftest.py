"""Shared fixtures. Every database test runs on SQLite and on PostgreSQL.

PostgreSQL: FUSIONCELL_TEST_PG (a SQLAlchemy URL) names the server; the default is the
local one at 127.0.0.1:5432, database `test`. Each test gets a schema of its own, dropped
afterwards. Set FUSIONCELL_TEST_PG=skip to run on SQLite alone (never in CI: there a
missing server fails the run).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from fusioncell.app import create_app
from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.client import MemberClient
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.ledger.keys import SigningKey
from fusioncell.settings import Settings

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_base_url() -> str | None:
    url = os.environ.get("FUSIONCELL_TEST_PG", PG_DEFAULT)
    return None if url == "skip" else url


def _pg_available(url: str) -> str | None:
    try:
        eng = create_engine(url)
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        eng.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = pg_base_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("FUSIONCELL_TEST_PG=skip is not allowed in CI")
        pytest.skip("PostgreSQL disabled by FUSIONCELL_TEST_PG=skip")
    problem = _pg_available(url)
    if problem:
        pytest.fail(f"PostgreSQL at {url} is not reachable ({problem}); set FUSIONCELL_TEST_PG")
    return url


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """The URL of a fresh schema on the PostgreSQL server of `base`, dropped afterwards."""
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        # Named by its schema, so that teardown can find every connection the test opened.
        yield f"{base}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with admin.connect() as c:
            # A connection left open by a stuck thread would hold locks that block the drop
            # forever (seen once in CI): end them first, and never wait on a lock unbounded.
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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cell.db'}"
        return
    with pg_schema(request.getfixturevalue("pg_url")) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data=tmp_path / "data", database_url=db_url)


@pytest.fixture
def cell(settings: Settings) -> Iterator[Cell]:
    c = init_cell(paris_charter_text(), settings)
    yield c
    c.close()


@pytest.fixture
def http(cell: Cell) -> Iterator[TestClient]:
    with TestClient(create_app(cell)) as client:
        yield client


@dataclass
class Actor:
    party: str
    member: str
    key: SigningKey
    token: str
    client: MemberClient


@pytest.fixture
def enroll(cell: Cell, http: TestClient):  # type: ignore[no-untyped-def]
    """enroll(party, member, role=liaison_officer, admin=False) -> Actor with a signed-in client."""

    def make(
        party: str, member: str, role: Role = Role.LIAISON_OFFICER, *, admin: bool = False
    ) -> Actor:
        key = new_member_key(party, member)
        register_member_key(cell, party, member, key.verifier.encode(), admin=admin)
        _, token = create_token(cell.engine, party, member, role, cell.clock.now())
        client = MemberClient(token=token, key=key, party=party, member=member, http=http)
        return Actor(party, member, key, token, client)

    return make

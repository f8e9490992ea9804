"""What the workstreams' conftests share: the Paris cell on a FrozenClock at T0 with no
deadline engine of its own, and members signed in with a workstream's client.

A conftest imports the fixtures (`settings`, `cell`, `clock`) to offer them to its tests,
and builds its `member` fixture with `member_maker`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.client import MemberClient
from fusioncell.clock import FrozenClock, rfc3339
from fusioncell.identity.accounts import do_add_member
from fusioncell.settings import Settings
from tests.conftest import Actor

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)  # the cell's clock when each test starts

C = TypeVar("C", bound=MemberClient)


def at(hours: float) -> str:
    """T0 + hours, in the log's time form."""
    return rfc3339(T0 + timedelta(hours=hours))


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    # No engine thread: a test runs `run_due` itself, so what acts and when is its to say.
    return Settings(data=tmp_path / "data", database_url=db_url, deadline_engine=False)


@contextmanager
def frozen_cell(settings: Settings, charter: str | None = None) -> Iterator[Cell]:
    """A cell of `charter` (the Paris charter if none) on a FrozenClock at T0."""
    c = init_cell(charter or paris_charter_text(), settings, clock=FrozenClock(T0))
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def cell(settings: Settings) -> Iterator[Cell]:
    with frozen_cell(settings) as c:
        yield c


@pytest.fixture
def clock(cell: Cell) -> FrozenClock:
    assert isinstance(cell.clock, FrozenClock)
    return cell.clock


def signed_in(client: type[C], actor: Actor, http: TestClient) -> C:
    """A `client` of the app under test, signing as the enrolled `actor`."""
    return client(
        token=actor.token, key=actor.key, party=actor.party, member=actor.member, http=http
    )


def member_maker(
    client: type[C],
    enroll: Callable[..., Actor],
    http: TestClient,
    *,
    in_log: Cell | None = None,
    role: Role = Role.LIAISON_OFFICER,
) -> Callable[..., C]:
    """make(party, name, role=`role`) -> a `client` signed in as that member; with `in_log`,
    the member is first added to that cell's log (`member.added`)."""

    def make(party: str, name: str, role: Role = role) -> C:
        if in_log is not None:
            do_add_member(in_log, party, name, role)
        return signed_in(client, enroll(party, name, role), http)

    return make

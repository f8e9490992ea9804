"""The in-process cache of bearer tokens: revocations in this process count at once, those
of another process once the cache's time is up; unknown tokens are never remembered."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.db import transaction
from fusioncell.identity import tokens
from fusioncell.identity.accounts import do_add_member, do_disable_member
from fusioncell.identity.tokens import (
    TOKEN_CACHE,
    TokenCache,
    api_tokens,
    create_token,
    principal_for_token,
)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class FakeTime:
    """Stands in for time.monotonic in fusioncell.identity.tokens."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(tokens, "time", fake)
    return fake


def test_disabling_a_member_ends_its_cached_tokens_at_once(http: TestClient, cell: Cell) -> None:
    do_add_member(cell, "SY", "sy-gone", Role.LIAISON_OFFICER)
    _, token = create_token(cell.engine, "SY", "sy-gone", Role.LIAISON_OFFICER, cell.clock.now())
    assert http.get("/log/v1/key", headers=auth(token)).status_code == 200  # now cached
    do_disable_member(cell, "sy-gone")
    assert http.get("/log/v1/key", headers=auth(token)).status_code == 401


def test_a_revocation_by_another_process_counts_once_the_cache_time_is_up(
    http: TestClient, cell: Cell, clock: FakeTime
) -> None:
    tid, token = create_token(cell.engine, "IL", "il-x", Role.AUDITOR, cell.clock.now())
    assert http.get("/log/v1/key", headers=auth(token)).status_code == 200
    # `fusioncell token revoke` in another process: the database changes, this cache not.
    with transaction(cell.engine) as conn:
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.token_id == tid)
            .values(revoked_at=cell.clock.now())
        )
    clock.now += tokens.TOKEN_CACHE_TTL_S + 0.001
    assert http.get("/log/v1/key", headers=auth(token)).status_code == 401


def test_unknown_and_revoked_tokens_are_not_cached(cell: Cell) -> None:
    from fusioncell.errors import Unauthenticated

    with pytest.raises(Unauthenticated):
        principal_for_token(cell.engine, "fct_" + "x" * 40)
    assert tokens.cached_principal(cell.engine, "fct_" + "x" * 40) is None


def test_a_lookup_that_raced_a_revocation_is_not_cached(cell: Cell) -> None:
    cache = TokenCache()
    who = Principal("SY", "sy-liaison", Role.LIAISON_OFFICER)
    before = cache.generation
    cache.forget(token_id="t1")  # a revocation committed while the lookup was reading
    cache.put(cell.engine, "digest", who, "t1", before)
    assert cache.get(cell.engine, "digest") is None
    cache.put(cell.engine, "digest", who, "t1", cache.generation)
    assert cache.get(cell.engine, "digest") == who


def test_the_cache_is_bounded(cell: Cell) -> None:
    cache = TokenCache(max_entries=3)
    who = Principal("SY", "sy-liaison", Role.LIAISON_OFFICER)
    for i in range(5):
        cache.put(cell.engine, f"d{i}", who, f"t{i}", cache.generation)
    assert [cache.get(cell.engine, f"d{i}") for i in range(5)] == [None, None, who, who, who]


def test_the_shared_cache_holds_what_was_looked_up(cell: Cell) -> None:
    _, token = create_token(cell.engine, "US", "us-duty", Role.DUTY_OFFICER, cell.clock.now())
    assert tokens.cached_principal(cell.engine, token) is None
    p = principal_for_token(cell.engine, token)
    assert TOKEN_CACHE.get(cell.engine, tokens._digest(token)) == p
    assert tokens.cached_principal(cell.engine, token) == p

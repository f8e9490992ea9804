"""API tokens for programs and witnesses: shown once, stored as SHA-256.

Tokens are 32 random bytes, so a fast hash is enough (unlike passwords, nothing to
brute-force); they are secrets, never entries of the log.

A token's principal is kept in memory for TOKEN_CACHE_TTL_S seconds after it was read
from the database (the append path would otherwise spend a database read on every
request). Revoking a token, or disabling its member, in this process forgets it at once;
done by another process (`fusioncell token revoke` while the server runs), it takes
effect within TOKEN_CACHE_TTL_S. Unknown and revoked tokens are never cached.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import weakref
from datetime import datetime

from sqlalchemy import Column, DateTime, Engine, String, Table, insert, select, update

from fusioncell.authz import Principal, Role
from fusioncell.db import reading, transaction
from fusioncell.errors import Invalid, NotFound, Unauthenticated
from fusioncell.ledger.tables import metadata

PREFIX = "fct_"

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("token_id", String(16), nullable=False, unique=True),  # shown in lists, not secret
    Column("party", String(8), nullable=False),
    Column("member", String(255), nullable=False),
    Column("role", String(32), nullable=False),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)


TOKEN_CACHE_TTL_S = 2.0
TOKEN_CACHE_MAX = 4096  # entries per database; the oldest go first


class _Cached:
    __slots__ = ("expires", "member", "principal", "token_id")

    def __init__(self, principal: Principal, token_id: str, expires: float) -> None:
        self.principal = principal
        self.token_id = token_id
        self.member = principal.member
        self.expires = expires


class TokenCache:
    """Token digest -> principal, per database (engine), for a few seconds."""

    def __init__(self, ttl: float = TOKEN_CACHE_TTL_S, max_entries: int = TOKEN_CACHE_MAX) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        # Bumped by every forget(): a lookup that read the database before a revocation
        # committed must not cache what it read after the revocation was forgotten.
        self.generation = 0
        # Weak keys: a disposed engine (tests make many cells) takes its entries with it.
        self._by_engine: weakref.WeakKeyDictionary[Engine, dict[str, _Cached]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, engine: Engine, digest: str) -> Principal | None:
        with self._lock:
            entries = self._by_engine.get(engine)
            hit = None if entries is None else entries.get(digest)
            if entries is None or hit is None:
                return None
            if hit.expires <= time.monotonic():
                del entries[digest]
                return None
            return hit.principal

    def put(
        self, engine: Engine, digest: str, principal: Principal, token_id: str, generation: int
    ) -> None:
        with self._lock:
            if generation != self.generation:
                return
            entries = self._by_engine.setdefault(engine, {})
            if len(entries) >= self.max_entries:
                del entries[next(iter(entries))]
            entries[digest] = _Cached(principal, token_id, time.monotonic() + self.ttl)

    def forget(self, *, token_id: str | None = None, member: str | None = None) -> None:
        """Drop a token (by id) or every token of a member, in every database."""
        with self._lock:
            self.generation += 1
            for entries in self._by_engine.values():
                for digest in [
                    d
                    for d, c in entries.items()
                    if c.token_id == token_id or (member is not None and c.member == member)
                ]:
                    del entries[digest]


TOKEN_CACHE = TokenCache()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    engine: Engine, party: str, member: str, role: Role | str, now: datetime, label: str = ""
) -> tuple[str, str]:
    """Return (token_id, token). The token itself is never stored."""
    try:
        role = Role(role)
    except ValueError as exc:
        raise Invalid(f"unknown role {role!r}") from exc
    token = PREFIX + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(8)
    with transaction(engine) as conn:
        conn.execute(
            insert(api_tokens).values(
                token_sha256=_digest(token),
                token_id=token_id,
                party=party,
                member=member,
                role=role.value,
                label=label,
                created_at=now,
            )
        )
    return token_id, token


def revoke_token(engine: Engine, token_id: str, now: datetime) -> None:
    with transaction(engine) as conn:
        res = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if res.rowcount != 1:
            raise NotFound("no such active token")
    TOKEN_CACHE.forget(token_id=token_id)


def _check_form(token: str) -> None:
    if not token.startswith(PREFIX) or len(token) > 100:
        raise Unauthenticated("not a fusioncell API token")


def cached_principal(engine: Engine, token: str) -> Principal | None:
    """The token's principal if it was looked up in the last few seconds, else None.
    Reads no database, so the event loop may call it (see the module's docstring)."""
    _check_form(token)
    return TOKEN_CACHE.get(engine, _digest(token))


def principal_for_token(engine: Engine, token: str) -> Principal:
    _check_form(token)
    digest = _digest(token)
    hit = TOKEN_CACHE.get(engine, digest)
    if hit is not None:
        return hit
    generation = TOKEN_CACHE.generation
    with reading(engine) as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.token_sha256 == digest)).first()
    if (
        row is None
        or row.revoked_at is not None
        or not hmac.compare_digest(row.token_sha256, digest)
    ):
        raise Unauthenticated("unknown or revoked token")
    principal = Principal(row.party, row.member, Role(row.role))
    TOKEN_CACHE.put(engine, digest, principal, row.token_id, generation)
    return principal

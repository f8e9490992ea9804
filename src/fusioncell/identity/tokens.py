"""API tokens for programs and witnesses: shown once, stored as SHA-256.

Tokens are 32 random bytes, so a fast hash is enough (unlike passwords, nothing to
brute-force); they are secrets, never entries of the log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
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


def principal_for_token(engine: Engine, token: str) -> Principal:
    if not token.startswith(PREFIX) or len(token) > 100:
        raise Unauthenticated("not a fusioncell API token")
    digest = _digest(token)
    with reading(engine) as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.token_sha256 == digest)).first()
    if (
        row is None
        or row.revoked_at is not None
        or not hmac.compare_digest(row.token_sha256, digest)
    ):
        raise Unauthenticated("unknown or revoked token")
    return Principal(row.party, row.member, Role(row.role))

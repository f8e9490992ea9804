"""Members: who they are (in the log), their passwords and invitations (not in the log)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update

from fusioncell.authz import Role
from fusioncell.cell import Cell, check_party
from fusioncell.db import reading, transaction
from fusioncell.errors import N_, Conflict, Invalid, NotFound
from fusioncell.identity.devices import _as_root
from fusioncell.identity.tables import credentials, invitations, sessions
from fusioncell.identity.tokens import TOKEN_CACHE, api_tokens
from fusioncell.ledger.entry import MEMBER_RE, ROOT_MEMBER, SYSTEM_MEMBER
from fusioncell.ledger.store import Appended
from fusioncell.ledger.tables import log_members
from fusioncell.ledger.trust import MEMBER_ADDED, MEMBER_DISABLED

MIN_PASSWORD = 12
MAX_PASSWORD = 256
INVITATION_TTL = timedelta(days=7)

# argon2id with argon2-cffi's RFC 9106 "low memory" profile (64 MiB, t=3, p=4).
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Member:
    member: str
    party: str
    role: Role
    added: int
    disabled: int | None

    @property
    def active(self) -> bool:
        return self.disabled is None


def _row_member(r: object) -> Member:
    return Member(r.member, r.party, Role(r.role), r.added, r.disabled)  # type: ignore[attr-defined]


def get_member(engine: Engine, member: str) -> Member:
    with reading(engine) as conn:
        r = conn.execute(select(log_members).where(log_members.c.member == member)).first()
    if r is None:
        raise NotFound(N_("no member %(member)r"), member=member)
    return _row_member(r)


def list_members(engine: Engine, party: str | None = None) -> list[Member]:
    q = select(log_members).order_by(log_members.c.party, log_members.c.member)
    if party is not None:
        q = q.where(log_members.c.party == party)
    with reading(engine) as conn:
        return [_row_member(r) for r in conn.execute(q)]


def check_member_id(member: str) -> str:
    if not MEMBER_RE.match(member) or member in (ROOT_MEMBER, SYSTEM_MEMBER):
        raise Invalid(
            f"member id {member!r}: 1-64 of a-z 0-9 . _ - starting with a letter or digit "
            "(not 'root' or 'system')"
        )
    return member


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def do_add_member(cell: Cell, party: str, member: str, role: Role | str) -> tuple[Appended, str]:
    """Add a member (signed by the party's root key) and return its one-time invitation."""
    check_party(cell, party)
    check_member_id(member)
    try:
        role = Role(role)
    except ValueError as exc:
        raise Invalid(f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}") from exc
    with reading(cell.engine) as conn:
        if conn.execute(select(log_members.c.member).where(log_members.c.member == member)).first():
            raise Conflict(f"member {member} already exists")
    done = _as_root(
        cell,
        party,
        MEMBER_ADDED,
        f"{party}/{member}",
        {"party": party, "member": member, "role": role.value},
    )
    return done, create_invitation(cell.engine, member, cell.clock.now())


def do_disable_member(cell: Cell, member: str) -> Appended:
    m = get_member(cell.engine, member)
    if not m.active:
        raise Conflict(f"member {member} is already disabled")
    done = _as_root(
        cell, m.party, MEMBER_DISABLED, f"{m.party}/{member}", {"party": m.party, "member": member}
    )
    now = cell.clock.now()
    with transaction(cell.engine) as conn:  # a disabled member keeps no way in
        conn.execute(
            update(sessions)
            .where(sessions.c.member == member, sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.member == member, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    TOKEN_CACHE.forget(member=member)  # this process stops accepting them at once
    return done


def create_invitation(engine: Engine, member: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    with transaction(engine) as conn:
        conn.execute(delete(invitations).where(invitations.c.member == member))
        conn.execute(
            insert(invitations).values(
                token_sha256=_sha(token),
                member=member,
                created_at=now,
                expires_at=now + INVITATION_TTL,
            )
        )
    return token


def invitation_member(engine: Engine, token: str, now: datetime) -> str:
    with reading(engine) as conn:
        r = conn.execute(
            select(invitations).where(invitations.c.token_sha256 == _sha(token))
        ).first()
    if r is None or r.used_at is not None or _aware(r.expires_at) < now:
        raise NotFound(N_("this invitation link is unknown, used or expired"))
    return str(r.member)


def _aware(t: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    from datetime import UTC

    return t if t.tzinfo else t.replace(tzinfo=UTC)


def check_password_strength(password: str, member: str) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            N_("a password has %(min)s to %(max)s characters"), min=MIN_PASSWORD, max=MAX_PASSWORD
        )
    if member.lower() in password.lower():
        raise Invalid(N_("a password must not contain the member id"))


def set_password(engine: Engine, member: str, password: str) -> None:
    check_password_strength(password, member)
    digest = _hasher.hash(password)
    with transaction(engine) as conn:
        done = conn.execute(
            update(credentials)
            .where(credentials.c.member == member)
            .values(password_hash=digest, failed_attempts=0, locked_until=None)
        )
        if done.rowcount == 0:
            conn.execute(
                insert(credentials).values(
                    member=member, password_hash=digest, totp_confirmed=False, failed_attempts=0
                )
            )


def use_invitation(engine: Engine, token: str, password: str, now: datetime) -> str:
    member = invitation_member(engine, token, now)
    set_password(engine, member, password)
    with transaction(engine) as conn:
        conn.execute(
            update(invitations).where(invitations.c.token_sha256 == _sha(token)).values(used_at=now)
        )
    return member


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def password_matches(stored: str | None, password: str) -> bool:
    if stored is None:
        # Spend the same time as a real check, so unknown members are not told apart.
        with contextlib.suppress(VerificationError, InvalidHashError):
            _hasher.verify(_dummy_hash(), password)
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def member_language(engine: Engine, member: str) -> str | None:
    """The page language the member chose, if any."""
    with reading(engine) as conn:
        r = conn.execute(
            select(credentials.c.language).where(credentials.c.member == member)
        ).first()
    return r.language if r is not None else None


def set_language(engine: Engine, member: str, lang: str) -> None:
    with transaction(engine) as conn:
        conn.execute(
            update(credentials).where(credentials.c.member == member).values(language=lang)
        )

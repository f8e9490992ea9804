"""Server-side sessions and sign-in: argon2id passwords, TOTP, rate limits and lock-out."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import Engine, delete, func, insert, select, update

from fusioncell.db import reading, transaction
from fusioncell.errors import N_, Invalid, NotFound, RateLimited, Unauthenticated
from fusioncell.identity.accounts import Member, get_member, password_matches
from fusioncell.identity.tables import credentials, sessions, signin_attempts

MAX_FAILURES = 5  # consecutive failures that lock a member out
LOCKOUT = timedelta(minutes=15)
IP_WINDOW = timedelta(minutes=10)
IP_MAX_ATTEMPTS = 30  # failed attempts from one address within IP_WINDOW


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    member: str
    csrf: str
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    user_agent: str
    ip: str
    pending_totp: bool


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    lifetime: timedelta = timedelta(hours=12)
    idle: timedelta = timedelta(hours=1)
    require_totp: bool = True


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _row_session(r: Any) -> Session:
    g = r._mapping
    return Session(
        id=g["id"],
        member=g["member"],
        csrf=g["csrf"],
        created_at=_utc(g["created_at"]),
        last_seen=_utc(g["last_seen"]),
        expires_at=_utc(g["expires_at"]),
        user_agent=g["user_agent"],
        ip=g["ip"],
        pending_totp=bool(g["pending_totp"]),
    )


def _record_failure(engine: Engine, member: str | None, ip: str, now: datetime) -> None:
    with transaction(engine) as conn:
        conn.execute(insert(signin_attempts).values(key=f"ip:{ip}", at=now))
        conn.execute(delete(signin_attempts).where(signin_attempts.c.at < now - IP_WINDOW))
        if member is not None:
            conn.execute(
                update(credentials)
                .where(credentials.c.member == member)
                .values(failed_attempts=credentials.c.failed_attempts + 1)
            )
            r = conn.execute(
                select(credentials.c.failed_attempts).where(credentials.c.member == member)
            ).first()
            if r is not None and r.failed_attempts >= MAX_FAILURES:
                conn.execute(
                    update(credentials)
                    .where(credentials.c.member == member)
                    .values(locked_until=now + LOCKOUT, failed_attempts=0)
                )


def _check_ip(engine: Engine, ip: str, now: datetime) -> None:
    with reading(engine) as conn:
        n = conn.execute(
            select(func.count()).where(
                signin_attempts.c.key == f"ip:{ip}", signin_attempts.c.at >= now - IP_WINDOW
            )
        ).scalar_one()
    if n >= IP_MAX_ATTEMPTS:
        raise RateLimited(N_("too many failed sign-ins from this address; wait ten minutes"))


def authenticate(engine: Engine, member_id: str, password: str, ip: str, now: datetime) -> Member:
    """The member, if the password is right; the same answer for unknown and wrong."""
    _check_ip(engine, ip, now)
    wrong = Unauthenticated(N_("wrong member id or password"))
    try:
        member = get_member(engine, member_id.strip())
    except NotFound:
        member = None
    with reading(engine) as conn:
        cred = (
            conn.execute(select(credentials).where(credentials.c.member == member.member)).first()
            if member is not None
            else None
        )
    locked = _aware(cred.locked_until) if cred is not None else None
    if locked is not None and locked > now:
        raise RateLimited(
            N_("too many failed attempts: this member is locked until %(time)s UTC"),
            time=f"{locked:%H:%M}",
        )
    ok = password_matches(cred.password_hash if cred is not None else None, password)
    if not ok or member is None or not member.active:
        _record_failure(engine, member.member if member and cred else None, ip, now)
        raise wrong
    with transaction(engine) as conn:
        conn.execute(
            update(credentials)
            .where(credentials.c.member == member.member)
            .values(failed_attempts=0)
        )
    return member


def create_session(
    engine: Engine,
    member: str,
    now: datetime,
    policy: SessionPolicy,
    *,
    user_agent: str = "",
    ip: str = "",
    pending_totp: bool = False,
) -> tuple[str, Session]:
    token = secrets.token_urlsafe(32)
    sid = secrets.token_hex(8)
    values = {
        "id": sid,
        "token_sha256": _sha(token),
        "member": member,
        "csrf": secrets.token_urlsafe(32),
        "created_at": now,
        "last_seen": now,
        "expires_at": now + policy.lifetime,
        "user_agent": user_agent[:300],
        "ip": ip[:64],
        "pending_totp": pending_totp,
    }
    with transaction(engine) as conn:
        conn.execute(insert(sessions).values(**values))
    return token, _row_session(_Row(values))


class _Row:
    def __init__(self, m: dict[str, object]) -> None:
        self._mapping = m


def session_for_token(engine: Engine, token: str, now: datetime, policy: SessionPolicy) -> Session:
    with reading(engine) as conn:
        r = conn.execute(select(sessions).where(sessions.c.token_sha256 == _sha(token))).first()
    if r is None or r.revoked_at is not None:
        raise Unauthenticated(N_("your session has ended; sign in again"))
    s = _row_session(r)
    if s.expires_at <= now or s.last_seen + policy.idle <= now:
        raise Unauthenticated(N_("your session has expired; sign in again"))
    if now - s.last_seen > timedelta(minutes=1):  # keep writes rare on busy pages
        with transaction(engine) as conn:
            conn.execute(update(sessions).where(sessions.c.id == s.id).values(last_seen=now))
    return s


def revoke_session(engine: Engine, member: str, sid: str, now: datetime) -> None:
    with transaction(engine) as conn:
        done = conn.execute(
            update(sessions)
            .where(
                sessions.c.id == sid, sessions.c.member == member, sessions.c.revoked_at.is_(None)
            )
            .values(revoked_at=now)
        )
    if done.rowcount != 1:
        raise NotFound(N_("no such session"))


def list_sessions(engine: Engine, member: str, now: datetime) -> list[Session]:
    with reading(engine) as conn:
        rows = conn.execute(
            select(sessions)
            .where(
                sessions.c.member == member,
                sessions.c.revoked_at.is_(None),
                sessions.c.expires_at > now,
            )
            .order_by(sessions.c.last_seen.desc())
        ).all()
    return [_row_session(r) for r in rows]


# ---- TOTP --------------------------------------------------------------------------


def totp_state(engine: Engine, member: str) -> tuple[str | None, bool]:
    with reading(engine) as conn:
        r = conn.execute(
            select(credentials.c.totp_secret, credentials.c.totp_confirmed).where(
                credentials.c.member == member
            )
        ).first()
    return (r.totp_secret, bool(r.totp_confirmed)) if r is not None else (None, False)


def start_totp(engine: Engine, member: str) -> str:
    secret, confirmed = totp_state(engine, member)
    if secret is not None and confirmed:
        raise Invalid(N_("TOTP is already set up"))
    if secret is None:
        secret = pyotp.random_base32()
        with transaction(engine) as conn:
            conn.execute(
                update(credentials).where(credentials.c.member == member).values(totp_secret=secret)
            )
    return secret


def totp_uri(secret: str, member: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=member, issuer_name=issuer)


def complete_totp(engine: Engine, session: Session, code: str, ip: str, now: datetime) -> None:
    """Check the code of a half-signed-in session; on success the session is complete."""
    secret, confirmed = totp_state(engine, session.member)
    code = (code or "").strip().replace(" ", "")
    if (
        secret is None
        or not code.isdigit()
        or not pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1)
    ):
        _check_ip(engine, ip, now)
        _record_failure(engine, session.member, ip, now)
        raise Unauthenticated(N_("that code is not right; check your authenticator's clock"))
    with transaction(engine) as conn:
        if not confirmed:
            conn.execute(
                update(credentials)
                .where(credentials.c.member == session.member)
                .values(totp_confirmed=True)
            )
        conn.execute(update(sessions).where(sessions.c.id == session.id).values(pending_totp=False))

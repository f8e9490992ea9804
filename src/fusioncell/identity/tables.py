"""Identity tables. Secrets (password hashes, TOTP seeds, session and invitation tokens) live
here and never in the log; who is a member, with which role and keys, is in the log
(`log_members`, `log_keys`)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text

from fusioncell.ledger.tables import metadata

credentials = Table(
    "member_credentials",
    metadata,
    Column("member", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=True),  # argon2id; None until set
    Column("totp_secret", String(64), nullable=True),
    Column("totp_confirmed", Boolean, nullable=False, default=False),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("language", String(8), nullable=True),  # the member's choice of page language
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(16), primary_key=True),  # public handle, shown on the profile
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("member", String(64), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("user_agent", String(300), nullable=False, default=""),
    Column("ip", String(64), nullable=False, default=""),
    Column("pending_totp", Boolean, nullable=False, default=False),
)

invitations = Table(
    "invitations",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("member", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

signin_attempts = Table(
    "signin_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(128), nullable=False, index=True),  # "ip:..." or "member:..."
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)

device_requests = Table(
    "device_requests",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("member", String(64), nullable=False, index=True),
    Column("party", String(8), nullable=False),
    Column("vkey", Text, nullable=False),
    Column("label", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("registered_index", Integer, nullable=True),  # the log entry that approved it
    Column("rejected_at", DateTime(timezone=True), nullable=True),
)

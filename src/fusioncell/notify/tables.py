"""The notifications' tables. None is a projection of the log: what a member chose (channels,
address, webhook and its secret) is operational state like a session, and the outbox and its
cursor record what this server sent. `rebuild` leaves them alone."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from fusioncell.ledger.tables import Position, metadata

# A member's choices: an e-mail address, and the channels per urgency (JSON
# {"FLASH": ["web", "email", "webhook"], ...}; a level left out takes the default).
notify_settings = Table(
    "notify_settings",
    metadata,
    Column("member", String(64), primary_key=True),
    Column("email", String(254), nullable=True),
    Column("channels", Text, nullable=False, default="{}"),
    Column("updated_at", String(32), nullable=False),
)

# Webhooks: a member's own (member set, at most one) or a party's (member NULL, set up by
# the party admin). The secret signs every delivery (HMAC-SHA256); it is shown once, when
# made, and kept here because signing needs it.
notify_webhooks = Table(
    "notify_webhooks",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=True, unique=True),
    Column("url", Text, nullable=False),
    Column("secret", String(64), nullable=False),
    Column("label", String(100), nullable=False, default=""),
    Column("urgencies", String(64), nullable=False),  # party webhooks: ",FLASH,IMMEDIATE,"
    Column("created_by", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
)
Index("ix_notify_webhooks_party", notify_webhooks.c.party)

# How far the notifier has read the log: every entry up to `idx` has its outbox rows.
notify_cursor = Table(
    "notify_cursor",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("idx", Position, nullable=False),
)

# One row per notification and channel. Written with the cursor's move, in one
# transaction, so no entry is skipped or enqueued twice; `delivery` is derived from the
# unique key, so a receiver can tell a repeated delivery from a new one.
notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("entry_idx", Position, nullable=False),
    Column("recipient", String(80), nullable=False),  # a member id, or "hook:<id>" (a party's)
    Column("channel", String(8), nullable=False),  # web | email | webhook
    Column("item", String(160), nullable=False, default=""),
    Column("delivery", String(40), nullable=False, unique=True),
    Column("party", String(8), nullable=False),  # the recipient's party
    Column("kind", String(64), nullable=False),  # the entry's kind
    Column("urgency", String(16), nullable=False),
    Column("rank", Integer, nullable=False),  # 0 FLASH ... 3 ROUTINE: sent in this order
    Column("payload", Text, nullable=False),  # JSON facts; texts are made when sent or shown
    Column("state", String(8), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", String(32), nullable=True),  # pending: when to try next
    Column("last_error", Text, nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("sent_at", String(32), nullable=True),
    Column("read_at", String(32), nullable=True),  # the web channel: marked read
    UniqueConstraint("entry_idx", "recipient", "channel", "item", name="uq_notify_outbox_key"),
)
Index("ix_notify_outbox_due", notify_outbox.c.state, notify_outbox.c.next_at)
Index(
    "ix_notify_outbox_recipient",
    notify_outbox.c.recipient,
    notify_outbox.c.channel,
    notify_outbox.c.id,
)

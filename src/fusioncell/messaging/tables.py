"""The cell's tables. Threads, messages, versions, acknowledgements and pins are projections
of the log (rebuilt from it); attachments' bytes and receipts are not in the log: a file's
hash is in the signed message, and receipts record what this server observed."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, LargeBinary, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

cell_threads = Table(
    "cell_threads",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("workstream", String(32), nullable=False),
    Column("topic", Text, nullable=False),
    Column("topic_lang", String(8), nullable=False),
    Column("parties", String(200), nullable=False),  # ",IL,SY,US," like log visibility
    Column("opened_idx", Position, nullable=False),
    Column("opened_party", String(8), nullable=False),
    Column("opened_member", String(64), nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("last_idx", Position, nullable=False),  # newest entry of the thread
    Column("last_at", String(32), nullable=False),
    Column("messages", Integer, nullable=False, default=0),
)

cell_messages = Table(
    "cell_messages",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),  # the posting entry
    Column("thread", String(32), nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("text", Text, nullable=False),  # the current version
    Column("lang", String(8), nullable=False),
    Column("reply_to", Position, nullable=True),
    Column("attachments", Text, nullable=False, default="[]"),  # JSON, as signed
    Column("posted_at", String(32), nullable=False),
    Column("versions", Integer, nullable=False, default=1),
    Column("edited_at", String(32), nullable=True),
    Column("retracted_idx", Position, nullable=True),
    Column("retracted_at", String(32), nullable=True),
    Column("retract_reason", Text, nullable=True),
    Column("retract_lang", String(8), nullable=True),
    Column("pinned", Boolean, nullable=False, default=False),
    Column("requires_ack", Boolean, nullable=False),
    Column("ack_due", String(32), nullable=True),  # computed from the charter when posted
    Column("addressed", String(200), nullable=False),  # ",IL,": who must acknowledge
    Column("acks_missing", Integer, nullable=False, default=0),  # open while > 0
)
Index("ix_cell_messages_thread", cell_messages.c.thread, cell_messages.c.idx)
Index("ix_cell_messages_open", cell_messages.c.acks_missing, cell_messages.c.ack_due)

# Every version of every message, the first included: edits never overwrite.
cell_versions = Table(
    "cell_versions",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),  # the entry
    Column("message", Position, nullable=False, index=True),
    Column("member", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
)

cell_acks = Table(
    "cell_acks",
    metadata,
    Column("message", Position, primary_key=True, autoincrement=False),
    Column("party", String(8), primary_key=True),
    Column("idx", Position, nullable=False),
    Column("member", String(64), nullable=False),
    Column("time", String(32), nullable=False),
)

cell_attachments = Table(
    "cell_attachments",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("type", String(100), nullable=False),  # as detected, not as claimed
    Column("size", Integer, nullable=False),
    Column("party", String(8), nullable=False),  # who uploaded it first
    Column("member", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# Which message carries which file: a file is readable by whoever may read such a message.
cell_message_files = Table(
    "cell_message_files",
    metadata,
    Column("message", Position, primary_key=True, autoincrement=False),
    Column("sha256", String(64), primary_key=True),
    Column("thread", String(32), nullable=False),
    Index("ix_cell_message_files_sha256", "sha256"),
)

# Receipts per message and party: the first delivery to any member of the party over the
# live stream, and the first time one of them had it on screen. Observed by the server.
cell_receipts = Table(
    "cell_receipts",
    metadata,
    Column("message", Position, primary_key=True, autoincrement=False),
    Column("party", String(8), primary_key=True),
    Column("what", String(9), primary_key=True),  # "delivered" | "read"
    Column("member", String(64), nullable=False),
    Column("time", String(32), nullable=False),
)

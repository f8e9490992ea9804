"""The log's tables. Entries, bodies, nodes and checkpoints are the record itself; the key
and witness tables are projections of it that the appender needs to check trust fast."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite stores an INTEGER PRIMARY KEY as the row id itself: no second index to keep.
Position = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1: the row appends lock
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
)

log_entries = Table(
    "log_entries",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("leaf", LargeBinary, nullable=False),  # canonical(entry): the signed record
    Column("statement_sha256", LargeBinary(32), nullable=False, unique=True),  # replays
    Column("kind", String(64), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("visibility", String(200), nullable=False),  # ",IL,US," for LIKE filters
    Column("time", String(32), nullable=False),
)
Index("ix_log_entries_kind_subject", log_entries.c.kind, log_entries.c.subject)

log_bodies = Table(
    "log_bodies",
    metadata,
    Column("idx", Position, ForeignKey("log_entries.idx"), primary_key=True, autoincrement=False),
    Column("body", LargeBinary, nullable=False),  # canonical JSON
)

log_nodes = Table(
    "log_nodes",
    metadata,
    Column("key", Position, primary_key=True, autoincrement=False),  # merkle.node_key
    Column("hash", LargeBinary(32), nullable=False),
)

log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("size", Position, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("time", String(32), nullable=False),
)

log_cosignatures = Table(
    "log_cosignatures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", BigInteger, ForeignKey("log_checkpoints.size"), nullable=False),
    Column("witness", String(255), nullable=False),
    Column("line", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    UniqueConstraint("size", "witness", name="uq_log_cosignatures_size_witness"),
)

log_keys = Table(
    "log_keys",
    metadata,
    Column("party", String(8), primary_key=True),
    Column("member", String(64), primary_key=True),
    Column("key_id", String(8), primary_key=True),
    Column("vkey", Text, nullable=False),
    Column("admin", Boolean, nullable=False),
    Column("registered", BigInteger, nullable=False),
    Column("revoked", BigInteger, nullable=True),
)

log_witnesses = Table(
    "log_witnesses",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("party", String(8), nullable=False),
    Column("vkey", Text, nullable=False),
    Column("registered", BigInteger, nullable=False),
    Column("revoked", BigInteger, nullable=True),
)

log_members = Table(
    "log_members",
    metadata,
    Column("member", String(64), primary_key=True),  # member ids are unique in a cell
    Column("party", String(8), nullable=False),
    Column("role", String(32), nullable=False),
    Column("added", BigInteger, nullable=False),
    Column("disabled", BigInteger, nullable=True),
)

"""Helpers for the ledger tests: a malicious operator, a forked copy of a cell, witnesses,
and a real HTTP server for the command line.

The "operator" here holds the log key and the database: everything a rogue host of the
cell could do. What it cannot do is sign as an author, so the attacks below keep every
author signature intact and rewrite only what the operator controls (times, order, which
entries exist) before re-signing the tree with the log key.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from sqlalchemy import Engine, Integer, delete, insert, select, text, update

from fusioncell.backup.take import tables as backup_tables
from fusioncell.cell import Cell, open_cell
from fusioncell.db import make_engine, migrate, reading, transaction
from fusioncell.identity.devices import register_witness_key
from fusioncell.identity.tokens import create_token
from fusioncell.ledger import merkle
from fusioncell.ledger.entry import leaf_bytes, parse_leaf
from fusioncell.ledger.keys import ALG_COSIGNATURE_V1, SigningKey
from fusioncell.ledger.note import Checkpoint, sign_note
from fusioncell.ledger.tables import (
    log_bodies,
    log_checkpoints,
    log_cosignatures,
    log_entries,
    log_head,
    log_nodes,
)
from fusioncell.settings import Settings

Row = dict[str, Any]

# ---- witnesses ------------------------------------------------------------------------


def add_witness(cell: Cell, party: str, name: str) -> tuple[SigningKey, str]:
    """Register a party's witness key in the log; return the key and the witness's token."""
    key = SigningKey.generate(name, ALG_COSIGNATURE_V1)
    register_witness_key(cell, party, key.verifier.encode())
    _, token = create_token(cell.engine, party, name, "witness", cell.clock.now())
    return key, token


# ---- the malicious operator -----------------------------------------------------------


def with_time(leaf: bytes, time: str) -> bytes:
    """The same entry with another server time: the author's signature still holds."""
    e = parse_leaf(leaf)
    return leaf_bytes(e.index, time, e.statement.raw, e.sig)


def rewrite_time(
    index: int, time: str = "2020-01-01T00:00:00.000Z"
) -> Callable[[list[Row]], list[Row]]:
    def edit(rows: list[Row]) -> list[Row]:
        rows[index]["leaf"] = with_time(bytes(rows[index]["leaf"]), time)
        return rows

    return edit


def drop(index: int) -> Callable[[list[Row]], list[Row]]:
    def edit(rows: list[Row]) -> list[Row]:
        return rows[:index] + rows[index + 1 :]

    return edit


def keep_first(n: int) -> Callable[[list[Row]], list[Row]]:
    def edit(rows: list[Row]) -> list[Row]:
        return rows[:n]

    return edit


def forge_history(
    engine: Engine, log_key: SigningKey, edit: Callable[[list[Row]], list[Row]]
) -> str:
    """Rewrite the stored log as a rogue operator would, and return the new signed checkpoint.

    `edit` gets every entry row (with its body) in order and returns the rows the log shall
    hold; entries that moved are renumbered (their leaves rewritten with the new index, which
    the author never signed). Then every tree node is recomputed from the leaves with
    merkle.append_nodes, the head is moved, and the old checkpoints (and the cosignatures
    on them: the evidence) are replaced by one new checkpoint signed with the log key.
    """
    with transaction(engine) as conn:
        rows = [
            dict(r._mapping)
            for r in conn.execute(
                select(log_entries, log_bodies.c.body)
                .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
                .order_by(log_entries.c.idx)
            )
        ]
        rows = edit(rows)
        for i, r in enumerate(rows):
            e = parse_leaf(bytes(r["leaf"]))
            r["idx"] = i
            r["time"] = e.time
            r["leaf"] = leaf_bytes(i, e.time, e.statement.raw, e.sig)
        for table in (log_cosignatures, log_checkpoints, log_bodies, log_entries, log_nodes):
            conn.execute(delete(table))
        conn.execute(
            insert(log_entries), [{k: v for k, v in r.items() if k != "body"} for r in rows]
        )
        conn.execute(insert(log_bodies), [{"idx": r["idx"], "body": r["body"]} for r in rows])
        nodes = merkle.append_nodes(0, [merkle.leaf_hash(r["leaf"]) for r in rows], lambda _: {})
        conn.execute(
            insert(log_nodes), [{"key": merkle.node_key(n), "hash": h} for n, h in nodes.items()]
        )
        size = len(rows)
        root = merkle.root(size, lambda ns: {n: nodes[n] for n in ns})
        note = sign_note(Checkpoint(log_key.name, size, root).body(), log_key)
        conn.execute(
            insert(log_checkpoints).values(size=size, root=root, note=note, time=rows[-1]["time"])
        )
        conn.execute(update(log_head).where(log_head.c.id == 1).values(size=size, root=root))
    return note


# ---- a forked copy of a cell ----------------------------------------------------------


def fork_cell(cell: Cell, settings: Settings) -> Cell:
    """A second cell, run by the same operator with the same log key, holding a copy of
    `cell`'s database as it stands now: from here on the two can be made to diverge.

    Works on both backends: the rows are copied table by table into a fresh database (on
    PostgreSQL, another schema, whose id sequences are then moved past the copied ids).
    """
    shutil.copytree(cell.settings.data, settings.data)
    engine = make_engine(settings.db_url())
    migrate(engine)
    with reading(cell.engine) as src, transaction(engine) as dst:
        for table in backup_tables():  # search_terms follows search_rows by trigger
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            if not rows:
                continue
            dst.execute(insert(table), rows)
            pk = list(table.primary_key.columns)
            serial = len(pk) == 1 and pk[0].autoincrement and isinstance(pk[0].type, Integer)
            if dst.dialect.name == "postgresql" and serial:
                seq = f"pg_get_serial_sequence('{table.name}', '{pk[0].name}')"
                dst.execute(
                    text(f'SELECT setval({seq}, (SELECT max("{pk[0].name}") FROM "{table.name}"))')
                )
    return open_cell(settings, engine=engine)


# ---- a real server --------------------------------------------------------------------


@contextmanager
def uvicorn_server(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread; yield its base URL.

    The socket is bound and listening before the thread starts, so a client may connect at
    once: the kernel queues the connection until the server accepts it (no wait, no poll).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()

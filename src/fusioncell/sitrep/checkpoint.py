"""What the report rests on: the log's latest signed checkpoint with the cosignatures it
has gathered, and the newest checkpoint that a witness cosigned (witnesses cosign a
little after the log signs, so the latest one often has none yet).

Each is given as the C2SP note itself (a reader checks the log's signature and each
witness's with the keys it trusts, `fusioncell log verify`) and read out: size, root,
the time the log signed it, and who cosigned it (the witness's name, its party, when)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import reading
from fusioncell.ledger.canonical import b64e
from fusioncell.ledger.note import Checkpoint, split_note
from fusioncell.ledger.tables import log_checkpoints, log_cosignatures, log_witnesses


def _described(note: str, time: str | None, parties: dict[str, str]) -> dict[str, Any]:
    body, sigs = split_note(note)
    cp = Checkpoint.parse_body(body)
    cosigned = []
    for s in sigs:
        if s.name == cp.origin:  # the log's own signature
            continue
        # cosignature/v1: the bytes after the key id are u64 big-endian time || signature
        at = datetime.fromtimestamp(int.from_bytes(s.blob[:8], "big"), UTC)
        cosigned.append({"witness": s.name, "party": parties.get(s.name), "time": rfc3339(at)})
    return {
        "origin": cp.origin,
        "size": cp.size,
        "root": b64e(cp.root),
        "root_hex": cp.root.hex(),
        "time": time,
        "note": note,
        "cosignatures": cosigned,
    }


def log_checkpoint(cell: Cell) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The latest checkpoint, and the newest one any witness cosigned (None: none yet)."""
    latest = cell.ledger.checkpoint()  # the log's own reading: note and cosignature lines
    size = Checkpoint.parse_body(split_note(latest)[0]).size
    with reading(cell.engine) as conn:
        parties = {
            str(n): str(p)
            for n, p in conn.execute(select(log_witnesses.c.name, log_witnesses.c.party))
        }
        signed_at = conn.execute(
            select(log_checkpoints.c.time).where(log_checkpoints.c.size == size)
        ).scalar()
        witnessed_size = conn.execute(
            select(func.max(log_cosignatures.c.size)).where(log_cosignatures.c.size <= size)
        ).scalar()
        witnessed = None
        if witnessed_size is not None:
            row = conn.execute(
                select(log_checkpoints.c.note, log_checkpoints.c.time).where(
                    log_checkpoints.c.size == witnessed_size
                )
            ).one()
            lines = conn.execute(
                select(log_cosignatures.c.line)
                .where(log_cosignatures.c.size == witnessed_size)
                .order_by(log_cosignatures.c.witness)
            ).scalars()
            witnessed = _described(str(row.note) + "".join(lines), row.time, parties)
    return _described(latest, signed_at, parties), witnessed

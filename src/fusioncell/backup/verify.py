"""What a restore proves before it commits: the log verifies from entry 0, its stored tree
and checkpoints are the ones its entries make, and every projection is what a rebuild
from the log gives.

The log is checked by the same offline verifier as `fusioncell log verify`
(fusioncell.ledger.verify): the restored entries are written out as an export and read
back, so author signatures, the trust chain, bodies and the root of the signed
checkpoint are checked exactly as any party would. On top of that this module checks
what an export leaves out but a running cell relies on: every stored tree node (the
witnesses' consistency proofs are made of them), every stored checkpoint and every
cosignature, and the log's head row. Each stored checkpoint is checked with the log key
in force at its size (docs/log.md, "Rotating keys"); verify_dir checks the rotations.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Table, Text, cast, func, select

from fusioncell.backup.archive import DERIVED, Kind, column_kind, encode_value
from fusioncell.errors import Invalid
from fusioncell.ledger import merkle
from fusioncell.ledger.canonical import EncodingError, b64e, loads_canonical
from fusioncell.ledger.keys import VerifierKey
from fusioncell.ledger.note import open_checkpoint, parse_signature_line, verify_cosignature
from fusioncell.ledger.store import read_log_keys
from fusioncell.ledger.tables import (
    log_bodies,
    log_checkpoints,
    log_cosignatures,
    log_entries,
    log_head,
    log_nodes,
    log_witnesses,
)
from fusioncell.ledger.trust import Genesis, key_in_force
from fusioncell.ledger.verify import VerifyError, verify_dir

Progress = Callable[[str, int, int], None]
CHUNK = 2000


class VerificationFailed(Invalid):
    """The restored data does not verify; the restore was rolled back."""


@dataclass
class LogCheck:
    origin: str
    size: int
    root: bytes
    visible: int
    checkpoints: int
    cosignatures: int
    nodes: int
    cosigned_by: list[str] = field(default_factory=list)


def _fail(message: str, **params: object) -> VerificationFailed:
    return VerificationFailed(message, **params)


def _fetch(conn: Connection) -> merkle.Fetch:
    def fetch(nodes: Any) -> dict[merkle.Node, bytes]:
        keys = [merkle.node_key(n) for n in nodes]
        out: dict[merkle.Node, bytes] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            for k, h in conn.execute(
                select(log_nodes.c.key, log_nodes.c.hash).where(log_nodes.c.key.in_(part))
            ):
                out[merkle.key_node(int(k))] = bytes(h)
        return out

    return fetch


def _perfect_subtrees(size: int) -> int:
    """How many perfect subtrees a tree of `size` leaves stores (the leaves included)."""
    n, level = 0, 0
    while size >> level:
        n += size >> level
        level += 1
    return n


def check_log(conn: Connection, *, workers: int | None, progress: Progress | None) -> LogCheck:
    """Verify the log as this connection sees it; raise VerificationFailed."""
    head = conn.execute(select(log_head.c.size, log_head.c.root)).first()
    if head is None:
        raise _fail("the restored database has no log head")
    size, head_root = int(head.size), bytes(head.root)
    raw = conn.execute(select(log_bodies.c.body).where(log_bodies.c.idx == 0)).scalar()
    if raw is None or size < 1:
        raise _fail("the restored log has no entry 0")
    try:
        genesis = Genesis.from_body(loads_canonical(bytes(raw)))
    except EncodingError as exc:
        raise _fail("entry 0 is not a charter: %(e)s", e=str(exc)) from None
    try:
        log_keys = read_log_keys(conn, genesis)
    except (EncodingError, KeyError, TypeError) as exc:
        raise _fail("a log key rotation is unreadable: %(e)s", e=str(exc)) from None
    walk = _Walk(conn, log_keys)
    with tempfile.TemporaryDirectory(prefix="fusioncell-verify-") as tmp:
        export = Path(tmp)
        with (export / "entries.jsonl").open("w", encoding="utf-8") as fh:
            for start in range(0, size, CHUNK):
                end = min(start + CHUNK, size)
                walk.chunk(start, end, fh)
                if progress:
                    progress("log", end, size)
        nodes = walk.check_totals(size, head_root)
        note = conn.execute(
            select(log_checkpoints.c.note).where(log_checkpoints.c.size == size)
        ).scalar()
        cosigs = conn.execute(
            select(log_cosignatures.c.line)
            .where(log_cosignatures.c.size == size)
            .order_by(log_cosignatures.c.witness)
        ).scalars()
        (export / "checkpoint.txt").write_text(str(note) + "".join(cosigs), encoding="utf-8")
        (export / "key.txt").write_text(genesis.log_key.encode() + "\n", encoding="utf-8")
        try:
            report = verify_dir(
                export,
                workers=workers,
                progress=(lambda d, t: progress("verify", d, t)) if progress else None,
            )
        except VerifyError as exc:
            raise _fail("the restored log does not verify: %(e)s", e=str(exc)) from None
    if (report.size, report.root) != (size, head_root):
        raise _fail("the verified log is not the log's head")
    return LogCheck(
        genesis.origin,
        size,
        head_root,
        report.visible,
        walk.checkpoints,
        walk.cosignatures,
        nodes,
        report.cosigned_by,
    )


class _Walk:
    """One pass over the entries, chunk by chunk: writes the export lines, and checks the
    tree nodes and checkpoints (with their cosignatures) the entries make."""

    def __init__(self, conn: Connection, log_keys: list[tuple[int, VerifierKey]]) -> None:
        self.conn = conn
        self.log_keys = log_keys
        self.witnesses = {
            r.name: VerifierKey.parse(r.vkey)
            for r in conn.execute(select(log_witnesses.c.name, log_witnesses.c.vkey))
        }
        self.tree = merkle.CompactRange()
        self.fetch = _fetch(conn)
        self.checkpoints = 0
        self.cosignatures = 0

    def chunk(self, start: int, end: int, fh: IO[str]) -> None:
        conn = self.conn
        rows = conn.execute(
            select(log_entries.c.idx, log_entries.c.leaf, log_bodies.c.body)
            .join(log_bodies, log_bodies.c.idx == log_entries.c.idx, isouter=True)
            .where(log_entries.c.idx >= start, log_entries.c.idx < end)
            .order_by(log_entries.c.idx)
        ).all()
        in_range = (start, end)
        cps = {
            int(r.size): r
            for r in conn.execute(select(log_checkpoints).where(_sizes(log_checkpoints, in_range)))
        }
        lines: dict[int, list[str]] = {}
        for c in conn.execute(
            select(log_cosignatures.c.size, log_cosignatures.c.line).where(
                _sizes(log_cosignatures, in_range)
            )
        ):
            lines.setdefault(int(c.size), []).append(str(c.line))
        hashes = []
        for expected, r in enumerate(rows, start=start):
            if int(r.idx) != expected or r.body is None:
                raise _fail("entry %(i)s or its body is missing", i=expected)
            leaf = bytes(r.leaf)
            h = merkle.leaf_hash(leaf)
            hashes.append(h)
            line = {
                "index": expected,
                "leaf_hash": b64e(h),
                "entry": b64e(leaf),
                "body": loads_canonical(bytes(r.body)),
            }
            fh.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
            self.tree.append(h)
            cp_row = cps.pop(self.tree.size, None)
            if cp_row is not None:
                self.cosignatures += _check_checkpoint(
                    cp_row,
                    self.tree.root(),
                    key_in_force(self.log_keys, self.tree.size),
                    self.witnesses,
                    lines.pop(self.tree.size, []),
                )
                self.checkpoints += 1
        if len(rows) != end - start:
            raise _fail("entry %(i)s or its body is missing", i=start + len(rows))
        if cps or lines:
            raise _fail("a checkpoint or cosignature names a size no entry reaches")
        # The tree nodes these leaves complete, against those stored.
        made = merkle.append_nodes(start, hashes, self.fetch)
        stored = self.fetch(made)
        bad = [n for n, h in made.items() if stored.get(n) != h]
        if bad:
            raise _fail(
                "tree node %(n)s is missing or wrong (consistency proofs would fail)",
                n=str(bad[0]),
            )

    def check_totals(self, size: int, head_root: bytes) -> int:
        conn = self.conn
        nodes = int(conn.execute(select(func.count()).select_from(log_nodes)).scalar() or 0)
        if nodes != _perfect_subtrees(size):
            raise _fail(
                "the tree holds %(n)s nodes; a log of %(s)s entries has %(m)s",
                n=nodes,
                s=size,
                m=_perfect_subtrees(size),
            )
        total = int(conn.execute(select(func.count()).select_from(log_checkpoints)).scalar() or 0)
        if total != self.checkpoints:
            raise _fail("a checkpoint names a size beyond the log's head")
        if self.tree.root() != head_root:
            raise _fail("the log's head row does not match its entries")
        return nodes


def _sizes(table: Table, in_range: tuple[int, int]) -> Any:
    """Checkpoint sizes that the entries [start, end) complete: start < size <= end."""
    return (table.c.size > in_range[0]) & (table.c.size <= in_range[1])


def _check_checkpoint(
    row: Any, root: bytes, log_key: VerifierKey, witnesses: dict[str, VerifierKey], lines: list[str]
) -> int:
    size = int(row.size)
    if bytes(row.root) != root:
        raise _fail("checkpoint %(n)s's root is not the tree's", n=size)
    try:
        cp, _ = open_checkpoint(str(row.note), log_key)
    except EncodingError as exc:
        raise _fail("checkpoint %(n)s: %(e)s", n=size, e=str(exc)) from None
    if (cp.size, cp.root) != (size, root):
        raise _fail("checkpoint %(n)s's note names another size or root", n=size)
    for line in lines:
        try:
            sig = parse_signature_line(line.rstrip("\n"))
            verify_cosignature(cp.body(), sig, _witness(witnesses, sig.name))
        except EncodingError as exc:
            raise _fail("a cosignature of checkpoint %(n)s: %(e)s", n=size, e=str(exc)) from None
    return len(lines)


def _witness(witnesses: dict[str, VerifierKey], name: str) -> VerifierKey:
    key = witnesses.get(name)
    if key is None:
        raise EncodingError(f"{name} is not a registered witness")
    return key


# ---- projections ---------------------------------------------------------------------------


def table_digest(conn: Connection, table: Table) -> tuple[int, str]:
    """Rows and a SHA-256 over every column of every row, in primary-key order. Derived
    columns are included as text, so PostgreSQL's recomputed search vectors are checked."""
    exprs: list[Any] = []
    kinds: list[Kind] = []
    for c in table.columns:
        if (table.name, c.name) in DERIVED:
            exprs.append(cast(c, Text) if conn.dialect.name == "postgresql" else c)
            kinds.append("str")
        else:
            exprs.append(c)
            kinds.append(column_kind(c))
    order = list(table.primary_key.columns) or list(table.columns)
    sha = hashlib.sha256()
    n = 0
    for row in conn.execute(select(*exprs).order_by(*order)):
        values = [encode_value(k, v) for k, v in zip(kinds, row, strict=True)]
        sha.update(json.dumps(values, ensure_ascii=False).encode() + b"\n")
        n += 1
    return n, sha.hexdigest()


def check_projections(conn: Connection, progress: Progress | None) -> int:
    """Rebuild every projection from the log in this transaction and compare: the restored
    projections must be exactly what the log gives. Returns the tables compared."""
    from fusioncell.identity.tables import device_requests
    from fusioncell.projections import PROJECTED, default_projectors, rebuild_in

    compared = [*PROJECTED, device_requests]
    before = {t.name: table_digest(conn, t) for t in compared}
    rebuild_in(
        conn,
        default_projectors(),
        (lambda d, t: progress("rebuild", d, t)) if progress else None,
    )
    after = {t.name: table_digest(conn, t) for t in compared}
    differ = sorted(name for name in before if before[name] != after[name])
    if differ:
        raise _fail("projections differ from a rebuild from the log: %(t)s", t=", ".join(differ))
    return len(compared)

"""Evidence bundles: a few entries of the log, as one party sees them, with everything
needed to check them offline (docs/log.md, "Evidence bundles").

A bundle holds the entries asked for, the trust chain below its checkpoint (entry 0 and
every key, witness and member entry: all visible to every party), each with its leaf hash
and its RFC 9162 inclusion proof, the checkpoint note with its cosignatures, and the log's
verifier key. An entry the party may not read keeps only its leaf hash and proof, as in
an export. `verify_bundle` replays the trust chain over the entries in index order with
the same KeyRing the appender uses, so an altered body, leaf, proof or checkpoint, or a
trust entry taken out, fails naming the entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select

from fusioncell.db import reading
from fusioncell.errors import Invalid
from fusioncell.ledger import merkle
from fusioncell.ledger.canonical import (
    EncodingError,
    b64d,
    b64e,
    canonical,
    loads_canonical,
    sha256_hex,
)
from fusioncell.ledger.entry import parse_leaf
from fusioncell.ledger.keys import VerifierKey
from fusioncell.ledger.store import Ledger
from fusioncell.ledger.tables import log_bodies, log_checkpoints, log_cosignatures, log_entries
from fusioncell.ledger.trust import CHAIN_KINDS, Genesis, KeyRing, TrustError
from fusioncell.ledger.verify import (
    VerifyError,
    _cosigners,
    check_anchor,
    open_early,
    open_in_force,
)

FORMAT = "fusioncell-evidence/1"
MAX_INDICES = 1000
_FIELDS = {"format", "origin", "key", "checkpoint", "party", "indices", "entries"}
_ENTRY_FIELDS = {"index", "leaf_hash", "entry", "body", "proof"}


def _checkpoint(ledger: Ledger, covers: int) -> tuple[int, str]:
    """The newest checkpoint covering index `covers` that a witness cosigned, else the
    newest one: (size, note with its cosignatures)."""
    with reading(ledger.engine) as conn:
        cosigned = (
            select(log_cosignatures.c.size)
            .where(log_cosignatures.c.size > covers)
            .order_by(log_cosignatures.c.size.desc())
            .limit(1)
        )
        size = conn.execute(cosigned).scalar()
        if size is None:
            size = conn.execute(
                select(log_checkpoints.c.size).order_by(log_checkpoints.c.size.desc()).limit(1)
            ).scalar()
        if size is None or int(size) <= covers:
            raise Invalid("no checkpoint covers these entries yet")
        note = conn.execute(
            select(log_checkpoints.c.note).where(log_checkpoints.c.size == size)
        ).scalar()
        lines = conn.execute(
            select(log_cosignatures.c.line)
            .where(log_cosignatures.c.size == size)
            .order_by(log_cosignatures.c.witness)
        ).scalars()
        return int(size), str(note) + "".join(lines)


def make_bundle(ledger: Ledger, indices: Iterable[int], party: str) -> dict[str, Any]:
    """The evidence bundle of entries `indices` for `party` (a JSON-ready dict)."""
    wanted = sorted(set(indices))
    if not wanted or len(wanted) > MAX_INDICES or wanted[0] < 0:
        raise Invalid(f"a bundle holds 1 to {MAX_INDICES} entries")
    size, note = _checkpoint(ledger, wanted[-1])
    with reading(ledger.engine) as conn:
        rows = conn.execute(
            select(
                log_entries.c.idx, log_entries.c.leaf, log_entries.c.visibility, log_bodies.c.body
            )
            .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
            .where(
                log_entries.c.idx < size,
                or_(
                    log_entries.c.idx.in_(wanted),
                    log_entries.c.idx == 0,
                    log_entries.c.kind.in_(sorted(CHAIN_KINDS)),
                ),
            )
            .order_by(log_entries.c.idx)
        ).all()
    entries = []
    for r in rows:
        leaf = bytes(r.leaf)
        readable = ledger.may_read(party, r.visibility.strip(",").split(","))
        entries.append(
            {
                "index": int(r.idx),
                "leaf_hash": b64e(merkle.leaf_hash(leaf)),
                "entry": b64e(leaf) if readable else None,
                "body": loads_canonical(bytes(r.body)) if readable else None,
                "proof": [b64e(h) for h in ledger.inclusion_proof(int(r.idx), size)],
            }
        )
    return {
        "format": FORMAT,
        "origin": ledger.origin,
        "key": ledger.genesis.log_key.encode(),
        "checkpoint": note,
        "party": party,
        "indices": wanted,
        "entries": entries,
    }


@dataclass
class BundleReport:
    origin: str
    size: int  # the checkpoint's
    entries: int
    readable: int
    indices: list[int]
    cosigned_by: list[str] = field(default_factory=list)


def _b64(value: Any, index: int, what: str, length: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise VerifyError(index, f"{what} must be base64 text")
    try:
        return b64d(value, length=length, what=what)
    except EncodingError as exc:
        raise VerifyError(index, str(exc)) from exc


def _proven(obj: Any, size: int, root: bytes, previous: int) -> tuple[int, bytes]:
    """An entry's index and leaf hash, proven included under the checkpoint's root."""
    if not isinstance(obj, dict) or set(obj) != _ENTRY_FIELDS:
        raise VerifyError(previous + 1, "an entry has index, leaf_hash, entry, body and proof")
    index = obj["index"]
    if type(index) is not int or index <= previous:
        raise VerifyError(previous + 1, "entries must run in increasing index order")
    if index >= size:
        raise VerifyError(index, f"beyond the checkpoint's size {size}")
    lh = _b64(obj["leaf_hash"], index, "leaf_hash", 32)
    proof = obj["proof"]
    if not isinstance(proof, list):
        raise VerifyError(index, "proof must be a list of hashes")
    path = [_b64(h, index, "proof hash", 32) for h in proof]
    if not merkle.verify_inclusion(lh, index, size, path, root):
        raise VerifyError(index, "the inclusion proof does not lead to the checkpoint's root")
    return index, lh


def _check_entry(ring: KeyRing | None, obj: Any, size: int, root: bytes, previous: int) -> Any:
    """Check one entry of the bundle; return (index, statement or None, body)."""
    index, lh = _proven(obj, size, root, previous)
    body = obj["body"]
    if obj["entry"] is None:
        if body is not None:
            raise VerifyError(index, "a body without its entry")
        return index, None, None
    leaf = _b64(obj["entry"], index, "entry")
    if merkle.leaf_hash(leaf) != lh:
        raise VerifyError(index, "leaf_hash does not match the entry's bytes")
    try:
        entry = parse_leaf(leaf)
    except EncodingError as exc:
        raise VerifyError(index, str(exc)) from exc
    if entry.index != index:
        raise VerifyError(index, f"the entry's bytes say index {entry.index}")
    st = entry.statement
    if body is not None and (
        not isinstance(body, dict) or sha256_hex(canonical(body)) != st.body_sha256
    ):
        raise VerifyError(index, "body does not match the statement's body_sha256")
    if ring is not None:
        try:
            ring.check(index, st, entry.sig, body)
        except TrustError as exc:
            raise VerifyError(index, str(exc)) from exc
        if st.kind in CHAIN_KINDS:
            ring.apply(index, st, body)
    return index, st, body


def verify_bundle(data: Any) -> BundleReport:
    """Verify an evidence bundle; raise VerifyError naming the first entry that fails."""
    if not isinstance(data, dict) or set(data) - {"about"} != _FIELDS:
        raise VerifyError(None, f"a bundle has the fields {', '.join(sorted(_FIELDS))}")
    if data["format"] != FORMAT:
        raise VerifyError(None, f"not a {FORMAT} bundle")
    try:
        log_key = VerifierKey.parse(str(data["key"]).strip())
    except EncodingError as exc:
        raise VerifyError(None, f"key: {exc}") from exc
    cp = open_early(str(data["checkpoint"]), log_key, "checkpoint")
    entries = data["entries"]
    if not isinstance(entries, list) or not entries:
        raise VerifyError(0, "the bundle holds no entries")
    first = entries[0]
    _, _, body = _check_entry(None, first, cp.size, cp.root, -1)
    if not isinstance(first, dict) or first.get("index") != 0 or body is None:
        raise VerifyError(0, "entry 0, the visible charter.adopted, must come first")
    try:
        genesis = Genesis.from_body(body)
    except EncodingError as exc:
        raise VerifyError(0, f"entry 0 must be the charter.adopted: {exc}") from exc
    ring = KeyRing(genesis)
    previous, readable = -1, 0
    seen = []
    for obj in entries:
        index, st, _ = _check_entry(ring, obj, cp.size, cp.root, previous)
        previous = index
        seen.append(index)
        readable += st is not None
    indices = data["indices"]
    if not isinstance(indices, list) or not all(type(i) is int for i in indices):
        raise VerifyError(None, "indices must be a list of log indices")
    missing = sorted(set(indices) - set(seen))
    if missing:
        raise VerifyError(missing[0], "an entry the bundle is about is not in it")
    # The bundle holds every log.key.rotated below the checkpoint's size (they are in
    # its trust chain), so the ring knows the key in force at that size.
    check_anchor(log_key, ring, "the bundle's")
    others = open_in_force(str(data["checkpoint"]), ring, "checkpoint")
    return BundleReport(
        cp.origin, cp.size, len(seen), readable, sorted(indices), _cosigners(cp, others, ring)
    )

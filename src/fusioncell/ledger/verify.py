"""Offline verification of an exported log (`fusioncell log export` / `log verify`).

Everything is checked from the export alone: the checkpoint's signature against key.txt,
every visible entry's bytes, canonical form, author signature, key registration and body
hash, the index sequence, and the tree root over every leaf hash (hidden entries too).
key.txt is the charter's log key; the log's own `log.key.rotated` entries, replayed with
the rest of the trust chain, say which key must have signed the checkpoint.
Work is split across processes by chunks; key registrations are rare, so each chunk is
checked against the key ring known when it was sent, and rechecked in the rare case that
an earlier chunk changed the ring.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fusioncell.ledger import merkle
from fusioncell.ledger.canonical import EncodingError, b64d, canonical, sha256_hex
from fusioncell.ledger.entry import parse_leaf
from fusioncell.ledger.keys import VerifierKey
from fusioncell.ledger.note import (
    Checkpoint,
    Signature,
    open_checkpoint,
    split_note,
    verify_cosignature,
)
from fusioncell.ledger.trust import CHAIN_KINDS, Genesis, KeyRing, TrustError

CHUNK = 2000


class VerifyError(Exception):
    def __init__(self, index: int | None, message: str) -> None:
        where = f"entry {index}" if index is not None else "log"
        super().__init__(f"{where}: {message}")
        self.index = index
        self.message = message


@dataclass
class Report:
    origin: str
    size: int
    root: bytes
    visible: int = 0
    hidden: int = 0
    cosigned_by: list[str] = field(default_factory=list)
    # (index of the entry naming it, key): the charter's log key, then each rotation's.
    log_keys: list[tuple[int, VerifierKey]] = field(default_factory=list)


@dataclass
class _ChunkResult:
    start: int
    leaf_hashes: list[bytes]
    visible: int
    ring_version: int
    trust: list[tuple[int, bytes, bytes, dict[str, Any]]]  # index, leaf, sig, body
    failure: tuple[int, str] | None = None


def _text(line: bytes, expected: int) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerifyError(expected, f"line is not UTF-8: {exc.reason}") from exc


def _check_line(
    ring: KeyRing, expected: int, raw: bytes
) -> tuple[bytes, bool, tuple[int, bytes, bytes, dict[str, Any]] | None]:
    line = _text(raw, expected)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise VerifyError(expected, f"line is not JSON: {exc.msg}") from exc
    if not isinstance(obj, dict) or set(obj) != {"index", "leaf_hash", "entry", "body"}:
        raise VerifyError(expected, "line must have index, leaf_hash, entry and body")
    index = obj["index"]
    if type(index) is not int or index != expected:
        raise VerifyError(
            expected,
            f"found entry {index} where entry {expected} belongs "
            "(an entry was dropped, duplicated or reordered)",
        )
    try:
        lh = b64d(obj["leaf_hash"], length=32, what="leaf_hash")
    except EncodingError as exc:
        raise VerifyError(index, str(exc)) from exc
    if obj["entry"] is None:
        if obj["body"] is not None:
            raise VerifyError(index, "a body without its entry")
        return lh, False, None
    try:
        leaf = b64d(obj["entry"], what="entry")
        if merkle.leaf_hash(leaf) != lh:
            raise VerifyError(index, "leaf_hash does not match the entry's bytes")
        entry = parse_leaf(leaf)
        if entry.index != index:
            raise VerifyError(index, f"the entry's bytes say index {entry.index}")
        body = obj["body"]
        if not isinstance(body, dict) or sha256_hex(canonical(body)) != entry.statement.body_sha256:
            raise VerifyError(index, "body does not match the statement's body_sha256")
        ring.check(index, entry.statement, entry.sig, body)
    except (EncodingError, TrustError) as exc:
        raise VerifyError(index, str(exc)) from exc
    trust = None
    if entry.statement.kind in CHAIN_KINDS:
        ring.apply(index, entry.statement, body)
        trust = (index, leaf, entry.sig, body)
    return lh, True, trust


def _check_chunk(ring: KeyRing, version: int, start: int, lines: list[bytes]) -> _ChunkResult:
    res = _ChunkResult(start, [], 0, version, [])
    for offset, line in enumerate(lines):
        try:
            lh, visible, trust = _check_line(ring, start + offset, line)
        except VerifyError as exc:
            res.failure = (exc.index if exc.index is not None else start + offset, exc.message)
            return res
        res.leaf_hashes.append(lh)
        res.visible += visible
        if trust:
            res.trust.append(trust)
    return res


def _chunks(fh: Iterator[bytes], first: int) -> Iterator[tuple[int, list[bytes]]]:
    start, buf = first, list[bytes]()
    for line in fh:
        if not line.strip():
            continue
        buf.append(line)
        if len(buf) == CHUNK:
            yield start, buf
            start, buf = start + len(buf), []
    if buf:
        yield start, buf


def verify_dir(
    path: Path, *, workers: int | None = None, progress: Callable[[int, int], None] | None = None
) -> Report:
    """Verify an export; raise VerifyError naming the first entry that fails."""
    try:
        log_key = VerifierKey.parse((path / "key.txt").read_text(encoding="utf-8"))
        cp_text = (path / "checkpoint.txt").read_text(encoding="utf-8")
    except (OSError, EncodingError, UnicodeDecodeError) as exc:
        raise VerifyError(None, f"cannot read key.txt and checkpoint.txt: {exc}") from exc
    cp = open_early(cp_text, log_key, "checkpoint.txt")
    report = Report(cp.origin, cp.size, cp.root)
    tree = merkle.CompactRange()
    try:
        fh = (path / "entries.jsonl").open("rb")
    except OSError as exc:
        raise VerifyError(None, f"cannot read entries.jsonl: {exc}") from exc
    with fh:
        first = fh.readline()
        if not first.strip():
            raise VerifyError(0, "the export holds no entries")
        genesis = _genesis(_text(first, 0))
        ring = KeyRing(genesis)
        version = 0
        lh, visible, _ = _check_line(ring, 0, first)
        tree.append(lh)
        report.visible += visible
        workers = workers or os.cpu_count() or 1
        tasks = ((ring, version, s, lines) for s, lines in _chunks(fh, 1))
        for sent in _map(workers, tasks):
            res = sent
            if sent.ring_version != version:
                # Sent before an earlier chunk changed the ring: check it again, now.
                res = _check_chunk(ring, version, sent.start, _lines_of(path, sent.start))
            if res.failure:
                raise VerifyError(*res.failure)
            for index, leaf, _sig, body in res.trust:
                ring.apply(index, parse_leaf(leaf).statement, body)
                version += 1
            for h in res.leaf_hashes:
                tree.append(h)
            report.visible += res.visible
            if progress:
                progress(tree.size, cp.size)
    report.hidden = tree.size - report.visible
    _check_tree(tree, cp)
    check_anchor(log_key, ring, "key.txt")
    others = open_in_force(cp_text, ring, "checkpoint.txt")
    report.cosigned_by = _cosigners(cp, others, ring)
    report.log_keys = list(ring.log_keys)
    return report


def open_early(text: str, anchor: VerifierKey, what: str) -> Checkpoint:
    """The checkpoint, its signature checked with the key the verifier was given if that
    key signed it. One signed only by another key in the log's name (a rotation) is checked
    by `open_in_force` once the log's rotations are replayed."""
    try:
        body, sigs = split_note(text)
        cp = Checkpoint.parse_body(body)
    except EncodingError as exc:
        raise VerifyError(None, f"{what}: {exc}") from exc
    try:
        return open_checkpoint(text, anchor)[0]
    except EncodingError as exc:
        if any(s.name == anchor.name and s.key_id != anchor.key_id for s in sigs):
            return cp
        raise VerifyError(None, f"{what}: {exc}") from exc


def check_anchor(anchor: VerifierKey, ring: KeyRing, what: str) -> None:
    """The key the verifier was given must be the charter's log key, or one the log's
    rotations (replayed in `ring`) lead to: GET /log/v1/key serves the key in force."""
    if all(anchor != k for _, k in ring.log_keys):
        raise VerifyError(
            0, f"the charter names another log key than {what}, and no rotation leads to it"
        )


def open_in_force(text: str, ring: KeyRing, what: str) -> list[Signature]:
    """Check the checkpoint's signature by the log key in force at its size (`ring` has
    replayed every entry below it); return its other signature lines."""
    key = ring.log_key
    try:
        return open_checkpoint(text, key)[1]
    except EncodingError as exc:
        named = ring.log_keys[-1][0]
        by = f"named by entry {named}" if named else "the charter's"
        raise VerifyError(
            None, f"{what}: not signed by the log key in force {key.key_id_hex}, {by} ({exc})"
        ) from exc


def _check_tree(tree: merkle.CompactRange, cp: Checkpoint) -> None:
    if tree.size < cp.size:
        raise VerifyError(
            tree.size,
            f"missing: the checkpoint has {cp.size} entries, the export {tree.size} (truncated)",
        )
    if tree.size > cp.size:
        raise VerifyError(cp.size, f"the export has {tree.size} entries, the checkpoint {cp.size}")
    if tree.root() != cp.root:
        raise VerifyError(
            None,
            "the leaf hashes do not make the signed checkpoint's root: a leaf hash, or an "
            "entry's unsigned fields (its time), were altered",
        )


def _genesis(line: str) -> Genesis:
    try:
        obj = json.loads(line)
        return Genesis.from_body(obj["body"])
    except (json.JSONDecodeError, KeyError, TypeError, EncodingError) as exc:
        raise VerifyError(0, f"entry 0 must be the visible charter.adopted: {exc}") from exc


def _lines_of(path: Path, start: int) -> list[bytes]:
    out = []
    with (path / "entries.jsonl").open("rb") as fh:
        for i, line in enumerate(x for x in fh if x.strip()):
            if i >= start + CHUNK:
                break
            if i >= start:
                out.append(line)
    return out


def _map(
    workers: int, tasks: Iterator[tuple[KeyRing, int, int, list[bytes]]]
) -> Iterator[_ChunkResult]:
    if workers <= 1:
        for t in tasks:
            yield _check_chunk(*t)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # Keep a bounded window in flight: memory stays flat on large logs.
        window: list[Any] = []
        for t in tasks:
            window.append(pool.submit(_check_chunk, *t))
            if len(window) >= workers * 4:
                yield window.pop(0).result()
        for f in window:
            yield f.result()


def _cosigners(cp: Checkpoint, others: list[Any], ring: KeyRing) -> list[str]:
    names = []
    for sig in others:
        w = ring.witnesses.get(sig.name)
        if w is None:
            continue  # a cosigner this log never registered: ignored, as C2SP says
        try:
            verify_cosignature(cp.body(), sig, w.key)
        except EncodingError as exc:
            raise VerifyError(None, f"cosignature of {sig.name}: {exc}") from exc
        names.append(sig.name)
    return sorted(names)

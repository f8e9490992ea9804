"""The ledger: group-committed appends, proofs, checkpoints and cosignatures over SQL.

An append is acknowledged only after the transaction that holds it (entry, body, tree
nodes, key projections, the capability's projections and a new signed checkpoint) has
committed. Appends that arrive together share one transaction (group commit); appends
from several processes are serialised by the lock on the log head row.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import dialect as _pg_dialect
from sqlalchemy.exc import IntegrityError

from fusioncell.clock import Clock, SystemClock, parse_rfc3339, rfc3339
from fusioncell.db import reading, transaction
from fusioncell.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from fusioncell.ledger import merkle
from fusioncell.ledger.canonical import EncodingError, b64e, loads_canonical
from fusioncell.ledger.entry import (
    SYSTEM_MEMBER,
    SYSTEM_PARTY,
    Author,
    Entry,
    Statement,
    Submission,
    build_statement,
    leaf_bytes,
    parse_leaf,
    parse_submission,
)
from fusioncell.ledger.keys import SigningKey, VerifierKey
from fusioncell.ledger.note import (
    Checkpoint,
    Signature,
    open_checkpoint,
    sign_note,
    split_note,
    verify_cosignature,
)
from fusioncell.ledger.tables import (
    log_bodies,
    log_checkpoints,
    log_cosignatures,
    log_entries,
    log_head,
    log_keys,
    log_members,
    log_nodes,
    log_witnesses,
)
from fusioncell.ledger.trust import (
    GENESIS_KIND,
    KEY_REGISTERED,
    KEY_REVOKED,
    LOG_KEY_ROTATED,
    MEMBER_ADDED,
    MEMBER_DISABLED,
    ROOT_ROTATED,
    TRUST_KINDS,
    WITNESS_REGISTERED,
    WITNESS_REVOKED,
    AccountRecord,
    Genesis,
    KeyRecord,
    KeyRing,
    TrustError,
    WitnessRecord,
    key_in_force,
)
from fusioncell.ops import metrics

log = logging.getLogger(__name__)

MAX_ENTRIES_PER_READ = 1000
MAX_COSIGNATURE_SKEW_S = 600
# After a log key rotation at entry R, checkpoints whose last entry is less than this after
# entry R (by the entries' server times) also carry the retired key's signature, so that
# verifiers that only know the old key keep working while they learn the new one.
LOG_KEY_TRANSITION = timedelta(days=7)
# A private log key by key id (hex), wherever this process keeps them; None if absent.
KeyLookup = Callable[[str], SigningKey | None]


class WritePolicy(Protocol):
    """What the authorization layer decides for the log: may this author write this kind
    at this visibility? Raises Forbidden. The ledger knows nothing else about roles."""

    def check_append(self, statement: Statement, genesis: Genesis) -> None: ...


class Projector(Protocol):
    """Updates a capability's tables from a new entry, in the append's transaction."""

    def __call__(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None: ...


@dataclass(frozen=True, slots=True)
class Appended:
    index: int
    leaf_hash: bytes
    size: int
    root: bytes
    checkpoint: str
    time: str


@dataclass(slots=True)
class _Pending:
    sub: Submission
    verified_with: VerifierKey | None
    future: Future[Appended]
    queued: float = 0.0  # time.perf_counter() at submission (the append latency metric)


# On PostgreSQL one statement text for any number of nodes (an array parameter), so the
# server prepares it once; IN (...) would be a new statement for every count.
_NODES_ANY = text("SELECT key, hash FROM log_nodes WHERE key = ANY(:keys)")
# The channel other processes LISTEN on to learn of new entries; the payload is the size.
LOG_CHANNEL = "fusioncell_log"
_NOTIFY = text(f"SELECT pg_notify('{LOG_CHANNEL}', :size)")


# Every commit runs these: built once, so SQLAlchemy keeps their cache keys and compiled
# forms instead of rebuilding them per batch (a single-append commit spent about a
# fifth of its own CPU building statements).
_HEAD = select(log_head.c.size, log_head.c.root).where(log_head.c.id == 1)
_HEAD_LOCKED = _HEAD.with_for_update()
_ADD_CHECKPOINT = insert(log_checkpoints)
_MOVE_HEAD = (
    update(log_head)
    .where(log_head.c.id == 1)
    .values(size=bindparam("new_size"), root=bindparam("new_root"))
)


def _db_fetch(conn: Connection) -> merkle.Fetch:
    pg = conn.dialect.name == "postgresql"

    def fetch(nodes: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
        keys = [merkle.node_key(n) for n in nodes]
        if not keys:
            return {}
        if pg:
            rows = conn.execute(_NODES_ANY, {"keys": keys})
        else:
            rows = conn.execute(
                select(log_nodes.c.key, log_nodes.c.hash).where(log_nodes.c.key.in_(keys))
            )
        return {merkle.key_node(k): bytes(h) for k, h in rows}

    return fetch


_PG = _pg_dialect()  # type: ignore[no-untyped-call]
_PG_TYPES = {"BIGINT": "bigint", "INTEGER": "bigint", "BYTEA": "bytea"}


@cache
def _unnest_insert(table: Table) -> Any:
    """INSERT ... SELECT * FROM unnest(arrays): one statement and one round trip for a
    whole batch on PostgreSQL, where executemany sends a statement per row."""
    cols = list(table.columns)
    casts = ", ".join(
        f"CAST(:{c.name} AS {_PG_TYPES.get(str(c.type.compile(dialect=_PG)), 'text')}[])"
        for c in cols
    )
    names = ", ".join(c.name for c in cols)
    return text(f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({casts})")  # noqa: S608 - table and column names are ours


# Small batches (writers waiting for each acknowledgement) go faster as executemany.
_UNNEST_FROM = 16


def _insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) >= _UNNEST_FROM:
        conn.execute(
            _unnest_insert(table), {c.name: [r[c.name] for r in rows] for c in table.columns}
        )
    else:
        conn.execute(_plain_insert(table), rows)


@cache
def _plain_insert(table: Table) -> Any:
    """One INSERT object per table: its cache key is computed once, not per batch."""
    return insert(table)


def visibility_column(vis: Sequence[str]) -> str:
    return "," + ",".join(vis) + ","


_ROTATIONS = (
    select(log_entries.c.idx, log_entries.c.leaf, log_bodies.c.body)
    .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
    .where(log_entries.c.kind.in_([ROOT_ROTATED, LOG_KEY_ROTATED]))
    .order_by(log_entries.c.idx)
)


def read_log_keys(conn: Connection, genesis: Genesis) -> list[tuple[int, VerifierKey]]:
    """The log's keys as stored: (index of the entry naming it, key), the charter's first.
    Verifiers check the rotation entries themselves; this is what the server serves."""
    rows = conn.execute(
        select(log_entries.c.idx, log_bodies.c.body)
        .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
        .where(log_entries.c.kind == LOG_KEY_ROTATED)
        .order_by(log_entries.c.idx)
    )
    keys = [(0, genesis.log_key)]
    for r in rows:
        keys.append((int(r.idx), VerifierKey.parse(loads_canonical(bytes(r.body))["key"])))
    return keys


class Ledger:
    def __init__(
        self,
        engine: Engine,
        log_key: SigningKey | None = None,
        *,
        clock: Clock | None = None,
        policy: WritePolicy | None = None,
        projectors: Sequence[Projector] = (),
        max_batch: int = 500,
        key_lookup: KeyLookup | None = None,
    ) -> None:
        self.engine = engine
        # None: a read-only ledger (exports, witnesses' servers). After a rotation the key
        # in force is found by its id through `key_lookup` (docs/log.md, "Rotating keys").
        self._own_key = log_key
        self._key_lookup = key_lookup
        self._log_signers: dict[str, SigningKey] = {}
        if log_key is not None:
            self._log_signers[log_key.key_id_hex] = log_key
        self._entry_times: dict[int, str] = {}  # rotation entries' server times
        self._not_held: set[str] = set()  # retired keys looked for in vain: not again
        self.clock = clock or SystemClock()
        self.policy = policy
        self.projectors = list(projectors)
        self.max_batch = max_batch
        self._genesis: Genesis | None = None
        self._ring: KeyRing | None = None
        self._ring_size = -1
        self._ring_lock = threading.Lock()
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self._closed = False
        # The rightmost perfect subtrees of the tree as this process last wrote it: an
        # append reads no node while no other process has appended since.
        self._frontier: dict[merkle.Node, bytes] = {}
        self._frontier_size = -1
        # Told the new size after each commit, in the committer thread (the live stream).
        # A tuple, replaced whole, so the committer iterates it without a lock.
        self._commit_listeners: tuple[Callable[[int], None], ...] = ()

    # ---- state -----------------------------------------------------------------------

    @property
    def genesis(self) -> Genesis:
        if self._genesis is None:
            with reading(self.engine) as conn:
                row = conn.execute(
                    select(log_entries.c.leaf, log_bodies.c.body)
                    .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
                    .where(log_entries.c.idx == 0)
                ).first()
            if row is None:
                raise NotFound("this cell has no log yet: run `fusioncell init`")
            self._genesis = Genesis.from_body(loads_canonical(bytes(row.body)))
        return self._genesis

    @property
    def origin(self) -> str:
        return self.genesis.origin

    def _load_ring(self, conn: Connection) -> KeyRing:
        ring = KeyRing(self.genesis)
        # Rotations are not projected: rare, and found through the (kind, subject) index.
        for r in conn.execute(_ROTATIONS):
            body = loads_canonical(bytes(r.body))
            ring.apply(int(r.idx), parse_leaf(bytes(r.leaf)).statement, body)
        for r in conn.execute(select(log_keys)):
            ring.members[(r.party, r.member, r.key_id)] = KeyRecord(
                VerifierKey.parse(r.vkey), r.admin, r.registered, r.revoked
            )
        for r in conn.execute(select(log_members)):
            ring.accounts[r.member] = AccountRecord(r.party, r.role, r.added, r.disabled)
        for r in conn.execute(select(log_witnesses)):
            ring.witnesses[r.name] = WitnessRecord(
                r.party, VerifierKey.parse(r.vkey), r.registered, r.revoked
            )
        return ring

    @property
    def ring_loaded(self) -> bool:
        """Once true, `submit_async` reads no database (an event loop may call it)."""
        return self._ring is not None

    def ring_snapshot(self) -> KeyRing:
        """The key ring as of the last known head (refreshed when other processes append)."""
        with self._ring_lock:
            if self._ring is None:
                with reading(self.engine) as conn:
                    self._ring = self._load_ring(conn)
                    self._ring_size = self._head(conn)[0]
            return self._ring

    @staticmethod
    def _head(conn: Connection, *, lock: bool = False) -> tuple[int, bytes]:
        row = conn.execute(_HEAD_LOCKED if lock else _HEAD).first()
        if row is None:
            raise NotFound("this cell has no log yet: run `fusioncell init`")
        return int(row.size), bytes(row.root)

    def size(self) -> int:
        with reading(self.engine) as conn:
            return self._head(conn)[0]

    # ---- the log key -------------------------------------------------------------------

    def log_keys(self) -> list[tuple[int, VerifierKey]]:
        """Every log key, with the index of the entry that names it (0: the charter's)."""
        with reading(self.engine) as conn:
            return read_log_keys(conn, self.genesis)

    def open_checkpoint(self, note: str) -> tuple[Checkpoint, list[Signature]]:
        """Verify a checkpoint note of this log with the log key in force at its size."""
        body, _ = split_note(note)
        size = Checkpoint.parse_body(body).size
        return open_checkpoint(note, key_in_force(self.log_keys(), size))

    @property
    def log_key(self) -> SigningKey | None:
        """The private log key in force as this process last saw the log (None where this
        process holds no log key). The committer checks it again under the head's lock."""
        if self._own_key is None:
            return None
        if self._genesis is None and self._ring is None:
            return self._own_key  # entry 0 is not written yet
        return self._signer(self.ring_snapshot().log_key)

    def _signer(self, key: VerifierKey, *, required: bool = True) -> SigningKey | None:
        """The private key of `key`; None (or, if `required`, Conflict) if not held."""
        kid = key.key_id_hex
        found = self._log_signers.get(kid)
        if (
            found is None
            and self._key_lookup is not None
            and (required or kid not in self._not_held)
        ):
            found = self._key_lookup(kid)
            if found is not None and found.verifier == key:
                self._log_signers[kid] = found
            else:
                found = None
                self._not_held.add(kid)
        if found is None and required:
            raise Conflict(
                f"this process does not hold the log key in force {key.key_id_hex} "
                "(see docs/log.md, Rotating keys)"
            )
        return found

    # ---- commit notification -----------------------------------------------------------

    def add_commit_listener(self, fn: Callable[[int], None]) -> None:
        """Call `fn(new size)` in the committer thread after each commit (entry 0's too),
        before the appends are acknowledged. It must be quick (it delays the answers and
        the next batch); its exceptions are logged."""
        with self._worker_lock:
            self._commit_listeners = (*self._commit_listeners, fn)

    def remove_commit_listener(self, fn: Callable[[int], None]) -> None:
        with self._worker_lock:
            self._commit_listeners = tuple(f for f in self._commit_listeners if f != fn)

    def _committed(self, size: int) -> None:
        for fn in self._commit_listeners:
            try:
                fn(size)
            except Exception:
                # A listener's bug must never fail an append that is already committed.
                log.exception("commit listener failed")

    # ---- creating a log ----------------------------------------------------------------

    def create(self, genesis_body: dict[str, Any]) -> Appended:
        """Write entry 0, `charter.adopted`, into an empty log."""
        if self._own_key is None:
            raise Invalid("creating a log needs the log key")
        self._genesis = Genesis.from_body(genesis_body)
        if self._genesis.log_key != self._own_key.verifier:
            raise Invalid("the charter's log key is not this log key")
        with transaction(self.engine) as conn:
            if conn.execute(select(log_head.c.size)).first() is not None:
                raise Conflict("this cell already has a log")
            conn.execute(insert(log_head).values(id=1, size=0, root=merkle.EMPTY_ROOT))
        self._ring = KeyRing(self._genesis)
        self._ring_size = 0
        return self.append_system(
            GENESIS_KIND, "charter", list(self._genesis.parties), genesis_body
        )

    # ---- appending -------------------------------------------------------------------

    def append_system(
        self,
        kind: str,
        subject: str,
        visibility: Sequence[str],
        body: dict[str, Any],
        *,
        key: SigningKey | None = None,
    ) -> Appended:
        """An entry the program writes itself, signed by the log key in force (or by `key`,
        which must be in force: a rotation is signed by the key it retires)."""
        for attempt in (1, 2):
            signer = key or self.log_key
            if signer is None:
                raise Invalid("this ledger holds no log key")
            raw, salted = build_statement(
                origin=self.origin if self._genesis is None else self._genesis.origin,
                kind=kind,
                subject=subject,
                author=Author(SYSTEM_PARTY, SYSTEM_MEMBER, signer.key_id_hex),
                visibility=visibility,
                body=body,
                client_time=rfc3339(self.clock.now()),
            )
            sig = signer.sign(raw)
            try:
                return self.submit(parse_submission(b64e(raw), b64e(sig), salted))
            except Forbidden:
                # Another process rotated the log key: the refusal reloaded the ring, so a
                # second try signs with the key now in force.
                if key is not None or attempt == 2 or self.log_key is signer:
                    raise
        raise AssertionError("unreachable")

    def submit(self, sub: Submission) -> Appended:
        """Append one signed statement; returns once it is committed. Thread-safe."""
        return self.submit_async(sub).result()

    def submit_async(self, sub: Submission) -> Future[Appended]:
        if self._closed:
            raise Conflict("the ledger is shutting down")
        # Verify the signature here, in the caller's thread: Ed25519 releases the GIL, so
        # concurrent writers verify in parallel and the committer only re-checks the key.
        verified: VerifierKey | None = None
        if sub.statement.kind != GENESIS_KIND:
            ring = self.ring_snapshot()
            try:
                key, _ = ring.signer(sub.statement)
            except TrustError:
                key = None  # maybe registered by a concurrent append: the committer decides
            if key is not None:
                if not key.verify(sub.sig, sub.statement.raw):
                    raise Forbidden("signature does not verify with the author's key")
                verified = key
        fut: Future[Appended] = Future()
        self._ensure_worker()
        self._queue.put(_Pending(sub, verified, fut, time.perf_counter()))
        return fut

    def _ensure_worker(self) -> None:
        with self._worker_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._run, name="ledger-committer", daemon=True
                )
                self._worker.start()

    def close(self) -> None:
        self._closed = True
        with self._worker_lock:
            if self._worker is not None and self._worker.is_alive():
                self._queue.put(None)
                self._worker.join(timeout=30)
            self._worker = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            self._commit_with_fallback(batch)

    def _commit_with_fallback(self, batch: list[_Pending]) -> None:
        try:
            self._commit(batch)
        except Exception as exc:
            self._ring_size = -1  # the in-memory ring may hold uncommitted changes
            self._frontier_size = -1
            if len(batch) > 1:
                # One bad submission must not sink the others: retry each on its own.
                for p in batch:
                    if not p.future.done():
                        self._commit_with_fallback([p])
                return
            p = batch[0]
            if not p.future.done():
                if isinstance(exc, DomainError):
                    p.future.set_exception(exc)
                elif isinstance(exc, IntegrityError) and self._logged(p.sub.statement_sha256):
                    p.future.set_exception(Conflict("this statement is already in the log"))
                else:
                    log.exception("append failed")
                    p.future.set_exception(exc)

    def _logged(self, statement_sha256: bytes) -> bool:
        with reading(self.engine) as conn:
            found = conn.execute(
                select(log_entries.c.idx).where(log_entries.c.statement_sha256 == statement_sha256)
            ).first()
        return found is not None

    def _commit(self, batch: list[_Pending]) -> None:
        results: list[tuple[_Pending, Appended]] = []
        self.genesis  # noqa: B018 - load entry 0 before taking the lock
        with transaction(self.engine) as conn:
            old_size, _ = self._head(conn, lock=True)
            with self._ring_lock:
                if self._ring is None or self._ring_size != old_size:
                    self._ring = self._load_ring(conn)
                ring = self._ring
            # Replays across batches are caught by the unique index on statement_sha256
            # (the batch then falls back to one-by-one and the replay gets its 409).
            seen: set[bytes] = set()
            now = rfc3339(self.clock.now())
            size = old_size
            accepted: list[tuple[_Pending, Entry]] = []
            for p in batch:
                st = p.sub.statement
                try:
                    if p.sub.statement_sha256 in seen:
                        raise Conflict("replayed statement: it is already in the log")
                    self._check(ring, size, p)
                except (DomainError, TrustError) as exc:
                    p.future.set_exception(
                        exc if isinstance(exc, DomainError) else Forbidden(str(exc))
                    )
                    continue
                seen.add(p.sub.statement_sha256)
                ring.apply(size, st, p.sub.body)
                leaf = leaf_bytes(size, now, st.raw, p.sub.sig)
                accepted.append((p, Entry(size, now, st, p.sub.sig, leaf)))
                size += 1
            if not accepted:
                self._ring_size = old_size
                return
            self._write(conn, old_size, accepted)
            frontier = self._frontier if self._frontier_size == old_size else None
            if frontier is None:
                frontier = _db_fetch(conn)(merkle.decompose(0, old_size))
            known = dict(frontier)
            new_nodes = merkle.append_nodes(
                old_size, [e.leaf_hash for _, e in accepted], lambda ns: {n: known[n] for n in ns}
            )
            _insert_many(
                conn,
                log_nodes,
                [{"key": merkle.node_key(n), "hash": h} for n, h in new_nodes.items()],
            )
            known.update(new_nodes)
            new_frontier = {n: known[n] for n in merkle.decompose(0, size)}
            root = merkle.fold(list(new_frontier.values()))
            note = self._checkpoint_note(conn, ring, old_size, size, root, now)
            conn.execute(_ADD_CHECKPOINT, {"size": size, "root": root, "note": note, "time": now})
            conn.execute(_MOVE_HEAD, {"new_size": size, "new_root": root})
            if conn.dialect.name == "postgresql":
                # Other server processes LISTEN here (fusioncell.live); PostgreSQL delivers
                # the notification only when this transaction commits, never before.
                conn.execute(_NOTIFY, {"size": str(size)})
            results = [
                (p, Appended(e.index, e.leaf_hash, size, root, note, now)) for p, e in accepted
            ]
        self._ring_size = size
        self._frontier, self._frontier_size = new_frontier, size
        self._committed(size)  # first: once submit returns, the listeners have been told
        done = time.perf_counter()
        for p, res in results:
            p.future.set_result(res)
        metrics.observe_append(
            (p.sub.statement.kind for p, _ in results), (done - p.queued for p, _ in results)
        )

    def _check(self, ring: KeyRing, index: int, p: _Pending) -> None:
        st = p.sub.statement
        ring.check(index, st, p.sub.sig, p.sub.body, verified=p.verified_with)
        if self.policy is not None and st.author.member != SYSTEM_MEMBER:
            self.policy.check_append(st, ring.genesis)

    def _write(self, conn: Connection, first: int, accepted: list[tuple[_Pending, Entry]]) -> None:
        _insert_many(
            conn,
            log_entries,
            [
                {
                    "idx": e.index,
                    "leaf": e.leaf,
                    "statement_sha256": p.sub.statement_sha256,
                    "kind": e.statement.kind,
                    "subject": e.statement.subject,
                    "party": e.statement.author.party,
                    "member": e.statement.author.member,
                    "visibility": visibility_column(e.statement.visibility),
                    "time": e.time,
                }
                for p, e in accepted
            ],
        )
        _insert_many(
            conn, log_bodies, [{"idx": e.index, "body": p.sub.body_bytes} for p, e in accepted]
        )
        for p, e in accepted:
            if e.statement.kind in TRUST_KINDS:
                self._project_trust(conn, e, p.sub.body)
            for project in self.projectors:
                project(conn, e, p.sub.body)

    @staticmethod
    def _project_trust(conn: Connection, e: Entry, body: dict[str, Any]) -> None:
        kind = e.statement.kind
        if kind == KEY_REGISTERED:
            key = VerifierKey.parse(body["key"])
            conn.execute(
                insert(log_keys).values(
                    party=body["party"],
                    member=body["member"],
                    key_id=key.key_id_hex,
                    vkey=body["key"],
                    admin=body["admin"],
                    registered=e.index,
                )
            )
        elif kind == KEY_REVOKED:
            conn.execute(
                update(log_keys)
                .where(
                    log_keys.c.party == body["party"],
                    log_keys.c.member == body["member"],
                    log_keys.c.key_id == body["key"],
                )
                .values(revoked=e.index)
            )
        elif kind == WITNESS_REGISTERED:
            key = VerifierKey.parse(body["key"])
            conn.execute(
                insert(log_witnesses).values(
                    name=key.name, party=body["party"], vkey=body["key"], registered=e.index
                )
            )
        elif kind == WITNESS_REVOKED:
            conn.execute(
                update(log_witnesses)
                .where(log_witnesses.c.name == body["witness"])
                .values(revoked=e.index)
            )
        elif kind == MEMBER_ADDED:
            conn.execute(
                insert(log_members).values(
                    member=body["member"], party=body["party"], role=body["role"], added=e.index
                )
            )
        elif kind == MEMBER_DISABLED:
            conn.execute(
                update(log_members)
                .where(log_members.c.member == body["member"])
                .values(disabled=e.index)
            )

    def _checkpoint_note(
        self, conn: Connection, ring: KeyRing, old_size: int, size: int, root: bytes, now: str
    ) -> str:
        """Signed by the log key in force at `size` (the ring holds every entry below it),
        and in a rotation's transition also by the key it retired, where this process has
        it. Never by a key that is no longer in force alone."""
        if self._own_key is None:
            raise Invalid("this ledger holds no log key")
        signers = [self._signer(ring.log_key)]
        if len(ring.log_keys) > 1:
            at, _ = ring.log_keys[-1]
            since = now if at >= old_size else self._entry_time(conn, at)
            if parse_rfc3339(now) < parse_rfc3339(since) + LOG_KEY_TRANSITION:
                signers.append(self._signer(ring.log_keys[-2][1], required=False))
        body = Checkpoint(self.origin, size, root).body()
        return sign_note(body, *[k for k in signers if k is not None])

    def _entry_time(self, conn: Connection, index: int) -> str:
        if index not in self._entry_times:
            t = conn.execute(select(log_entries.c.time).where(log_entries.c.idx == index))
            self._entry_times[index] = str(t.scalar_one())
        return self._entry_times[index]

    # ---- reading ---------------------------------------------------------------------

    def may_read(self, party: str | None, visibility: Sequence[str]) -> bool:
        return party is not None and self.genesis.may_read(party, tuple(visibility))

    def checkpoint(self) -> str:
        """The latest checkpoint note with the cosignatures it has gathered."""
        with reading(self.engine) as conn:
            row = conn.execute(
                select(log_checkpoints.c.size, log_checkpoints.c.note)
                .order_by(log_checkpoints.c.size.desc())
                .limit(1)
            ).first()
            if row is None:
                raise NotFound("this log has no checkpoint yet")
            lines = conn.execute(
                select(log_cosignatures.c.line)
                .where(log_cosignatures.c.size == row.size)
                .order_by(log_cosignatures.c.witness)
            ).scalars()
            return str(row.note) + "".join(lines)

    def all_entries(self, start: int, end: int) -> list[dict[str, Any]]:
        """Entries [start, end) with every body: the operator's view (exports, rebuilds)."""
        return self.entries(start, end, None, everything=True)

    def entries(
        self, start: int, end: int, party: str | None, *, everything: bool = False
    ) -> list[dict[str, Any]]:
        """Entries [start, end) as `party` may see them (spec: GET /entries)."""
        if start < 0 or end <= start:
            raise Invalid("need 0 <= start < end")
        if end - start > MAX_ENTRIES_PER_READ:
            raise Invalid(f"at most {MAX_ENTRIES_PER_READ} entries per request")
        with reading(self.engine) as conn:
            size, _ = self._head(conn)
            if end > size:
                raise Invalid(f"end {end} is beyond the log's size {size}")
            rows = conn.execute(
                select(
                    log_entries.c.idx,
                    log_entries.c.leaf,
                    log_entries.c.visibility,
                    log_bodies.c.body,
                )
                .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
                .where(log_entries.c.idx >= start, log_entries.c.idx < end)
                .order_by(log_entries.c.idx)
            ).all()
        out = []
        for r in rows:
            leaf = bytes(r.leaf)
            visible = everything or self.may_read(party, r.visibility.strip(",").split(","))
            out.append(
                {
                    "index": int(r.idx),
                    "leaf_hash": b64e(merkle.leaf_hash(leaf)),
                    "entry": b64e(leaf) if visible else None,
                    "body": loads_canonical(bytes(r.body)) if visible else None,
                }
            )
        return out

    def entry(self, index: int, party: str | None) -> tuple[Entry, dict[str, Any]]:
        """One entry and its body, or NotFound, whether missing or hidden from `party`."""
        with reading(self.engine) as conn:
            r = conn.execute(
                select(log_entries.c.leaf, log_entries.c.visibility, log_bodies.c.body)
                .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
                .where(log_entries.c.idx == index)
            ).first()
        if r is None or not self.may_read(party, r.visibility.strip(",").split(",")):
            raise NotFound("no such entry")
        return parse_leaf(bytes(r.leaf)), loads_canonical(bytes(r.body))

    def _check_size(self, conn: Connection, size: int) -> None:
        cur, _ = self._head(conn)
        if size > cur:
            raise Invalid(f"size {size} is beyond the log's size {cur}")

    def _proof(self, ranges: list[tuple[int, int]], size: int) -> list[bytes]:
        """The MTHs of `ranges` in one query, outside any transaction: stored nodes never
        change. The last leaf of `size` is fetched with them; if it is missing, `size` is
        beyond the log."""
        last = (0, size - 1)
        with self.engine.connect() as plain:
            # PostgreSQL: autocommit saves the BEGIN and ROLLBACK round trips. SQLite
            # keeps its default (db.py owns its BEGIN; an isolation level set here would
            # outlive this connection's checkout).
            pg = plain.dialect.name == "postgresql"
            conn = plain.execution_options(isolation_level="AUTOCOMMIT") if pg else plain
            db = _db_fetch(conn)
            got: dict[merkle.Node, bytes] = {}

            def fetch(nodes: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
                got.update(db({*nodes, last}))
                if last not in got:
                    raise Invalid(f"size {size} is beyond the log's size")
                return got

            return merkle.hashes_of(ranges, fetch)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        if not 0 <= index < size:
            raise Invalid("need 0 <= index < size")
        return self._proof(merkle.inclusion_ranges(index, size), size)

    def consistency_proof(self, old: int, size: int) -> list[bytes]:
        if not 0 < old <= size:
            raise Invalid("need 0 < old <= size")
        return self._proof(merkle.consistency_ranges(old, size), size)

    def root_at(self, size: int) -> bytes:
        with reading(self.engine) as conn:
            self._check_size(conn, size)
            return merkle.root(size, _db_fetch(conn))

    # ---- witnesses -------------------------------------------------------------------

    def add_cosignatures(self, note: str, witness: str | None = None) -> int:
        """Keep the cosignatures in `note` (a checkpoint cosigned by registered witnesses).

        With `witness`, only that witness's line is accepted (the caller's own identity).
        Returns how many were stored.
        """
        try:
            body, sigs = split_note(note)
            cp = Checkpoint.parse_body(body)
        except EncodingError as exc:
            raise Invalid(f"cosigned checkpoint: {exc}") from exc
        now = int(self.clock.now().timestamp())
        stored = 0
        with transaction(self.engine) as conn:
            row = conn.execute(
                select(log_checkpoints.c.root).where(log_checkpoints.c.size == cp.size)
            ).first()
            if cp.origin != self.origin or row is None or bytes(row.root) != cp.root:
                raise Invalid("this log never issued that checkpoint")
            for sig in sigs:
                if sig.name == self.origin:
                    continue
                if witness is not None and sig.name != witness:
                    raise Forbidden(f"you may only post cosignatures of {witness}")
                w = conn.execute(
                    select(log_witnesses).where(
                        log_witnesses.c.name == sig.name, log_witnesses.c.revoked.is_(None)
                    )
                ).first()
                if w is None:
                    raise Forbidden(f"{sig.name} is not a registered witness")
                try:
                    ts = verify_cosignature(body, sig, VerifierKey.parse(w.vkey))
                except EncodingError as exc:
                    raise Invalid(f"cosignature of {sig.name}: {exc}") from exc
                if ts > now + MAX_COSIGNATURE_SKEW_S:
                    raise Invalid("cosignature timestamp is in the future")
                exists = conn.execute(
                    select(log_cosignatures.c.id).where(
                        log_cosignatures.c.size == cp.size, log_cosignatures.c.witness == sig.name
                    )
                ).first()
                if exists is None:
                    conn.execute(
                        insert(log_cosignatures).values(
                            size=cp.size, witness=sig.name, line=sig.line(), timestamp=ts
                        )
                    )
                    stored += 1
        return stored

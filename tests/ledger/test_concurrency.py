"""Concurrent appends: group commit, several processes, replays, revocation in flight.

Where a test needs appends to share a commit, a *gate* holds the committer inside its
first batch (a projector that waits, called in the append's transaction): everything
submitted while it waits is then, deterministically, committed together in the next
batch. Nothing here waits on a clock.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Connection, func, select

from fusioncell.cell import Cell, init_cell, open_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.clock import rfc3339
from fusioncell.errors import Conflict, Forbidden
from fusioncell.identity.devices import new_member_key, register_member_key, revoke_member_key
from fusioncell.ledger import merkle
from fusioncell.ledger.canonical import b64d, b64e, sha256
from fusioncell.ledger.entry import (
    ROOT_MEMBER,
    Author,
    Entry,
    Submission,
    build_statement,
    parse_leaf,
    parse_submission,
)
from fusioncell.ledger.export import export_log
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.store import Appended
from fusioncell.ledger.tables import (
    log_bodies,
    log_checkpoints,
    log_entries,
    log_head,
    log_keys,
    log_nodes,
)
from fusioncell.ledger.trust import KEY_REVOKED
from fusioncell.ledger.verify import verify_dir
from fusioncell.settings import Settings

if TYPE_CHECKING:
    # Only annotations: the processes of test (2) import this module, and keep it light.
    from fastapi.testclient import TestClient

KIND = "note.posted"
WAIT = 60  # seconds: a bound on waiting for an event, never an expectation


# ---- helpers shared with test_durability -------------------------------------------------


def check_log(cell: Cell, out: Path) -> dict[int, bytes]:
    """Everything that must hold of a log at rest. Returns {index: statement bytes}.

    Indexes 0..size-1 with no gap or duplicate; every entry has its body; the head, every
    checkpoint and the stored tree nodes agree with the leaves; the export verifies.
    """
    with cell.engine.connect() as conn:
        size, head_root = conn.execute(select(log_head.c.size, log_head.c.root)).one()
        rows = conn.execute(
            select(log_entries.c.idx, log_entries.c.leaf, log_entries.c.statement_sha256).order_by(
                log_entries.c.idx
            )
        ).all()
        bodies = conn.execute(select(log_bodies.c.idx).order_by(log_bodies.c.idx)).scalars().all()
        nodes = conn.execute(select(func.count()).select_from(log_nodes)).scalar_one()
        checkpoints = conn.execute(
            select(log_checkpoints.c.size, log_checkpoints.c.root).order_by(log_checkpoints.c.size)
        ).all()
    indexes = [int(r.idx) for r in rows]
    assert indexes == list(range(size)), "log_entries must hold exactly 0..size-1"
    assert [int(i) for i in bodies] == indexes, "every entry has its body, and only those"
    tree = merkle.CompactRange()
    roots = {0: merkle.EMPTY_ROOT}
    statements: dict[int, bytes] = {}
    for r in rows:
        leaf = bytes(r.leaf)
        entry = parse_leaf(leaf)
        assert entry.index == r.idx
        assert bytes(r.statement_sha256) == sha256(entry.statement.raw)
        tree.append(merkle.leaf_hash(leaf))
        roots[tree.size] = tree.root()
        statements[entry.index] = entry.statement.raw
    assert len(set(statements.values())) == size, "a statement is in the log twice"
    # Exactly the perfect subtrees of a tree of `size` leaves: none left by a failed batch.
    assert nodes == sum(size >> level for level in range(size.bit_length()))
    assert bytes(head_root) == roots[size]
    assert checkpoints, "no checkpoint"
    assert (int(checkpoints[-1].size), bytes(checkpoints[-1].root)) == (size, roots[size])
    for cp_size, cp_root in checkpoints:
        assert bytes(cp_root) == roots[int(cp_size)], f"checkpoint {cp_size} has a wrong root"
        assert cell.ledger.root_at(int(cp_size)) == roots[int(cp_size)], (
            f"stored tree nodes disagree with the leaves at size {cp_size}"
        )
    assert export_log(cell.ledger, out, None) == size
    report = verify_dir(out, workers=1)
    assert report.size == size
    assert report.hidden == 0
    return statements


def submission(
    key: SigningKey, party: str, member: str, origin: str, subject: str, text: str
) -> Submission:
    raw, body = build_statement(
        origin=origin,
        kind=KIND,
        subject=subject,
        author=Author(party, member, key.key_id_hex),
        visibility=[party, "US"],
        body={"text": text},
        client_time="2025-01-01T00:00:00Z",
    )
    return parse_submission(b64e(raw), b64e(key.sign(raw)), body)


def copy_of(sub: Submission) -> Submission:
    """The very same signed statement, parsed again as a second request would be."""
    return parse_submission(b64e(sub.statement.raw), b64e(sub.sig), dict(sub.body))


def count_checkpoints(conn: Connection, above: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(log_checkpoints).where(log_checkpoints.c.size > above)
        ).scalar_one()
    )


class Gate:
    """A projector that, once armed, holds the committer inside its next batch."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.released = threading.Event()

    def __call__(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        if self.armed:
            self.armed = False
            self.entered.set()
            if not self.released.wait(WAIT):
                raise RuntimeError("the test never opened the gate")

    def hold(self, cell: Cell, blocker: Submission) -> Future[Appended]:
        """Submit `blocker` and return once the committer is stuck in its batch."""
        self.entered.clear()
        self.released.clear()
        self.armed = True
        fut = cell.ledger.submit_async(blocker)
        assert self.entered.wait(WAIT), "the committer never started the blocker's batch"
        return fut

    def open(self) -> None:
        self.released.set()


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def gated(settings: Settings, gate: Gate) -> Iterator[Cell]:
    init_cell(paris_charter_text(), settings).close()
    cell = open_cell(settings, projectors=[gate])
    yield cell
    gate.open()
    cell.close()


def member(cell: Cell, party: str, name: str) -> SigningKey:
    key = new_member_key(party, name)
    register_member_key(cell, party, name, key.verifier.encode())
    return key


# ---- (1) many threads, one ledger: group commit --------------------------------------------


def test_many_threads_share_commits_and_get_unique_gap_free_indexes(
    gated: Cell, gate: Gate, tmp_path: Path
) -> None:
    origin = gated.ledger.origin
    threads, rounds = 8, 6
    keys = [member(gated, "SY" if t % 2 else "IL", f"writer-{t}") for t in range(threads)]
    base = gated.ledger.size()
    with gated.engine.connect() as conn:
        base_checkpoints = count_checkpoints(conn, 0)

    def author(t: int) -> tuple[SigningKey, str, str]:
        return keys[t], "SY" if t % 2 else "IL", f"writer-{t}"

    blocker_key, blocker_party, blocker_member = author(0)
    blocker = submission(blocker_key, blocker_party, blocker_member, origin, "gate", "blocker")
    held = gate.hold(gated, blocker)

    barrier = threading.Barrier(threads + 1)
    results: dict[int, list[Appended]] = {}
    sent: dict[int, list[Submission]] = {}
    errors: list[BaseException] = []

    def write(t: int) -> None:
        key, party, name = author(t)
        subs = [submission(key, party, name, origin, f"t-{t}", f"{t}/{i}") for i in range(rounds)]
        sent[t] = subs
        try:
            # Round 0 is queued behind the gate; the rest run free, one at a time each.
            first = gated.ledger.submit_async(subs[0])
            barrier.wait(WAIT)
            results[t] = [first.result(WAIT)] + [gated.ledger.submit(s) for s in subs[1:]]
        except BaseException as exc:
            errors.append(exc)
            raise

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    barrier.wait(WAIT)  # every thread's round-0 append is queued behind the gate
    gate.open()
    for w in workers:
        w.join(WAIT)
    assert not errors
    assert held.result(WAIT).index == base

    appended = [a for rs in results.values() for a in rs]
    assert len(appended) == threads * rounds
    indexes = sorted(a.index for a in appended)
    assert indexes == list(range(base + 1, base + 1 + threads * rounds))
    # Round 0 of every thread was committed in one batch: one size, one checkpoint.
    first_round = [results[t][0] for t in range(threads)]
    assert len({(a.size, a.checkpoint) for a in first_round}) == 1
    assert first_round[0].size == base + 1 + threads
    assert sorted(a.index for a in first_round) == list(range(base + 1, base + 1 + threads))

    statements = check_log(gated, tmp_path / "export")
    size = gated.ledger.size()
    assert size == base + 1 + threads * rounds
    with gated.engine.connect() as conn:
        commits = count_checkpoints(conn, 0) - base_checkpoints
    appends = threads * rounds + 1
    assert commits < appends, f"{appends} appends took {commits} commits: nothing was grouped"
    for t, rs in results.items():
        assert [a.index for a in rs] == sorted(a.index for a in rs), f"thread {t}: out of order"
        assert [statements[a.index] for a in rs] == [s.statement.raw for s in sent[t]]


# ---- (2) several processes, one database ---------------------------------------------------


def _append_from_process(
    data: str,
    db_url: str,
    key_text: str,
    party: str,
    name: str,
    count: int,
    barrier: Any,
    results: Any,
) -> None:
    """Runs in a spawned process: open the cell, wait for the others, append `count`."""
    cell = open_cell(Settings(data=Path(data), database_url=db_url))
    try:
        key = SigningKey.decode_private(key_text)
        origin = cell.ledger.origin
        subs = [submission(key, party, name, origin, f"p-{name}", str(i)) for i in range(count)]
        barrier.wait(WAIT)
        with ThreadPoolExecutor(2) as pool:
            done = list(pool.map(cell.ledger.submit, subs))
        results.put(
            (name, [(a.index, b64e(s.statement.raw)) for a, s in zip(done, subs, strict=True)])
        )
    except BaseException as exc:
        results.put((name, f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        cell.close()


def test_several_processes_append_to_one_database(settings: Settings, tmp_path: Path) -> None:
    cell = init_cell(paris_charter_text(), settings)
    procs_n, per_process = 3, 20
    writers = [("SY" if p % 2 else "IL", f"proc-{p}") for p in range(procs_n)]
    keys = {name: member(cell, party, name) for party, name in writers}
    base = cell.ledger.size()
    cell.close()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(procs_n)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_append_from_process,
            args=(
                str(settings.data),
                settings.db_url(),
                keys[name].encode_private(),
                party,
                name,
                per_process,
                barrier,
                results,
            ),
        )
        for party, name in writers
    ]
    for p in procs:
        p.start()
    try:
        got = dict(results.get(timeout=120) for _ in procs)
    finally:
        for p in procs:
            p.join(WAIT)
            if p.is_alive():
                p.kill()
    for name, res in got.items():
        assert not isinstance(res, str), f"process {name} failed: {res}"
    assert [p.exitcode for p in procs] == [0] * procs_n

    cell = open_cell(settings)
    try:
        statements = check_log(cell, tmp_path / "export")
        assert cell.ledger.size() == base + procs_n * per_process
        acked = [(i, st) for res in got.values() for i, st in res]
        assert len({i for i, _ in acked}) == len(acked), "two processes got the same index"
        for index, st in acked:
            assert statements[index] == b64d(st), f"entry {index} is not what was acknowledged"
        with cell.engine.connect() as conn:
            for _, name in writers:
                n = conn.execute(
                    select(func.count())
                    .select_from(log_entries)
                    .where(log_entries.c.member == name)
                ).scalar_one()
                assert n == per_process, f"{name} has {n} entries, expected {per_process}"
    finally:
        cell.close()


# ---- (3) replays -----------------------------------------------------------------------------


def test_replay_in_the_same_batch_and_across_batches(
    gated: Cell, gate: Gate, tmp_path: Path
) -> None:
    origin = gated.ledger.origin
    key = member(gated, "SY", "replayer")

    def sub(text: str) -> Submission:
        return submission(key, "SY", "replayer", origin, "replay", text)

    a, b, c = sub("a"), sub("b"), sub("c")
    # Same batch: the second copy of `a` is refused, its neighbours are not.
    held = gate.hold(gated, sub("blocker-1"))
    futs = [gated.ledger.submit_async(s) for s in (a, b, copy_of(a), c)]
    gate.open()
    held.result(WAIT)
    done_a, done_b, done_c = futs[0].result(WAIT), futs[1].result(WAIT), futs[3].result(WAIT)
    with pytest.raises(Conflict):
        futs[2].result(WAIT)
    assert done_a.size == done_b.size == done_c.size  # one batch
    assert [done_a.index, done_b.index, done_c.index] == [
        done_a.index,
        done_a.index + 1,
        done_a.index + 2,
    ]

    # Across batches: a batch holding a replay of a committed entry fails on the unique
    # index, and its other members are committed one by one.
    size_before = gated.ledger.size()
    d, e = sub("d"), sub("e")
    held = gate.hold(gated, sub("blocker-2"))
    futs = [gated.ledger.submit_async(s) for s in (d, copy_of(b), e)]
    gate.open()
    held.result(WAIT)
    with pytest.raises(Conflict):
        futs[1].result(WAIT)
    done_d, done_e = futs[0].result(WAIT), futs[2].result(WAIT)
    assert sorted([done_d.index, done_e.index]) == [size_before + 1, size_before + 2]

    # And a replay on its own.
    with pytest.raises(Conflict):
        gated.ledger.submit(copy_of(c))

    statements = check_log(gated, tmp_path / "export")
    assert gated.ledger.size() == size_before + 3
    for s, done in ((a, done_a), (b, done_b), (c, done_c), (d, done_d), (e, done_e)):
        assert statements[done.index] == s.statement.raw


def test_the_same_payload_posted_twice_at_once_is_written_once(
    cell: Cell, http: TestClient, enroll: Any, tmp_path: Path
) -> None:
    sy = enroll("SY", "sy-liaison")
    headers = {"Authorization": f"Bearer {sy.token}"}
    rounds = 8
    outcomes: list[list[tuple[int, dict[str, Any]]]] = []
    acked: list[tuple[int, bytes]] = []
    for i in range(rounds):
        payload = sy.client.sign(KIND, "replay", ["SY", "US"], {"text": f"twice {i}"})
        barrier = threading.Barrier(2)

        def post(payload: dict[str, Any] = payload, barrier: threading.Barrier = barrier) -> Any:
            barrier.wait(WAIT)
            r = http.post("/log/v1/append", json=payload, headers=headers)
            return r.status_code, r.json()

        with ThreadPoolExecutor(2) as pool:
            answers = [f.result(WAIT) for f in [pool.submit(post), pool.submit(post)]]
        outcomes.append(answers)
        statuses = sorted(s for s, _ in answers)
        assert statuses == [201, 409], f"round {i}: {answers}"
        ok = next(body for s, body in answers if s == 201)
        acked.append((ok["index"], b64d(payload["statement"])))

    statements = check_log(cell, tmp_path / "export")
    assert cell.ledger.size() == 2 + rounds  # charter, key, one entry per round
    for index, raw in acked:
        assert statements[index] == raw


# ---- (4) a key revoked while its appends are in flight -------------------------------------


def revocation(cell: Cell, party: str, name: str, key: SigningKey) -> Submission:
    """The statement `revoke_member_key` writes, built here so that it can be queued."""
    root = cell.root_key(party)
    raw, body = build_statement(
        origin=cell.ledger.origin,
        kind=KEY_REVOKED,
        subject=f"{party}/{name}",
        author=Author(party, ROOT_MEMBER, root.key_id_hex),
        visibility=list(cell.ledger.genesis.parties),
        body={"party": party, "member": name, "key": key.key_id_hex},
        client_time=rfc3339(cell.clock.now()),
    )
    return parse_submission(b64e(raw), b64e(root.sign(raw)), body)


def entries_by(conn: Connection, name: str) -> list[int]:
    return [
        int(i)
        for i in conn.execute(
            select(log_entries.c.idx)
            .where(log_entries.c.member == name)
            .order_by(log_entries.c.idx)
        ).scalars()
    ]


def test_revocation_in_the_same_batch_cuts_the_key_off_at_its_index(
    gated: Cell, gate: Gate, tmp_path: Path
) -> None:
    origin = gated.ledger.origin
    key = member(gated, "SY", "leaver")
    other = member(gated, "IL", "stayer")

    def by_leaver(text: str) -> Submission:
        return submission(key, "SY", "leaver", origin, "rev", text)

    held = gate.hold(gated, submission(other, "IL", "stayer", origin, "rev", "blocker"))
    before = [gated.ledger.submit_async(by_leaver(f"before {i}")) for i in range(3)]
    revoke = gated.ledger.submit_async(revocation(gated, "SY", "leaver", key))
    after = [gated.ledger.submit_async(by_leaver(f"after {i}")) for i in range(3)]
    bystander = gated.ledger.submit_async(submission(other, "IL", "stayer", origin, "rev", "x"))
    gate.open()
    held.result(WAIT)
    r = revoke.result(WAIT).index
    assert all(f.result(WAIT).index < r for f in before)
    for f in after:
        with pytest.raises(Forbidden):
            f.result(WAIT)
    assert bystander.result(WAIT).index == r + 1
    with pytest.raises(Forbidden):
        gated.ledger.submit(by_leaver("later"))

    check_log(gated, tmp_path / "export")
    with gated.engine.connect() as conn:
        assert all(i < r for i in entries_by(conn, "leaver"))
        revoked = conn.execute(
            select(log_keys.c.revoked).where(log_keys.c.key_id == key.key_id_hex)
        ).scalar_one()
    assert revoked == r


def test_revocation_while_http_appends_are_in_flight(
    cell: Cell, http: TestClient, enroll: Any, tmp_path: Path
) -> None:
    sy = enroll("SY", "sy-leaver")
    headers = {"Authorization": f"Bearer {sy.token}"}
    threads, revoke_after, cap = 4, 12, 500
    cond = threading.Condition()
    acked: list[tuple[int, bytes]] = []
    after_revocation: list[tuple[int, Any]] = []
    revoked = threading.Event()
    errors: list[BaseException] = []

    def write(t: int) -> None:
        try:
            for i in range(cap):
                sent_after = revoked.is_set()
                payload = sy.client.sign(KIND, f"rev-{t}", ["SY", "US"], {"text": f"{t}/{i}"})
                r = http.post("/log/v1/append", json=payload, headers=headers)
                with cond:
                    if r.status_code == 201:
                        acked.append((r.json()["index"], b64d(payload["statement"])))
                    elif r.status_code != 403:
                        errors.append(AssertionError(f"answer {r.status_code}: {r.text}"))
                        return
                    if sent_after:
                        after_revocation.append((r.status_code, r.json()))
                    cond.notify_all()
                if sent_after:
                    return
        except BaseException as exc:
            errors.append(exc)
            raise

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    try:
        with cond:
            assert cond.wait_for(lambda: len(acked) >= revoke_after or errors, WAIT)
        r = revoke_member_key(cell, "SY", "sy-leaver", sy.key.key_id_hex).index
    finally:
        revoked.set()
        for w in workers:
            w.join(WAIT)
    assert not errors

    assert len(acked) >= revoke_after
    assert all(index < r for index, _ in acked), f"an append after the revocation {r} got in"
    # Requests sent once the revocation was acknowledged are all refused; those in flight
    # during it may have gone either way, but none got an index past it.
    assert len(after_revocation) == threads
    assert all(status == 403 for status, _ in after_revocation), after_revocation

    statements = check_log(cell, tmp_path / "export")
    for index, raw in acked:
        assert statements[index] == raw
    with cell.engine.connect() as conn:
        mine = entries_by(conn, "sy-leaver")
    assert all(i < r for i in mine)
    assert sorted(mine) == sorted(i for i, _ in acked)

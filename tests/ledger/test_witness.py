"""Witnesses, end to end: the real `Witness` talking HTTP to the app.

A witness follows the log, proves each new checkpoint consistent with the last one it
cosigned, and cosigns. These tests play a rogue operator who holds the log key and the
database (tests/ledger/helpers.py: forge_history) and check that every way of rewriting
history it has -- rewriting an entry, dropping one, rolling back, serving two parties two
different logs -- ends in a WitnessAlarm with the evidence kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from fusioncell.app import create_app
from fusioncell.cell import Cell, open_cell
from fusioncell.cli import app as cli_app
from fusioncell.client import LogClient, MemberClient
from fusioncell.ledger.export import export_log
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.note import open_checkpoint, verify_cosignature
from fusioncell.ledger.verify import verify_dir
from fusioncell.settings import Settings
from fusioncell.witness import EXIT_ALARM, Witness, WitnessAlarm

from .helpers import (
    Row,
    add_witness,
    drop,
    forge_history,
    fork_cell,
    keep_first,
    rewrite_time,
    uvicorn_server,
)

ALL = ["IL", "SY", "US"]


def post_some(client: MemberClient, n: int, tag: str) -> None:
    for i in range(n):
        client.post("note.posted", "thread-1", ALL, {"text": f"{tag} {i}", "lang": "en"})


def served_checkpoint(http: TestClient, token: str) -> str:
    r = http.get("/log/v1/checkpoint", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    return r.text


def cosigners(cell: Cell, note: str, witnesses: list[SigningKey]) -> list[str]:
    """The witnesses whose cosignature on `note` verifies (note.verify_cosignature)."""
    cp, others = open_checkpoint(note, cell.ledger.genesis.log_key)
    names = []
    for w in witnesses:
        for sig in others:
            if sig.name == w.name:
                assert verify_cosignature(cp.body(), sig, w.verifier) > 0
                names.append(w.name)
    return names


# ---- an honest log ----------------------------------------------------------------------


def test_witnesses_follow_a_growing_log_and_cosign(
    cell: Cell, http: TestClient, enroll, tmp_path: Path
) -> None:
    il_key, il_token = add_witness(cell, "IL", "witness.il.example")
    sy_key, sy_token = add_witness(cell, "SY", "witness.sy.example")
    sy = enroll("SY", "sy-liaison")
    il_w = Witness(LogClient(http=http, token=il_token), il_key, tmp_path / "w-il")
    sy_w = Witness(
        LogClient(http=http, token=sy_token), sy_key, tmp_path / "w-sy", gossip=tmp_path / "gossip"
    )
    # The log key is learnt once and pinned in the state folder.
    assert (tmp_path / "w-il" / "log.vkey").read_text().strip() == (
        cell.ledger.genesis.log_key.encode()
    )

    seen = []
    for batch in (1, 2, 3, 5):  # sizes cross powers of two: every consistency-proof shape
        post_some(sy.client, batch, f"batch {batch}")
        size = cell.ledger.size()
        for w in (il_w, sy_w):
            r = w.step()
            assert r.cosigned
            assert r.checkpoint.size == size
        note = served_checkpoint(http, sy.token)
        cp, _ = open_checkpoint(note, cell.ledger.genesis.log_key)
        assert cp == r.checkpoint
        assert cosigners(cell, note, [il_key, sy_key]) == [il_key.name, sy_key.name]
        seen.append(size)
        # Nothing new: the witness neither cosigns again nor moves.
        again = il_w.step()
        assert not again.cosigned
        assert again.checkpoint == cp
    assert seen == sorted(set(seen))
    gossiped = (tmp_path / "gossip" / "witness.sy.example.checkpoint").read_text()
    assert open_checkpoint(gossiped, cell.ledger.genesis.log_key)[0] == cp

    # An export carries the cosignatures, and the offline verifier checks them too.
    report = verify_dir(_export(cell, tmp_path / "export"), workers=1)
    assert report.size == seen[-1]
    assert report.cosigned_by == sorted([il_key.name, sy_key.name])


def _export(cell: Cell, out: Path) -> Path:
    export_log(cell.ledger, out, "IL")
    return out


# ---- a rogue operator rewrites history ------------------------------------------------

Edit = Callable[[list[Row]], list[Row]]

# (how the operator rewrites the stored log, entries it appends afterwards, what the alarm says)
# The log at the time the witness cosigns: 0 charter, 1 witness key, 2 member key, 3..8 messages.
ATTACKS: dict[str, tuple[Edit, int, str]] = {
    # backdates message 4 (its author's signature still holds), then keeps appending
    "rewritten-entry": (rewrite_time(4), 3, "INCONSISTENT"),
    # deletes message 4, renumbers 5.. down, then keeps appending
    "dropped-entry": (drop(4), 3, "INCONSISTENT"),
    # rewrites message 4 and re-signs the same size
    "rewritten-same-size": (rewrite_time(4), 0, "FORK"),
    # deletes message 5 and appends one: the size the witness cosigned, another root
    "dropped-same-size": (drop(5), 1, "FORK"),
    # forgets the last two messages
    "rolled-back": (keep_first(7), 0, "ROLLBACK"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_rewritten_history_raises_the_alarm(
    cell: Cell, http: TestClient, enroll, tmp_path: Path, attack: str
) -> None:
    edit, appended_after, expected = ATTACKS[attack]
    w_key, w_token = add_witness(cell, "IL", "witness.il.example")
    sy = enroll("SY", "sy-liaison")
    post_some(sy.client, 6, "honest")
    state = tmp_path / "w-il"
    honest = Witness(LogClient(http=http, token=w_token), w_key, state).step()
    assert honest.cosigned
    assert honest.checkpoint.size == 9
    cosigned_note = (state / "checkpoint.txt").read_text()

    # The operator stops its server, rewrites the database, re-signs, restarts and goes on.
    cell.ledger.close()
    forged_note = forge_history(cell.engine, cell.ledger.log_key, edit)
    restarted = open_cell(cell.settings)
    try:
        with TestClient(create_app(restarted)) as http2:
            if appended_after:
                author = MemberClient(
                    token=sy.token, key=sy.key, party="SY", member="sy-liaison", http=http2
                )
                post_some(author, appended_after, "after the rewrite")
            served = served_checkpoint(http2, sy.token)
            if not appended_after:
                assert served == forged_note
            # The witness restarts too, with the state it kept.
            w = Witness(LogClient(http=http2, token=w_token), w_key, state)
            with pytest.raises(WitnessAlarm) as alarm:
                w.step()
            # It keeps alarming, and never cosigns the forged history.
            with pytest.raises(WitnessAlarm):
                w.step()
            assert cosigners(restarted, served_checkpoint(http2, sy.token), [w_key]) == []
    finally:
        restarted.close()

    assert alarm.value.message.startswith(expected), alarm.value.message
    ev = alarm.value.evidence
    assert ev.is_relative_to(state)
    assert (ev / "ALARM.txt").read_text() == alarm.value.message + "\n"
    assert (ev / "old-checkpoint.txt").read_text() == cosigned_note
    assert (ev / "new-checkpoint.txt").read_text() == served
    if expected == "INCONSISTENT":
        assert (ev / "proof.json").exists()  # the proof the log gave, which fails
    assert (state / "checkpoint.txt").read_text() == cosigned_note


def test_checkpoint_signed_by_another_key_raises_the_alarm(
    cell: Cell, http: TestClient, enroll, tmp_path: Path
) -> None:
    w_key, w_token = add_witness(cell, "IL", "witness.il.example")
    sy = enroll("SY", "sy-liaison")
    post_some(sy.client, 2, "honest")
    state = tmp_path / "w-il"
    w = Witness(LogClient(http=http, token=w_token), w_key, state)
    assert w.step().cosigned
    # Same origin name, another key: the witness pinned the real one.
    impostor = SigningKey.generate(cell.ledger.origin)
    forge_history(cell.engine, impostor, lambda rows: rows)
    with pytest.raises(WitnessAlarm) as alarm:
        w.step()
    assert "not signed by the pinned log key" in alarm.value.message
    assert (alarm.value.evidence / "new-checkpoint.txt").exists()
    assert (alarm.value.evidence / "ALARM.txt").exists()


# ---- a forked log: one history for IL, another for SY ---------------------------------


@pytest.fixture
def db_url_b(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend as `db_url` (PostgreSQL: a schema)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'cell-b.db'}"
        return
    m = re.search(r"search_path%3D(\w+)", db_url)
    assert m, db_url
    schema = m.group(1) + "_b"
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield db_url.replace(f"search_path%3D{m.group(1)}", f"search_path%3D{schema}")
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# (entries appended to A after the fork, to B, the alarm SY's witness raises)
FORKS = {
    "same-size": (2, 2, "FORK"),
    "B-longer": (2, 3, "INCONSISTENT"),
    # A is longer than anything B has: B cannot even produce a proof.
    "A-longer": (3, 2, "the log cannot prove"),
}


@pytest.mark.parametrize("fork", list(FORKS))
def test_forked_log_is_caught_through_gossip(
    cell: Cell, http: TestClient, enroll, tmp_path: Path, db_url_b: str, fork: str
) -> None:
    to_a, to_b, expected = FORKS[fork]
    il_key, il_token = add_witness(cell, "IL", "witness.il.example")
    sy_key, sy_token = add_witness(cell, "SY", "witness.sy.example")
    sy = enroll("SY", "sy-liaison")
    il = enroll("IL", "il-liaison")
    post_some(sy.client, 3, "shared")
    gossip = tmp_path / "gossip"
    il_w = Witness(LogClient(http=http, token=il_token), il_key, tmp_path / "w-il", gossip=gossip)
    assert il_w.step().cosigned
    prefix = cell.ledger.size()

    # The operator copies the log and from now on serves A to IL and B to SY.
    cell_b = fork_cell(cell, Settings(data=tmp_path / "data-b", database_url=db_url_b))
    try:
        with TestClient(create_app(cell_b)) as http_b:
            sy_w = Witness(
                LogClient(http=http_b, token=sy_token), sy_key, tmp_path / "w-sy", gossip=gossip
            )
            first = sy_w.step()  # B is still A: consistent with what IL cosigned
            assert first.cosigned
            assert first.checkpoint.size == prefix

            post_some(il.client, to_a, "A only")
            sy_on_b = MemberClient(
                token=sy.token, key=sy.key, party="SY", member="sy-liaison", http=http_b
            )
            post_some(sy_on_b, to_b, "B only")
            assert cell.ledger.size() == prefix + to_a
            assert cell_b.ledger.size() == prefix + to_b

            # Each log alone is consistent with itself: offline, each party's export verifies.
            # So does IL's witness, comparing with SY's cosignature of the shared prefix.
            report_a = verify_dir(_export(cell, tmp_path / "export-a"), workers=1)
            report_b = verify_dir(_export(cell_b, tmp_path / "export-b"), workers=1)
            assert (report_a.size, report_b.size) == (prefix + to_a, prefix + to_b)
            assert report_a.root != report_b.root
            assert il_w.step().cosigned
            with pytest.raises(WitnessAlarm) as alarm:
                sy_w.step()
    finally:
        cell_b.close()

    msg = alarm.value.message
    assert msg.startswith(expected), msg
    assert "against peer witness.il.example" in msg
    ev = alarm.value.evidence
    assert (ev / "ALARM.txt").exists()
    notes = {(ev / "old-checkpoint.txt").read_text(), (ev / "new-checkpoint.txt").read_text()}
    assert (gossip / "witness.il.example.checkpoint").read_text() in notes
    # SY's witness did not cosign B's divergent head.
    assert (tmp_path / "w-sy" / "checkpoint.txt").read_text().split("\n")[1] == str(prefix)


# ---- the command line -----------------------------------------------------------------


def test_cli_witness_run_cosigns_then_exits_3_on_alarm(
    cell: Cell, enroll, tmp_path: Path, db_url: str
) -> None:
    runner = CliRunner()
    env = {"FUSIONCELL_DATABASE_URL": db_url, "COLUMNS": "200"}
    key_file = tmp_path / "witness.key"
    r = runner.invoke(
        cli_app,
        ["key", "generate", "--name", "w.il", "--out", str(key_file), "--witness"],
        env=env,
    )
    assert r.exit_code == 0, r.output
    vkey = r.stdout.strip()
    assert vkey == SigningKey.load(key_file).verifier.encode()
    r = runner.invoke(
        cli_app,
        ["witness", "add", "--party", "IL", "--vkey", vkey, "--data", str(cell.data)],
        env=env,
    )
    assert r.exit_code == 0, r.output
    token = r.stdout.strip()
    sy = enroll("SY", "sy-liaison")
    post_some(sy.client, 3, "honest")

    state = tmp_path / "w-state"
    with uvicorn_server(create_app(cell)) as url:
        args = [
            "witness",
            "run",
            "--url",
            url,
            "--token",
            token,
            "--key",
            str(key_file),
            "--state",
            str(state),
            "--once",
        ]
        r = runner.invoke(cli_app, args, env=env)
        assert r.exit_code == 0, r.output
        assert f"size {cell.ledger.size()}: cosigned" in r.output

        forge_history(cell.engine, cell.ledger.log_key, rewrite_time(3))
        r = runner.invoke(cli_app, args, env=env)
    assert r.exit_code == EXIT_ALARM, r.output
    assert "ALARM" in r.output
    assert "FORK" in r.output
    (evidence,) = (state / "evidence").iterdir()
    assert (evidence / "ALARM.txt").read_text().startswith("FORK")

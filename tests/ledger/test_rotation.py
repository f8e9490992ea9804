"""Key rotation: a party's root key and the log key are replaced by entries of the log,
signed by the key they retire, and every verifier follows them (docs/log.md, "Rotating
keys"): the appender, the offline verifier of exports and bundles, the backup verifier,
the client and the witness. Real cells on both databases, the real command line.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from fusioncell.authz import Role
from fusioncell.backup.restore import restore
from fusioncell.backup.take import take_backup
from fusioncell.backup.verify import check_log
from fusioncell.cell import Cell, log_key_file, log_key_path, open_cell, root_key_path
from fusioncell.cli import app as cli_app
from fusioncell.client import LogClient, LogInconsistent
from fusioncell.clock import FrozenClock, rfc3339
from fusioncell.db import reading, transaction
from fusioncell.errors import Conflict, Forbidden
from fusioncell.identity.devices import new_member_key
from fusioncell.ledger.bundle import make_bundle, verify_bundle
from fusioncell.ledger.canonical import b64e, canonical, sha256
from fusioncell.ledger.entry import (
    Author,
    build_statement,
    leaf_bytes,
    parse_submission,
)
from fusioncell.ledger.export import export_log
from fusioncell.ledger.keys import SigningKey, VerifierKey
from fusioncell.ledger.note import open_checkpoint, sign_note, split_note
from fusioncell.ledger.tables import log_checkpoints
from fusioncell.ledger.trust import KEY_REGISTERED, LOG_KEY_ROTATED, ROOT_ROTATED
from fusioncell.ledger.verify import VerifyError, verify_dir
from fusioncell.rotation import rotate_log_key
from fusioncell.settings import Settings
from fusioncell.witness import Witness, WitnessAlarm

from .helpers import Row, add_witness, forge_history

ALL = ["IL", "SY", "US"]


def cli(db_url: str, *args: str) -> Any:
    env = {"FUSIONCELL_DATABASE_URL": db_url, "COLUMNS": "400"}
    return CliRunner().invoke(cli_app, list(args), env=env)


def signed(cell: Cell, key: SigningKey, author: Author, kind: str, subject: str, body: dict) -> Any:
    raw, body = build_statement(
        origin=cell.ledger.origin,
        kind=kind,
        subject=subject,
        author=author,
        visibility=ALL,
        body=body,
        client_time=rfc3339(cell.clock.now()),
    )
    return {"statement": b64e(raw), "sig": b64e(key.sign(raw)), "body": body}


def post(http: TestClient, token: str, payload: dict) -> Any:
    return http.post("/log/v1/append", json=payload, headers={"Authorization": f"Bearer {token}"})


def sig_key_ids(note: str) -> list[str]:
    return [s.key_id.hex() for s in split_note(note)[1]]


# ---- a party's root key -----------------------------------------------------------------


def test_party_root_key_rotation(
    cell: Cell, http: TestClient, enroll, tmp_path: Path, db_url: str
) -> None:
    # An admin key registered by the root key that is about to be retired.
    admin = enroll("SY", "sy-admin", Role.PARTY_ADMIN, admin=True)
    old_file = root_key_path(cell.data, "SY")
    old = SigningKey.load(old_file)
    new_file = tmp_path / "sy-root.key"
    r = cli(db_url, "key", "generate", "--name", "SY/root", "--out", str(new_file))
    assert r.exit_code == 0, r.output
    new = SigningKey.load(new_file)
    assert r.stdout.strip() == new.verifier.encode()

    args = ["key", "rotate-root", "--party", "SY", "--old-key", str(old_file)]
    args += ["--new-key", str(new_file), "--reason", "custody moved", "--data", str(cell.data)]
    r = cli(db_url, *args)
    assert r.exit_code == 0, r.output
    rotated_at = cell.ledger.size() - 1
    assert f"is {new.key_id_hex} from entry {rotated_at} on" in r.stdout
    entry, body = cell.ledger.entry(rotated_at, "IL")  # visible to every party
    assert entry.statement.kind == ROOT_ROTATED
    assert entry.statement.author == Author("SY", "root", old.key_id_hex)
    assert (body["party"], body["key"], body["reason"]) == (
        "SY",
        new.verifier.encode(),
        "custody moved",
    )
    # The cell's copy of the root key (where `init` left it) is the new key now.
    assert SigningKey.load(old_file).verifier == new.verifier

    def registration(root: SigningKey, member: str) -> dict:
        key = new_member_key("SY", member)
        body = {"party": "SY", "member": member, "key": key.verifier.encode(), "admin": False}
        author = Author("SY", "root", root.key_id_hex)
        return signed(cell, root, author, KEY_REGISTERED, f"SY/{member}", body)

    # The retired root key registers nothing from its rotation on; the new one does.
    refused = post(http, admin.token, registration(old, "sy-late"))
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == (
        f"key {old.key_id_hex} is no longer the root key of SY: it was rotated at entry "
        f"{rotated_at}; the root key in force is {new.key_id_hex}"
    )
    accepted = post(http, admin.token, registration(new, "sy-new"))
    assert accepted.status_code == 201, accepted.text
    # Keys the old root registered before its rotation stay valid.
    other = new_member_key("SY", "sy-other")
    admin.client.post(
        KEY_REGISTERED,
        "SY/sy-other",
        ALL,
        {"party": "SY", "member": "sy-other", "key": other.verifier.encode(), "admin": False},
    )
    # `key register` signs with DATA/keys/root-SY.key, the new key now.
    vkey = new_member_key("SY", "sy-cli").verifier.encode()
    args = ["key", "register", "--party", "SY", "--member", "sy-cli", "--vkey", vkey]
    r = cli(db_url, *args, "--data", str(cell.data))
    assert r.exit_code == 0, r.output

    # Rotations the trust chain refuses: by the retired key, by an admin key, back to a
    # key used before, to a key not named SY/root.
    def rotation(signer: SigningKey, member: str, key: VerifierKey) -> dict:
        author = Author("SY", member, signer.key_id_hex)
        return signed(
            cell, signer, author, ROOT_ROTATED, "SY/root", {"party": "SY", "key": key.encode()}
        )

    again = SigningKey.generate("SY/root").verifier
    for payload, why in [
        (rotation(old, "root", again), "is no longer the root key of SY"),
        (rotation(admin.key, "sy-admin", again), "signed by the party's root key in force"),
        (rotation(new, "root", old.verifier), "is in force or was used before"),
        (rotation(new, "root", SigningKey.generate("SY/sy-admin/x").verifier), "named SY/root"),
    ]:
        r = post(http, admin.token, payload)
        assert r.status_code == 403, r.text
        assert why in r.json()["detail"]
    r = cli(db_url, *["key", "rotate-root", "--party", "SY", "--old-key", str(tmp_path / "nope")])
    assert r.exit_code == 2

    # Offline: the export and a bundle replay the rotation.
    out = tmp_path / "export"
    export_log(cell.ledger, out, "US")
    report = verify_dir(out, workers=1)
    assert report.size == cell.ledger.size()
    bundle = make_bundle(cell.ledger, [accepted.json()["index"]], "IL")
    assert verify_bundle(bundle).indices == [accepted.json()["index"]]


# ---- the log key ------------------------------------------------------------------------


def post_some(actor: Any, n: int, tag: str) -> None:
    for i in range(n):
        actor.client.post("note.posted", "thread-1", ALL, {"text": f"{tag} {i}", "lang": "en"})


def served(http: TestClient, token: str, path: str) -> Any:
    r = http.get(f"/log/v1{path}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r


def test_log_key_rotation_on_a_live_cell(
    cell: Cell, http: TestClient, enroll, tmp_path: Path, db_url: str
) -> None:
    w_key, w_token = add_witness(cell, "IL", "witness.il.example")
    sy = enroll("SY", "sy-liaison")
    old = cell.ledger.genesis.log_key
    # The witness is configured with the old key, and so is a second server process.
    state = tmp_path / "w-il"
    witness = Witness(LogClient(http=http, token=w_token, log_key=old.encode()), w_key, state)
    other = open_cell(cell.settings)
    post_some(sy, 2, "before")
    assert witness.step().cosigned
    assert other.ledger.log_key is not None and other.ledger.log_key.verifier == old

    r = cli(db_url, "log", "rotate-key", "--reason", "yearly", "--data", str(cell.data))
    assert r.exit_code == 0, r.output
    keys = cell.data / "keys"
    new = SigningKey.load(log_key_path(cell.data))
    assert new.verifier != old and new.name == old.name
    assert SigningKey.load(log_key_file(cell.data, old.key_id_hex, "old")).verifier == old
    assert not list(keys.glob("*.new")) and not list(keys.glob(".*"))
    rotated_at = cell.ledger.size() - 1
    assert f"retired at entry {rotated_at}; in force now: {new.verifier.encode()}" in r.stdout
    entry, body = cell.ledger.entry(rotated_at, "US")
    assert (entry.statement.kind, entry.statement.author.key) == (LOG_KEY_ROTATED, old.key_id_hex)
    assert body["key"] == new.verifier.encode() and body["reason"] == "yearly"

    # The server processes that were running switch by themselves: this one at its next
    # append, the other (whose view of the log is older) by retrying once with the new key.
    post_some(sy, 1, "after")  # sy's client pinned the old key: it learns the new one
    assert sy.client.log_key == new.verifier
    done = other.ledger.append_system("system.rotation.probe", "probe", ALL, {"n": 1})
    assert other.ledger.entry(done.index, "IL")[0].statement.author.key == new.key_id_hex
    other.close()
    assert served(http, sy.token, "/key").text == new.verifier.encode() + "\n"
    assert served(http, sy.token, "/keys").json() == {
        "keys": [
            {"index": 0, "key": old.encode()},
            {"index": rotated_at, "key": new.verifier.encode()},
        ]
    }
    # In the transition, checkpoints carry both signatures: the key in force first.
    note = served(http, sy.token, "/checkpoint").text
    assert sig_key_ids(note)[:2] == [new.key_id_hex, old.key_id_hex]
    assert open_checkpoint(note, old)[0] == open_checkpoint(note, new.verifier)[0]
    # A client that learns the key only now trusts the one in force (as GET /key serves it).
    late = LogClient(http=http, token=sy.token)
    assert late.checkpoint()[0].size == cell.ledger.size()
    assert late.log_key == new.verifier and late.rotations == []

    # The witness accepts the new key through the rotation entry it proved, and keeps it.
    step = witness.step()
    assert step.cosigned and step.checkpoint.size == cell.ledger.size()
    assert witness.log_key == new.verifier
    assert (state / "log.keys").read_text() == f"{rotated_at} {new.verifier.encode()}\n"
    assert (state / "log.vkey").read_text().strip() == old.encode()

    # After the transition, only the new key signs; those that follow the log still verify.
    cell.ledger.clock = FrozenClock(datetime.now(UTC) + timedelta(days=8))
    post_some(sy, 1, "later")
    note = served(http, sy.token, "/checkpoint").text
    assert sig_key_ids(note) == [new.key_id_hex]
    restarted = Witness(LogClient(http=http, token=w_token), w_key, state)  # from its state
    assert restarted.step().cosigned
    fresh = LogClient(http=http, token=sy.token, log_key=old.encode())  # knew only the old key
    assert fresh.checkpoint()[0].size == cell.ledger.size()
    assert fresh.rotations == [(rotated_at, new.verifier)]

    # Offline, across the rotation: the export, a bundle, the backup verifier.
    out = tmp_path / "export"
    export_log(cell.ledger, out, "IL")
    report = verify_dir(out, workers=2)
    assert report.log_keys == [(0, old), (rotated_at, new.verifier)]
    assert report.cosigned_by == [w_key.name]
    assert (out / "key.txt").read_text() == old.encode() + "\n"  # the charter's: the anchor
    r = cli(db_url, "log", "verify", str(out), "--workers", "1")
    assert r.exit_code == 0, r.output
    assert f"log key rotated at entry {rotated_at} to {new.key_id_hex}" in r.stdout
    # A verifier given the key in force (GET /log/v1/key) follows the chain to it too.
    (out / "key.txt").write_text(served(http, sy.token, "/key").text)
    assert verify_dir(out, workers=1).size == cell.ledger.size()
    bundle = make_bundle(cell.ledger, [rotated_at + 2, cell.ledger.size() - 1], "SY")
    assert verify_bundle(bundle).size == cell.ledger.size()
    with reading(cell.engine) as conn:
        assert check_log(conn, workers=1, progress=None).size == cell.ledger.size()

    # A forged rotation, signed by a key that is not the log key in force, is refused.
    impostor = SigningKey.generate(cell.ledger.origin)
    for signer, claimed, why in [
        (impostor, new.key_id_hex, "signature does not verify"),
        (SigningKey.load(keys / f"log.key.{old.key_id_hex}.old"), old.key_id_hex, "retired"),
    ]:
        forged = signed(
            cell,
            signer,
            Author("*", "system", claimed),
            LOG_KEY_ROTATED,
            "log/key",
            {"key": impostor.verifier.encode()},
        )
        with pytest.raises(Forbidden, match=why):
            cell.ledger.submit(parse_submission(forged["statement"], forged["sig"], forged["body"]))
    size = cell.ledger.size()

    # The retired key alone signs the latest checkpoint: every verifier refuses it.
    retired = SigningKey.load(keys / f"log.key.{old.key_id_hex}.old")
    cp = open_checkpoint(note, new.verifier)[0]
    by_retired = sign_note(cp.body(), retired)
    export_log(cell.ledger, out, "IL")
    (out / "checkpoint.txt").write_text(by_retired)
    with pytest.raises(VerifyError, match=f"not signed by the log key in force {new.key_id_hex}"):
        verify_dir(out, workers=1)
    with pytest.raises(LogInconsistent, match="not signed by the log key in force"):
        fresh.accept_checkpoint(by_retired)
    bundle["checkpoint"] = by_retired
    with pytest.raises(VerifyError, match="not signed by the log key in force"):
        verify_bundle(bundle)
    with transaction(cell.engine) as conn:
        conn.execute(
            update(log_checkpoints).where(log_checkpoints.c.size == size).values(note=by_retired)
        )
    with pytest.raises(WitnessAlarm, match="not signed by the pinned log key or one it rotated"):
        restarted.step()

    # A rogue operator appends a rotation to a key of its own, signed by that key.
    def fake_rotation(rows: list[Row]) -> list[Row]:
        raw, body = build_statement(
            origin=cell.ledger.origin,
            kind=LOG_KEY_ROTATED,
            subject="log/key",
            author=Author("*", "system", new.key_id_hex),
            visibility=ALL,
            body={"key": impostor.verifier.encode()},
            client_time=rows[-1]["time"],
        )
        leaf = leaf_bytes(len(rows), rows[-1]["time"], raw, impostor.sign(raw))
        row = {**rows[-1], "leaf": leaf, "statement_sha256": sha256(raw), "body": canonical(body)}
        row.update(kind=LOG_KEY_ROTATED, subject="log/key", party="*", member="system")
        return [*rows, row]

    forge_history(cell.engine, impostor, fake_rotation)
    with pytest.raises(WitnessAlarm, match=f"entry {size}: not a log key rotation we can trust"):
        restarted.step()
    assert restarted.log_key == new.verifier  # it never took the impostor's key


def test_interrupted_rotation_is_finished_and_any_process_finds_the_key(cell: Cell) -> None:
    """A crash between the rotation's commit and the switch of key files: the new key is
    still log.key.ID.new. Processes find it by its id; the next rotation finishes the
    switch first."""
    first = rotate_log_key(cell)
    keys = cell.data / "keys"
    # Put the files back as they were just before the switch.
    log_key_path(cell.data).rename(log_key_file(cell.data, first.new.key_id_hex, "new"))
    log_key_file(cell.data, first.old.key_id_hex, "old").rename(log_key_path(cell.data))
    restarted = open_cell(cell.settings)
    try:
        done = restarted.ledger.append_system("system.rotation.probe", "probe", ALL, {"n": 2})
        note = restarted.ledger.checkpoint()
        assert sig_key_ids(note)[0] == first.new.key_id_hex
        assert restarted.ledger.entry(done.index, "IL")[0].statement.author.key == (
            first.new.key_id_hex
        )
        second = rotate_log_key(restarted, "again")
    finally:
        restarted.close()
    assert second.old == first.new
    assert SigningKey.load(log_key_path(cell.data)).verifier == second.new
    assert sorted(p.name for p in keys.glob("log.key*")) == sorted(
        ["log.key", f"log.key.{first.old.key_id_hex}.old", f"log.key.{first.new.key_id_hex}.old"]
    )
    # Checkpoints after the second rotation: the newest key, then the one it retired.
    assert sig_key_ids(cell.ledger.checkpoint()) == [second.new.key_id_hex, first.new.key_id_hex]
    out = cell.data.parent / "export"
    export_log(cell.ledger, out, None)
    assert verify_dir(out, workers=1).log_keys[1:] == [
        (first.entry.index, first.new),
        (second.entry.index, second.new),
    ]
    # A backup across both rotations is taken, verified on restore, and the restored cell
    # signs with the key in force (and the retired one, in the transition).
    archive = cell.data.parent / "cell.fcbackup"
    take_backup(cell.settings, archive)
    again = cell.data.parent / "restored"
    restore(archive, again, database_url=f"sqlite:///{cell.data.parent / 'restored.db'}")
    restored = open_cell(
        Settings(data=again, database_url=f"sqlite:///{cell.data.parent / 'restored.db'}")
    )
    try:
        restored.ledger.append_system("system.rotation.probe", "probe", ALL, {"n": 4})
        assert sig_key_ids(restored.ledger.checkpoint()) == [
            second.new.key_id_hex,
            first.new.key_id_hex,
        ]
    finally:
        restored.close()
    # A process that does not hold the key in force refuses to sign rather than sign with
    # a retired one. This one last saw the log before the second rotation, and holds the
    # key it retired.
    log_key_path(cell.data).rename(keys / "elsewhere.key")
    with pytest.raises(
        Conflict, match=f"does not hold the log key in force {second.new.key_id_hex}"
    ):
        cell.ledger.append_system("system.rotation.probe", "probe", ALL, {"n": 3})
    assert verify_dir(out, workers=1).size == cell.ledger.size()

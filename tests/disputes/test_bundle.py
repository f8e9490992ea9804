"""The evidence bundle of a dispute: downloaded through the API by a party, verified
offline by `fusioncell log verify FILE` (with a witness's cosignature on its checkpoint),
and refused, naming the entry, after each kind of alteration (a body, a leaf, a proof, the
checkpoint, a cosignature, a trust entry taken out)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from fusioncell.cell import Cell
from fusioncell.cli import app as cli_app
from fusioncell.client import LogClient
from fusioncell.ledger.bundle import verify_bundle
from fusioncell.ledger.entry import parse_leaf
from fusioncell.ledger.verify import VerifyError
from fusioncell.witness import Witness
from tests.disputes.test_disputes import ANSWER_HE, World
from tests.ledger.helpers import add_witness


@pytest.fixture
def w(member: Any) -> World:
    return World(member)


def _verify(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, ["log", "verify", str(path)])
    return result.exit_code, result.output


def _kind(e: dict[str, Any]) -> str | None:
    return parse_leaf(base64.b64decode(e["entry"])).statement.kind if e["entry"] else None


def _made(w: World) -> tuple[str, int, int, dict[str, Any]]:
    seen = w.message(w.il, ["IL", "SY", "US"], "דיווח", "he")
    hidden = w.message(w.sy, ["SY", "US"], "لكم فقط", "ar")  # IL may not read it
    did = w.raise_(cites=[seen, hidden])
    w.il.answer(did, ANSWER_HE, "he")
    return did, seen, hidden, json.loads(w.il.evidence(did))


def test_a_bundle_verifies_offline(cell: Cell, w: World, tmp_path: Path) -> None:
    did, seen, hidden, bundle = _made(w)
    assert bundle["party"] == "IL" and bundle["about"] == {"dispute": did}
    by_index = {e["index"]: e for e in bundle["entries"]}
    own = [i for i, e in by_index.items() if (_kind(e) or "").startswith("dispute.")]
    assert set(bundle["indices"]) == {seen, hidden, *own} and len(own) == 2
    assert by_index[hidden]["entry"] is None and by_index[hidden]["body"] is None
    assert by_index[seen]["body"]["text"] == "דיווח"
    assert _kind(by_index[0]) == "charter.adopted"
    assert "member.key.registered" in {_kind(e) for e in bundle["entries"]}
    path = tmp_path / "bundle.json"
    path.write_bytes(w.il.evidence(did))
    code, out = _verify(path)
    assert code == 0, out
    assert "OK" in out and "evidence bundle" in out
    report = verify_bundle(bundle)
    assert report.readable == report.entries - 1  # the hidden one
    # The supervisor's bundle reads everything.
    us = json.loads(w.us.evidence(did))
    assert all(e["entry"] for e in us["entries"])
    assert verify_bundle(us).readable == len(us["entries"])


def test_a_bundle_carries_the_witness_cosignature_and_verifies_it(
    cell: Cell, w: World, http: TestClient, tmp_path: Path
) -> None:
    key, token = add_witness(cell, "SY", "witness.sy.example")
    did, _seen, _hidden, _ = _made(w)
    # The witness follows the log and cosigns the checkpoint covering the dispute.
    witness = Witness(LogClient(http=http, token=token), key, tmp_path / "w", now=cell.clock.now)
    assert witness.step().cosigned
    raw = w.il.evidence(did)
    bundle = json.loads(raw)
    [line] = [x for x in bundle["checkpoint"].splitlines() if key.name in x]
    assert line.startswith("\u2014 witness.sy.example ")
    assert verify_bundle(bundle).cosigned_by == [key.name]
    path = tmp_path / "bundle.json"
    path.write_bytes(raw)
    code, out = _verify(path)
    assert code == 0, out
    assert "cosigned by: witness.sy.example" in " ".join(out.split())
    # A registered witness's cosignature that does not verify fails the bundle.
    name, sig = line.rsplit(" ", 1)
    bundle["checkpoint"] = bundle["checkpoint"].replace(line, f"{name} {_flip(sig)}")
    code, out = _tampered(tmp_path, bundle, "cosig")
    assert code == 1 and "cosignature of witness.sy.example" in " ".join(out.split()), out


def _tampered(tmp_path: Path, bundle: dict[str, Any], name: str) -> tuple[int, str]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return _verify(path)


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_every_alteration_fails_naming_the_entry(cell: Cell, w: World, tmp_path: Path) -> None:
    did, seen, _hidden, bundle = _made(w)
    entries = bundle["entries"]
    raised = next(i for i, e in enumerate(entries) if _kind(e) == "dispute.raised")
    answered = next(i for i, e in enumerate(entries) if _kind(e) == "dispute.answered")
    raised_at, answered_at = entries[raised]["index"], entries[answered]["index"]

    def case(change: Any) -> str:
        copy = json.loads(json.dumps(bundle))
        change(copy)
        code, out = _tampered(tmp_path, copy, "t")
        assert code == 1, out
        assert "FAILED" in out
        with pytest.raises(VerifyError):
            verify_bundle(copy)
        return out

    def body(b: dict[str, Any]) -> None:
        b["entries"][raised]["body"]["title"] = "عنوان آخر"

    assert f"entry {raised_at}: body does not match" in case(body)

    def leaf(b: dict[str, Any]) -> None:
        b["entries"][raised]["entry"] = _flip(b["entries"][raised]["entry"])

    assert f"entry {raised_at}: leaf_hash does not match" in case(leaf)

    def leaf_and_hash(b: dict[str, Any]) -> None:
        e = b["entries"][raised]
        e["leaf_hash"] = _flip(e["leaf_hash"])

    assert f"entry {raised_at}: the inclusion proof" in case(leaf_and_hash)

    def proof(b: dict[str, Any]) -> None:
        e = b["entries"][answered]
        e["proof"][0] = _flip(e["proof"][0])

    assert f"entry {answered_at}: the inclusion proof" in case(proof)

    def checkpoint(b: dict[str, Any]) -> None:
        body, sigs = b["checkpoint"].split("\n\n", 1)
        origin, size, root = body.split("\n")[:3]
        b["checkpoint"] = f"{origin}\n{int(size) + 1}\n{root}\n\n{sigs}"

    assert "checkpoint" in case(checkpoint)

    def other_key(b: dict[str, Any]) -> None:
        from fusioncell.ledger.keys import SigningKey
        from fusioncell.ledger.note import sign_note

        forger = SigningKey.generate(b["origin"])
        body = b["checkpoint"].split("\n\n", 1)[0] + "\n"
        b["checkpoint"] = sign_note(body, forger)
        b["key"] = forger.verifier.encode()

    # A checkpoint signed by another key fails too: entry 0 names the log's real key.
    assert "entry 0: the charter names another log key" in case(other_key)

    def trust(b: dict[str, Any]) -> None:
        # Take out the registration of the key that signed IL's answer.
        key = parse_leaf(base64.b64decode(b["entries"][answered]["entry"])).statement.author.key
        b["entries"] = [
            e
            for e in b["entries"]
            if not (_kind(e) == "member.key.registered" and key in str(e["body"]["key"]))
        ]

    out = case(trust)
    # The first entry in the bundle signed with that key: IL's message it cites.
    assert f"entry {seen}:" in out and "not registered" in out

    def genesis(b: dict[str, Any]) -> None:
        b["entries"] = b["entries"][1:]

    assert "entry 0" in case(genesis)

    def dropped(b: dict[str, Any]) -> None:
        b["entries"] = [e for e in b["entries"] if e["index"] != seen]

    assert f"entry {seen}: an entry the bundle is about is not in it" in case(dropped)

    def reordered(b: dict[str, Any]) -> None:
        b["entries"][raised], b["entries"][answered] = b["entries"][answered], b["entries"][raised]

    assert "increasing index order" in case(reordered)
    assert did

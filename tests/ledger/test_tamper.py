"""Tampering with an export: any single alteration fails `verify_dir`, naming the entry.

One log is built once for the module (SQLite: verification is offline, the backend does
not matter here) with every kind of line an export holds: the charter, a witness, key
registrations (one of them an admin's), messages in Arabic and Hebrew, a revocation, and
entries hidden from the exporting party. It is exported as IL, cosigned by IL's witness.
Each test alters a copy of that export and checks that verification fails, and that the
error names the entry that was altered wherever the export makes that knowable (a hidden
entry's leaf hash is only tied to the signed root, so its alteration names no entry).

The database-level tests at the end run on both backends: altering a stored leaf or body
under a live cell makes `log export` + `log verify` fail.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from typer.testing import CliRunner

from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.cli import app as cli_app
from fusioncell.clock import rfc3339
from fusioncell.db import transaction
from fusioncell.identity.devices import (
    new_member_key,
    post_as,
    register_member_key,
    register_witness_key,
    revoke_member_key,
)
from fusioncell.ledger import merkle, verify
from fusioncell.ledger.canonical import EncodingError, b64e, canonical, loads_canonical
from fusioncell.ledger.entry import Author, build_statement, leaf_bytes, parse_leaf
from fusioncell.ledger.export import export_log
from fusioncell.ledger.keys import ALG_COSIGNATURE_V1, SigningKey
from fusioncell.ledger.note import Checkpoint, cosign, sign_note, split_note
from fusioncell.ledger.tables import log_bodies, log_entries
from fusioncell.ledger.verify import Report, VerifyError, verify_dir
from fusioncell.settings import Settings

from .helpers import with_time

ALL = ["IL", "SY", "US"]
WITNESS = "witness.il.example"
FAST = settings(max_examples=100, deadline=None)
FEW = settings(max_examples=50, deadline=None)  # for the two small files


class Export:
    """The export as IL sees it, kept in memory; `scratch` is where altered copies go.

    (A plain class, not a dataclass: hypothesis prints dataclasses field by field with
    every example it reports, and these fields hold the whole export.)
    """

    path: Path
    full: Path  # the operator's export of the same log (nothing hidden)
    scratch: Path
    entries: bytes
    checkpoint: bytes
    key: bytes
    lines: list[bytes]  # each with its newline
    hidden: list[bool]
    log_key: SigningKey
    revoked: SigningKey  # SY/sy-old's device key, revoked at `revoked_at`
    revoked_at: int

    def __init__(self, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        return f"<Export of {len(self.lines)} entries at {self.path}>"

    @property
    def size(self) -> int:
        return len(self.lines)

    @property
    def visible(self) -> list[int]:
        return [i for i, h in enumerate(self.hidden) if not h]

    @property
    def invisible(self) -> list[int]:
        return [i for i, h in enumerate(self.hidden) if h]


def _message(i: int, text: str, lang: str) -> dict[str, Any]:
    return {
        "text": text,
        "lang": lang,
        "meta": {"seq": i, "priority": i % 3, "urgent": i % 2 == 0, "tags": ["a", f"t{i}"]},
        "reply_to": None,
    }


@pytest.fixture(scope="module")
def exp(tmp_path_factory: pytest.TempPathFactory) -> Export:
    d = tmp_path_factory.mktemp("tamper")
    cell = init_cell(
        paris_charter_text(),
        Settings(data=d / "data", database_url=f"sqlite:///{d / 'cell.db'}"),
    )
    try:
        witness = SigningKey.generate(WITNESS, ALG_COSIGNATURE_V1)
        register_witness_key(cell, "IL", witness.verifier.encode())  # 1
        keys: dict[str, SigningKey] = {}
        for party, member, admin in [
            ("IL", "il-liaison", True),  # 2
            ("SY", "sy-liaison", False),  # 3
            ("SY", "sy-old", False),  # 4
            ("US", "us-supervisor", False),  # 5
        ]:
            keys[member] = new_member_key(party, member)
            register_member_key(cell, party, member, keys[member].verifier.encode(), admin=admin)

        def post(member: str, vis: list[str], text: str, lang: str) -> int:
            k = keys[member]
            author = Author(member[:2].upper(), member, k.key_id_hex)
            return post_as(
                cell,
                k,
                author,
                "note.posted",
                "thread-1",
                vis,
                _message(cell.ledger.size(), text, lang),
            ).index

        post("sy-liaison", ALL, "نطلب توضيحاً بشأن تحركات قرب خط الفصل.", "ar")  # 6
        post("sy-liaison", ["SY", "US"], "ملاحظة داخلية", "ar")  # 7: hidden from IL
        post("il-liaison", ["IL", "US"], "התקבל. נמסור הבהרה בתוך 48 שעות.", "he")  # 8
        post("sy-old", ALL, "from the old laptop", "en")  # 9
        revoked_at = revoke_member_key(cell, "SY", "sy-old", keys["sy-old"].key_id_hex).index
        post("us-supervisor", ["US"], "supervisor's note", "en")  # 11: hidden from IL
        post("sy-liaison", ALL, "شكراً", "ar")  # 12
        post("sy-liaison", ["SY", "US"], "سري", "ar")  # 13: hidden from IL
        post("il-liaison", ALL, "תודה", "he")  # 14

        body, _ = split_note(cell.ledger.checkpoint())
        sig = cosign(body, witness, int(cell.clock.now().timestamp()))
        assert cell.ledger.add_cosignatures(body + "\n" + sig.line()) == 1
        export_log(cell.ledger, d / "as-il", "IL")
        export_log(cell.ledger, d / "full", None)
        log_key = cell.ledger.log_key
        assert log_key is not None
    finally:
        cell.close()

    entries = (d / "as-il" / "entries.jsonl").read_bytes()
    lines = entries.splitlines(keepends=True)
    return Export(
        path=d / "as-il",
        full=d / "full",
        scratch=d / "scratch",
        entries=entries,
        checkpoint=(d / "as-il" / "checkpoint.txt").read_bytes(),
        key=(d / "as-il" / "key.txt").read_bytes(),
        lines=lines,
        hidden=[json.loads(line)["entry"] is None for line in lines],
        log_key=log_key,
        revoked=keys["sy-old"],
        revoked_at=revoked_at,
    )


def check(
    exp: Export,
    *,
    entries: bytes | None = None,
    checkpoint: bytes | None = None,
    key: bytes | None = None,
    workers: int = 1,
) -> Report:
    """verify_dir on a copy of the export with the given files replaced."""
    exp.scratch.mkdir(exist_ok=True)
    (exp.scratch / "entries.jsonl").write_bytes(exp.entries if entries is None else entries)
    (exp.scratch / "checkpoint.txt").write_bytes(
        exp.checkpoint if checkpoint is None else checkpoint
    )
    (exp.scratch / "key.txt").write_bytes(exp.key if key is None else key)
    return verify_dir(exp.scratch, workers=workers)


def failure(exp: Export, **files: Any) -> VerifyError:
    with pytest.raises(VerifyError) as exc:
        check(exp, **files)
    return exc.value


def first_difference(old: list[bytes], new: list[bytes]) -> int:
    """The first position where the line sequences differ: the entry verify must name."""
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            return i
    return min(len(old), len(new))


def leaf_hash_span(line: bytes) -> range:
    start = line.index(b'"leaf_hash":"') + len(b'"leaf_hash":"')
    return range(start, line.index(b'"', start))


def dumps_line(obj: dict[str, Any]) -> bytes:
    """A line exactly as export_log writes it."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


# ---- positive controls ----------------------------------------------------------------


def test_unmodified_exports_verify(exp: Export) -> None:
    assert exp.lines[0].startswith(b'{"index":0,')
    assert exp.size == 15
    assert exp.invisible == [7, 11, 13]
    report = check(exp)
    assert (report.size, report.visible, report.hidden) == (15, 12, 3)
    assert report.cosigned_by == [WITNESS]
    full = verify_dir(exp.full, workers=1)
    assert (full.size, full.visible, full.hidden, full.root) == (15, 15, 0, report.root)
    assert dumps_line(json.loads(exp.lines[6])) == exp.lines[6]  # our re-serialisation is exact


def test_unmodified_export_verifies_in_parallel_small_chunks(
    exp: Export, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of 2 lines across 2 processes: chunks are checked before the key
    # registrations and the revocation of earlier chunks reach them, and rechecked.
    monkeypatch.setattr(verify, "CHUNK", 2)
    assert check(exp, workers=2).size == exp.size
    with pytest.raises(VerifyError) as exc:
        check(exp, entries=b"".join(exp.lines[:9] + exp.lines[10:]), workers=2)
    assert exc.value.index == 9


# ---- entries.jsonl: single-character and single-bit changes ---------------------------


@FAST
@given(data=st.data())
def test_any_character_changed_is_detected(exp: Export, data: st.DataObject) -> None:
    """Replace one character of one line (the file stays valid UTF-8)."""
    k = data.draw(st.integers(0, exp.size - 1), label="line")
    line = exp.lines[k].decode()[:-1]
    pos = data.draw(st.integers(0, len(line) - 1), label="position")
    new = data.draw(st.characters(codec="utf-8").filter(lambda c: c != line[pos]), label="char")
    altered = (line[:pos] + new + line[pos + 1 :] + "\n").encode()
    lines = [*exp.lines[:k], altered, *exp.lines[k + 1 :]]
    err = failure(exp, entries=b"".join(lines))
    in_hidden_hash = exp.hidden[k] and len(line[:pos].encode()) in leaf_hash_span(exp.lines[k])
    assert err.index == k or (in_hidden_hash and err.index is None), (k, pos, err)


@FAST
@given(data=st.data())
def test_any_bit_flipped_is_detected(exp: Export, data: st.DataObject) -> None:
    """Flip one bit of one line, its newline included (not the file's very last byte: a
    trailing newline turned into other whitespace changes nothing). Fails while
    verify_dir lets a UnicodeDecodeError out (see test_bytes_that_are_not_utf8_...)."""
    k = data.draw(st.integers(0, exp.size - 1), label="line")
    last = len(exp.lines[k]) - (2 if k == exp.size - 1 else 1)
    pos = data.draw(st.integers(0, last), label="position")
    bit = data.draw(st.integers(0, 7), label="bit")
    altered = bytearray(exp.lines[k])
    altered[pos] ^= 1 << bit
    lines = [*exp.lines[:k], bytes(altered), *exp.lines[k + 1 :]]
    err = failure(exp, entries=b"".join(lines))
    in_hidden_hash = exp.hidden[k] and pos in leaf_hash_span(exp.lines[k])
    assert err.index == k or (in_hidden_hash and err.index is None), (k, pos, bit, err)


@pytest.mark.parametrize(
    "how",
    ["high bit of an ASCII byte", "inside an Arabic letter", "truncated inside a letter"],
)
def test_bytes_that_are_not_utf8_are_named_not_crashed(exp: Export, how: str) -> None:
    line = bytearray(exp.lines[6])  # a visible message in Arabic
    arabic = bytes(line).index("نطلب".encode())
    if how == "high bit of an ASCII byte":
        line[2] ^= 0x80
    elif how == "inside an Arabic letter":
        line[arabic + 1] ^= 0x40
    else:
        line = line[: arabic + 1]
    entries = b"".join(exp.lines[:6]) + bytes(line)
    if how != "truncated inside a letter":
        entries += b"".join(exp.lines[7:])
    assert failure(exp, entries=entries).index == 6


@pytest.mark.parametrize("value", ["true", "1.0", "1e0"])
def test_index_must_be_an_integer(exp: Export, value: str) -> None:
    # "index":1 -> "index":true passes `index != expected` in Python (True == 1 == 1.0).
    line = exp.lines[1].replace(b'"index":1,', f'"index":{value},'.encode(), 1)
    assert line != exp.lines[1]
    lines = [exp.lines[0], line, *exp.lines[2:]]
    assert failure(exp, entries=b"".join(lines)).index == 1


# ---- entries.jsonl: values and whole lines --------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)  # beyond 2**53 is no JSON number JCS accepts: also refused
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=5,
)


def _differs(new: Any, old: Any) -> bool:
    """Is `new` another JSON value than `old`? (1 and 1.0 are one value in JCS.)"""
    try:
        return canonical(new) != canonical(old)
    except EncodingError:
        return True


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


@FAST
@given(data=st.data())
def test_any_body_value_changed_is_detected(exp: Export, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, exp.size - 1), label="line")
    obj = json.loads(exp.lines[k])
    if obj["body"] is None:  # hidden: any body at all is an alteration
        obj["body"] = data.draw(JSON.filter(lambda v: v is not None), label="body")
    else:
        path = data.draw(st.sampled_from(list(_paths(obj["body"]))), label="path")
        *parents, last = path
        holder = obj["body"]
        for p in parents:
            holder = holder[p]
        action = data.draw(st.sampled_from(["change", "remove", "add"]), label="action")
        if action == "change":
            holder[last] = data.draw(
                JSON.filter(lambda v: _differs(v, holder[last])), label="value"
            )
        elif action == "remove":
            del holder[last]
        elif isinstance(holder, dict):
            holder[data.draw(st.text(max_size=4).filter(lambda s: s not in holder))] = data.draw(
                JSON, label="value"
            )
        else:
            holder.insert(last, data.draw(JSON, label="value"))
    lines = [*exp.lines[:k], dumps_line(obj), *exp.lines[k + 1 :]]
    assert failure(exp, entries=b"".join(lines)).index == k


def test_deleting_any_line_names_it(exp: Export) -> None:
    for k in range(exp.size):
        err = failure(exp, entries=b"".join(exp.lines[:k] + exp.lines[k + 1 :]))
        assert err.index == k, (k, err)


def test_swapping_any_two_lines_names_the_first(exp: Export) -> None:
    for i in range(exp.size):
        for j in range(i + 1, exp.size):
            lines = list(exp.lines)
            lines[i], lines[j] = lines[j], lines[i]
            err = failure(exp, entries=b"".join(lines))
            assert err.index == i, (i, j, err)


def test_duplicating_any_line_anywhere_is_named(exp: Export) -> None:
    for k in range(exp.size):
        for at in range(exp.size + 1):
            lines = [*exp.lines[:at], exp.lines[k], *exp.lines[at:]]
            err = failure(exp, entries=b"".join(lines))
            assert err.index == first_difference(exp.lines, lines), (k, at, err)


@FAST
@given(data=st.data())
def test_any_reordering_is_named(exp: Export, data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(exp.size)).filter(lambda p: p != sorted(p)))
    lines = [exp.lines[i] for i in order]
    assert failure(exp, entries=b"".join(lines)).index == first_difference(exp.lines, lines)


@FAST
@given(data=st.data())
def test_truncation_at_any_point_is_named(exp: Export, data: st.DataObject) -> None:
    """Cut the file anywhere (at a character boundary; cutting inside a character is
    test_bytes_that_are_not_utf8...), except after the last line's closing brace, which
    only drops the final newline."""
    cut = data.draw(st.integers(0, len(exp.entries) - 2), label="cut")
    while exp.entries[cut] & 0xC0 == 0x80:  # back to the start of its character
        cut -= 1
    err = failure(exp, entries=exp.entries[:cut])
    assert err.index == exp.entries[: cut + 1].count(b"\n"), (cut, err)


def test_missing_entries_file_is_a_verify_error(exp: Export) -> None:
    check(exp)
    (exp.scratch / "entries.jsonl").unlink()
    with pytest.raises(VerifyError):
        verify_dir(exp.scratch, workers=1)


# ---- checkpoint.txt and key.txt -------------------------------------------------------


@FEW
@given(pos=st.integers(0), bit=st.integers(0, 7))
def test_any_bit_flipped_in_the_checkpoint_is_detected(exp: Export, pos: int, bit: int) -> None:
    pos %= len(exp.checkpoint)
    altered = bytearray(exp.checkpoint)
    altered[pos] ^= 1 << bit
    refused: VerifyError | None = None
    try:
        report = check(exp, checkpoint=bytes(altered))
    except VerifyError as exc:
        refused = exc
    if refused is not None:
        assert refused.index is None, refused
        return
    # A cosignature line whose witness name was altered is a cosigner this log never
    # registered, which C2SP says to ignore: then the witness no longer counts.
    cosig_line = exp.checkpoint.rindex(b"\n", 0, len(exp.checkpoint) - 1) + 1
    assert pos >= cosig_line
    assert report.cosigned_by == []


@FEW
@given(pos=st.integers(0), bit=st.integers(0, 7))
def test_any_bit_flipped_in_the_key_is_detected(exp: Export, pos: int, bit: int) -> None:
    pos %= len(exp.key) - 1  # not the final newline: whitespace there changes nothing
    altered = bytearray(exp.key)
    altered[pos] ^= 1 << bit
    assert failure(exp, key=bytes(altered)).index is None


def test_another_key_and_a_checkpoint_it_signed_are_refused_by_the_charter(exp: Export) -> None:
    impostor = SigningKey.generate(exp.log_key.name)
    body, _ = split_note(exp.checkpoint.decode())
    err = failure(
        exp,
        key=(impostor.verifier.encode() + "\n").encode(),
        checkpoint=sign_note(body, impostor).encode(),
    )
    assert err.index == 0
    assert "another log key" in err.message


# ---- an operator holding the log key ---------------------------------------------------


def resign(exp: Export, lines: list[bytes]) -> bytes:
    """A checkpoint over `lines`, signed with the log key (the operator holds it)."""
    tree = merkle.CompactRange()
    for line in lines:
        tree.append(base64.b64decode(json.loads(line)["leaf_hash"]))
    cp = Checkpoint(exp.log_key.name, tree.size, tree.root())
    return sign_note(cp.body(), exp.log_key).encode()


@pytest.mark.parametrize("workers", [1, 2])
def test_entry_by_a_revoked_key_is_named_even_with_a_resigned_checkpoint(
    exp: Export, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """The operator appends an entry signed by SY/sy-old after its revocation and signs a
    checkpoint over it: the trust chain, replayed offline, still refuses it."""
    monkeypatch.setattr(verify, "CHUNK", 2)  # the revocation and the entry in other chunks
    full = (exp.full / "entries.jsonl").read_bytes().splitlines(keepends=True)
    k = exp.revoked
    now = rfc3339(datetime.now(UTC))
    raw, body = build_statement(
        origin=exp.log_key.name,
        kind="note.posted",
        subject="thread-1",
        author=Author("SY", "sy-old", k.key_id_hex),
        visibility=ALL,
        body={"text": "after my revocation"},
        client_time=now,
    )
    index = len(full)
    leaf = leaf_bytes(index, now, raw, k.sign(raw))
    lh = b64e(merkle.leaf_hash(leaf))
    lines = [
        *full,
        dumps_line({"index": index, "leaf_hash": lh, "entry": b64e(leaf), "body": body}),
    ]
    with pytest.raises(VerifyError) as exc:
        check(exp, entries=b"".join(lines), checkpoint=resign(exp, lines), workers=workers)
    assert exc.value.index == index
    assert f"revoked at {exp.revoked_at}" in exc.value.message


# ---- the command line -----------------------------------------------------------------


def test_cli_log_verify_exit_codes(exp: Export, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"COLUMNS": "300"}
    r = runner.invoke(cli_app, ["log", "verify", str(exp.path)], env=env)  # every core
    assert r.exit_code == 0, r.output
    assert "OK" in r.output
    assert WITNESS in r.output

    bad = tmp_path / "bad"
    shutil.copytree(exp.path, bad)
    obj = json.loads(exp.lines[8])
    obj["body"]["text"] = "something else"
    lines = [*exp.lines[:8], dumps_line(obj), *exp.lines[9:]]
    (bad / "entries.jsonl").write_bytes(b"".join(lines))
    r = runner.invoke(cli_app, ["log", "verify", str(bad), "--workers", "1"], env=env)
    assert r.exit_code == 1, r.output
    assert "FAILED" in r.output
    assert "entry 8:" in r.output


# ---- tampering with the live database, on both backends ---------------------------------


def _alter_body(leaf: bytes, body: bytes) -> tuple[bytes, bytes]:
    obj = loads_canonical(body)
    obj["text"] = "said something else"
    return leaf, canonical(obj)


def _alter_statement(leaf: bytes, body: bytes) -> tuple[bytes, bytes]:
    obj = loads_canonical(leaf)
    obj["statement"]["subject"] = "thread-2"
    return canonical(obj), body


def _alter_time(leaf: bytes, body: bytes) -> tuple[bytes, bytes]:
    return with_time(leaf, "2020-01-01T00:00:00.000Z"), body


# (what the operator changes, which entry, export as, the entry verify names)
DB_TAMPERS = {
    "body": (_alter_body, 3, None, 3),
    "statement": (_alter_statement, 3, "IL", 3),
    # The time is not signed by the author: only the checkpoint's root catches it.
    "time": (_alter_time, 2, None, None),
    # An entry IL may not read: IL's export holds only its leaf hash.
    "hidden-entry": (_alter_statement, 4, "IL", None),
}


@pytest.mark.parametrize("tamper", list(DB_TAMPERS))
def test_tampered_database_fails_export_and_verify(
    cell: Cell, enroll, tmp_path: Path, db_url: str, tamper: str
) -> None:
    alter, index, as_party, named = DB_TAMPERS[tamper]
    sy = enroll("SY", "sy-liaison")  # 1
    sy.client.post("note.posted", "thread-1", ALL, {"text": "one"})  # 2
    sy.client.post("note.posted", "thread-1", ALL, {"text": "two"})  # 3
    sy.client.post("note.posted", "thread-1", ["SY", "US"], {"text": "three"})  # 4
    sy.client.post("note.posted", "thread-1", ALL, {"text": "four"})  # 5

    runner = CliRunner()
    env = {"FUSIONCELL_DATABASE_URL": db_url, "COLUMNS": "300"}
    export = ["log", "export", "--data", str(cell.data)] + (["--as", as_party] if as_party else [])
    good = tmp_path / "good"
    r = runner.invoke(cli_app, [*export, str(good)], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli_app, ["log", "verify", str(good), "--workers", "1"], env=env)
    assert r.exit_code == 0, r.output

    with transaction(cell.engine) as conn:
        row = conn.execute(
            select(log_entries.c.leaf, log_bodies.c.body)
            .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
            .where(log_entries.c.idx == index)
        ).one()
        leaf, body = alter(bytes(row.leaf), bytes(row.body))
        assert (leaf, body) != (bytes(row.leaf), bytes(row.body))
        parse_leaf(leaf)  # still a well-formed entry: only its meaning changed
        conn.execute(update(log_entries).where(log_entries.c.idx == index).values(leaf=leaf))
        conn.execute(update(log_bodies).where(log_bodies.c.idx == index).values(body=body))

    bad = tmp_path / "bad"
    r = runner.invoke(cli_app, [*export, str(bad)], env=env)
    assert r.exit_code == 0, r.output  # export copies what is stored; verify judges it
    assert (bad / "entries.jsonl").read_bytes() != (good / "entries.jsonl").read_bytes()
    r = runner.invoke(cli_app, ["log", "verify", str(bad), "--workers", "1"], env=env)
    assert r.exit_code == 1, r.output
    assert "FAILED" in r.output
    with pytest.raises(VerifyError) as exc:
        verify_dir(bad, workers=1)
    assert exc.value.index == named, exc.value
    if named is not None:
        assert f"entry {named}:" in r.output

"""Byte formats: canonical JSON, base64, keys, signed notes, checkpoints, cosignatures."""

from __future__ import annotations

import base64

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from fusioncell.ledger.canonical import EncodingError, b64d, b64e, canonical, loads_canonical
from fusioncell.ledger.entry import (
    Author,
    build_statement,
    check_body,
    leaf_bytes,
    parse_leaf,
    parse_statement,
    parse_submission,
)
from fusioncell.ledger.keys import ALG_COSIGNATURE_V1, SigningKey, VerifierKey, key_id
from fusioncell.ledger.note import (
    Checkpoint,
    cosign,
    open_checkpoint,
    sign_note,
    split_note,
    verify_cosignature,
)

# golang.org/x/mod/sumdb/note's published example: an independent implementation.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def go_key() -> SigningKey:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    return SigningKey("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))


def test_signed_note_matches_go_reference() -> None:
    key = go_key()
    assert key.verifier.encode() == GO_VKEY
    assert sign_note(GO_TEXT, key) == GO_NOTE
    body, sigs = split_note(GO_NOTE)
    assert body == GO_TEXT
    assert VerifierKey.parse(GO_VKEY).verify(sigs[0].blob, body.encode())


def test_cosignature_key_id_uses_type_0x04() -> None:
    # transparency-dev/formats' example cosigner key (type 0x04) parses and checks its id.
    vk = VerifierKey.parse("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
    assert vk.alg == ALG_COSIGNATURE_V1
    assert vk.key_id == key_id(vk.name, vk.public, 0x04)


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumanN+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong name
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # short
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space
        "PeterNeumann+c74f20a3",
        "",
    ],
)
def test_bad_verifier_keys(bad: str) -> None:
    with pytest.raises(EncodingError):
        VerifierKey.parse(bad)


def test_checkpoint_roundtrip_and_forgery() -> None:
    key = SigningKey.generate("example.org/log")
    cp = Checkpoint("example.org/log", 20852163, bytes(range(32)))
    note = sign_note(cp.body(), key)
    assert note.startswith(
        "example.org/log\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n— "
    )
    got, others = open_checkpoint(note, key.verifier)
    assert got == cp and others == []
    with pytest.raises(EncodingError):
        open_checkpoint(note.replace("20852163", "20852164"), key.verifier)
    with pytest.raises(EncodingError):
        open_checkpoint(note, SigningKey.generate("example.org/log").verifier)


def test_cosignature_v1() -> None:
    log_key = SigningKey.generate("example.org/log")
    w = SigningKey.generate("witness.example/w1", ALG_COSIGNATURE_V1)
    cp = Checkpoint("example.org/log", 5, bytes(32))
    sig = cosign(cp.body(), w, 1679315147)
    assert verify_cosignature(cp.body(), sig, w.verifier) == 1679315147
    note = sign_note(cp.body(), log_key) + sig.line()
    _, others = open_checkpoint(note, log_key.verifier)
    assert [s.name for s in others] == ["witness.example/w1"]
    other = Checkpoint("example.org/log", 5, bytes([1]) * 32)
    with pytest.raises(EncodingError):
        verify_cosignature(other.body(), sig, w.verifier)
    with pytest.raises(EncodingError):
        cosign(cp.body(), log_key, 1)  # a 0x01 key cannot cosign


def test_base64_is_strict() -> None:
    assert b64d(b64e(b"abc")) == b"abc"
    for bad in ["YWJj\n", "YWJ", "YW Jj", "YWJj==", "_-__", 5]:
        with pytest.raises(EncodingError):
            b64d(bad)  # type: ignore[arg-type]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(min_value=-1e15, max_value=1e15)  # beyond 2**53 a float reads back as an int
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_canonical_is_rfc8785_and_round_trips(value: object) -> None:
    data = canonical(value)
    assert data == rfc8785.dumps(value)
    assert loads_canonical(data) == value


@pytest.mark.parametrize(
    "value",
    [
        {"\ue000": 1, "\U0001f600": 2},  # sorted by UTF-16 code units, not code points
        {"a": '\u2028\u2029\x7f\x00\x1f"\\/'},
        {"n": 2**53 - 1, "m": -(2**53) + 1, "f": 1.5, "e": 1e21, "z": -0.0},
        ["\U0001f600", "עברית", "العربية", ""],
    ],
)
def test_canonical_edge_cases(value: object) -> None:
    assert canonical(value) == rfc8785.dumps(value)


def test_canonical_refuses_what_jcs_refuses() -> None:
    for bad in [{"x": "\ud800"}, {"x": 2**60}, {"x": float("nan")}]:
        with pytest.raises(EncodingError):
            canonical(bad)


def test_non_canonical_json_is_refused() -> None:
    for bad in [b'{"b":1,"a":2}', b'{"a": 1}', b"{'a':1}", b'{"a":1}\n', b"\xff", b"NaN"]:
        with pytest.raises(EncodingError):
            loads_canonical(bad)


def _statement(**over: object) -> dict[str, object]:
    st_ = {
        "v": 1,
        "origin": "o.example/log",
        "kind": "cell.message.posted",
        "subject": "t-1",
        "author": {"party": "SY", "member": "sy-liaison", "key": "0a1b2c3d"},
        "visibility": ["SY", "US"],
        "body_sha256": "ab" * 32,
        "client_time": "2026-11-26T10:00:00.000Z",
    }
    st_.update(over)
    return st_


@pytest.mark.parametrize(
    ("over", "msg"),
    [
        ({"v": 2}, "v must be 1"),
        ({"kind": "Message"}, "kind"),
        ({"subject": ""}, "subject"),
        ({"visibility": ["US", "SY"]}, "sorted"),
        ({"visibility": []}, "non-empty"),
        ({"visibility": ["SY", "SY"]}, "sorted"),
        ({"body_sha256": "AB" * 32}, "body_sha256"),
        ({"client_time": "2026-11-26 10:00:00"}, "client_time"),
        ({"author": {"party": "SY", "member": "x"}}, "author"),
        ({"author": {"party": "sy", "member": "x", "key": "0a1b2c3d"}}, "party"),
        ({"extra": 1}, "unknown fields"),
        ({"subject": "a\u202eb"}, "subject"),
    ],
)
def test_statement_form_is_checked(over: dict[str, object], msg: str) -> None:
    with pytest.raises(EncodingError, match=msg):
        parse_statement(canonical(_statement(**over)))


def test_statement_missing_field() -> None:
    s = _statement()
    del s["origin"]
    with pytest.raises(EncodingError, match="lacks origin"):
        parse_statement(canonical(s))


def test_body_needs_salt_and_matching_hash() -> None:
    with pytest.raises(EncodingError, match="salt"):
        check_body({"text": "x"})
    with pytest.raises(EncodingError, match="16 bytes"):
        check_body({"salt": b64e(b"short")})
    with pytest.raises(EncodingError, match="larger"):
        check_body({"salt": b64e(bytes(16)), "t": "x" * 2000}, max_bytes=1000)
    key = SigningKey.generate("SY/sy-liaison/phone")
    raw, body = build_statement(
        origin="o.example/log",
        kind="cell.message.posted",
        subject="t-1",
        author=Author("SY", "sy-liaison", key.key_id_hex),
        visibility=["US", "SY"],
        body={"text": "مرحبا"},
        client_time="2026-11-26T10:00:00.000Z",
    )
    sub = parse_submission(b64e(raw), b64e(key.sign(raw)), body)
    assert sub.statement.visibility == ("SY", "US")
    with pytest.raises(EncodingError, match="does not match"):
        parse_submission(b64e(raw), b64e(key.sign(raw)), {**body, "text": "other"})


@given(index=st.integers(0, 2**53 - 1), sig=st.binary(min_size=64, max_size=64))
def test_leaf_bytes_equal_canonical_entry(index: int, sig: bytes) -> None:
    raw = canonical(_statement(subject="s"))
    time = "2026-11-26T10:00:00.123Z"
    leaf = leaf_bytes(index, time, raw, sig)
    entry = {
        "v": 1,
        "index": index,
        "time": time,
        "statement": _statement(subject="s"),
        "sig": b64e(sig),
    }
    assert leaf == canonical(entry)
    assert parse_leaf(leaf).index == index

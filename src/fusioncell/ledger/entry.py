"""Statements, bodies and entries: parsing what authors send and building what the log stores."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fusioncell.clock import parse_rfc3339
from fusioncell.ledger.canonical import (
    EncodingError,
    b64d,
    b64e,
    canonical,
    loads_canonical,
    sha256,
    sha256_hex,
)
from fusioncell.ledger.merkle import leaf_hash

SYSTEM_MEMBER = "system"
ROOT_MEMBER = "root"
SYSTEM_PARTY = "*"  # the cell itself: entries the program writes, signed by the log key

KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,5}$")
SUBJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
PARTY_RE = re.compile(r"^[A-Z]{2,8}$")
MEMBER_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
KEYID_RE = re.compile(r"^[0-9a-f]{8}$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")

_AUTHOR_FIELDS = frozenset({"party", "member", "key"})
_SUBJECT_RULE = "subject must be 1-128 of A-Z a-z 0-9 . _ : / -"
_HEX_RULE = "body_sha256 must be 64 lowercase hex digits"
STATEMENT_FIELDS = frozenset(
    {"v", "origin", "kind", "subject", "author", "visibility", "body_sha256", "client_time"}
)
MAX_STATEMENT_BYTES = 4096
DEFAULT_MAX_BODY_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Author:
    party: str
    member: str
    key: str  # key id, 8 lowercase hex digits


@dataclass(frozen=True, slots=True)
class Statement:
    raw: bytes  # canonical bytes, exactly what was signed
    origin: str
    kind: str
    subject: str
    author: Author
    visibility: tuple[str, ...]
    body_sha256: str
    client_time: str
    obj: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Submission:
    """A signed statement with its body, checked for form but not yet for trust."""

    statement: Statement
    sig: bytes
    body: dict[str, Any]
    body_bytes: bytes

    @property
    def statement_sha256(self) -> bytes:
        return sha256(self.statement.raw)


def _want(cond: bool, msg: str) -> None:
    if not cond:
        raise EncodingError(msg)


def parse_statement(raw: bytes, parsed: Any = None) -> Statement:
    """Check a statement's bytes: canonical JSON with exactly the fields of log format v1.

    `parsed`: the object `raw` was made from with canonical(), when the caller has it.
    """
    # Every check raises with its own message; messages are built only on failure, as
    # this runs for every entry a verifier reads.
    if len(raw) > MAX_STATEMENT_BYTES:
        raise EncodingError(f"statement larger than {MAX_STATEMENT_BYTES} bytes")
    obj = loads_canonical(raw) if parsed is None else parsed
    _want(isinstance(obj, dict), "statement must be a JSON object")
    if obj.keys() != STATEMENT_FIELDS:
        missing = ", ".join(sorted(STATEMENT_FIELDS - obj.keys()))
        extra = ", ".join(sorted(obj.keys() - STATEMENT_FIELDS))
        raise EncodingError(
            f"statement lacks {missing}" if missing else f"statement has unknown fields {extra}"
        )
    _want(obj["v"] == 1 and type(obj["v"]) is int, "statement v must be 1")
    for f in ("origin", "kind", "subject", "body_sha256", "client_time"):
        if type(obj[f]) is not str:
            raise EncodingError(f"statement {f} must be a string")
    if not KIND_RE.match(obj["kind"]):
        raise EncodingError(f"kind {obj['kind']!r} is not a dotted lowercase name")
    _want(SUBJECT_RE.match(obj["subject"]) is not None, _SUBJECT_RULE)
    _want(HEX64_RE.match(obj["body_sha256"]) is not None, _HEX_RULE)
    try:
        parse_rfc3339(obj["client_time"])
    except ValueError as exc:
        raise EncodingError(f"client_time: {exc}") from exc
    a = obj["author"]
    _want(type(a) is dict and a.keys() == _AUTHOR_FIELDS, "author is party, member, key")
    party, member, key = a["party"], a["member"], a["key"]
    _want(
        type(party) is str and type(member) is str and type(key) is str,
        "author fields must be strings",
    )
    _want(
        PARTY_RE.match(party) is not None or party == SYSTEM_PARTY,
        "author.party must be a party code",
    )
    _want(MEMBER_RE.match(member) is not None, "author.member is not a member id")
    _want(KEYID_RE.match(key) is not None, "author.key must be 8 lowercase hex digits")
    vis = obj["visibility"]
    _want(isinstance(vis, list) and len(vis) > 0, "visibility must be a non-empty list")
    _want(
        all(isinstance(p, str) and PARTY_RE.match(p) for p in vis), "visibility holds party codes"
    )
    _want(vis == sorted(set(vis)), "visibility must be sorted and without repeats")
    return Statement(
        raw=raw,
        origin=obj["origin"],
        kind=obj["kind"],
        subject=obj["subject"],
        author=Author(a["party"], a["member"], a["key"]),
        visibility=tuple(vis),
        body_sha256=obj["body_sha256"],
        client_time=obj["client_time"],
        obj=obj,
    )


def check_body(body: Any, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> bytes:
    """A body is a JSON object with a 16-byte base64 salt; return its canonical bytes."""
    _want(isinstance(body, dict), "body must be a JSON object")
    _want("salt" in body, "body must carry a salt")
    b64d(body["salt"], length=16, what="body salt")
    data = canonical(body)
    _want(len(data) <= max_bytes, f"body larger than {max_bytes} bytes")
    return data


def parse_submission(
    statement_b64: Any, sig_b64: Any, body: Any, max_body: int = DEFAULT_MAX_BODY_BYTES
) -> Submission:
    raw = b64d(statement_b64, what="statement")
    st = parse_statement(raw)
    sig = b64d(sig_b64, length=64, what="signature")
    body_bytes = check_body(body, max_body)
    _want(sha256_hex(body_bytes) == st.body_sha256, "body does not match body_sha256")
    return Submission(st, sig, body, body_bytes)


def new_salt() -> str:
    return b64e(secrets.token_bytes(16))


def build_statement(
    *,
    origin: str,
    kind: str,
    subject: str,
    author: Author,
    visibility: Sequence[str],
    body: dict[str, Any],
    client_time: str,
) -> tuple[bytes, dict[str, Any]]:
    """Salt the body (if it has no salt) and return (canonical statement, body)."""
    body = dict(body)
    body.setdefault("salt", new_salt())
    obj = {
        "v": 1,
        "origin": origin,
        "kind": kind,
        "subject": subject,
        "author": {"party": author.party, "member": author.member, "key": author.key},
        "visibility": sorted(set(visibility)),
        "body_sha256": sha256_hex(canonical(body)),
        "client_time": client_time,
    }
    return canonical(obj), body


def leaf_bytes(index: int, time: str, statement_raw: bytes, sig: bytes) -> bytes:
    """canonical(entry) without re-serialising the (already canonical) statement.

    JCS orders members by UTF-16 code units: index, sig, statement, time, v. Every value
    but the statement is ASCII needing no escapes (digits, base64, RFC 3339), so this
    equals canonical({"v":1,"index":..,"time":..,"statement":..,"sig":..}); a test holds
    the two together.
    """
    return b'{"index":%d,"sig":"%s","statement":%s,"time":"%s","v":1}' % (
        index,
        b64e(sig).encode("ascii"),
        statement_raw,
        time.encode("ascii"),
    )


@dataclass(frozen=True, slots=True)
class Entry:
    index: int
    time: str
    statement: Statement
    sig: bytes
    leaf: bytes

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.leaf)


def parse_leaf(leaf: bytes) -> Entry:
    """Parse a stored or exported leaf; it must be exactly canonical(entry)."""
    try:
        obj = json.loads(leaf)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EncodingError(f"entry is not valid JSON: {exc}") from exc
    _want(isinstance(obj, dict), "entry must be a JSON object")
    _want(set(obj) == {"v", "index", "time", "statement", "sig"}, "entry fields are wrong")
    _want(obj["v"] == 1, "entry v must be 1")
    _want(type(obj["index"]) is int and obj["index"] >= 0, "entry index must be an integer")
    _want(isinstance(obj["time"], str), "entry time must be a string")
    try:
        parse_rfc3339(obj["time"])
    except ValueError as exc:
        raise EncodingError(f"entry time: {exc}") from exc
    _want(isinstance(obj["statement"], dict), "entry statement must be an object")
    raw = canonical(obj["statement"])
    st = parse_statement(raw, obj["statement"])
    sig = b64d(obj["sig"], length=64, what="entry signature")
    # The time is RFC 3339 (ASCII, no escapes), so leaf_bytes is canonical(entry): the
    # bytes match only if the leaf is canonical.
    _want(leaf_bytes(obj["index"], obj["time"], raw, sig) == leaf, "entry is not canonical JSON")
    return Entry(obj["index"], obj["time"], st, sig, leaf)

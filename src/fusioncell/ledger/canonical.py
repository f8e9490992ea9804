"""The byte forms of the log: RFC 8785 canonical JSON, strict base64, SHA-256."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

import rfc8785


class EncodingError(ValueError):
    """Bytes that are not in the one form the log accepts."""


def canonical(obj: Any) -> bytes:
    """RFC 8785 (JCS) serialisation (numbers as ECMAScript prints them)."""
    try:
        return bytes(rfc8785.dumps(obj))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise EncodingError(f"not canonicalisable JSON: {exc}") from exc


def loads_canonical(data: bytes) -> Any:
    """Parse JSON that must already be canonical; re-serialising must give the same bytes."""
    try:
        obj = json.loads(data.decode("utf-8"), parse_constant=_no_const)
    except (UnicodeDecodeError, json.JSONDecodeError, EncodingError) as exc:
        raise EncodingError(f"not valid JSON: {exc}") from exc
    if canonical(obj) != data:
        raise EncodingError("JSON is not in RFC 8785 canonical form")
    return obj


def _no_const(s: str) -> Any:
    raise EncodingError(f"{s} is not JSON")


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: str, *, length: int | None = None, what: str = "value") -> bytes:
    """Standard base64 with padding, nothing else (no whitespace, no URL alphabet)."""
    if not isinstance(text, str):
        raise EncodingError(f"{what} must be a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise EncodingError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise EncodingError(f"{what} is not in canonical base64 form")
    if length is not None and len(raw) != length:
        raise EncodingError(f"{what} must be {length} bytes, got {len(raw)}")
    return raw


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

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


_SAFE_INT = 2**53 - 1
_DUMPS = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def _plain(obj: Any) -> bool:  # noqa: PLR0911 - one early answer per JSON type
    """True when Python's C JSON encoder writes exactly RFC 8785's bytes for `obj`.

    That holds for strings, booleans, null and safe integers (JSON.stringify escapes the
    same characters the same way), in objects whose keys sort alike by code point and by
    UTF-16 code unit (no key holds a character at or above U+E000). Floats, which
    ECMAScript formats its own way, go through rfc8785.
    """
    t = type(obj)
    if t is str or t is bool or obj is None:
        return True
    if t is int:
        return bool(-_SAFE_INT <= obj <= _SAFE_INT)
    if t is dict:
        for k, v in obj.items():
            if type(k) is not str or (not k.isascii() and max(k) >= "\ue000"):
                return False
            if type(v) is not str and not _plain(v):
                return False
        return True
    if t is list:
        for v in obj:  # noqa: SIM110 - a plain loop beats all() here, on verify's hot path
            if type(v) is not str and not _plain(v):
                return False
        return True
    return False


def canonical(obj: Any) -> bytes:
    """RFC 8785 (JCS) serialisation (numbers as ECMAScript prints them)."""
    if _plain(obj):
        try:
            return _DUMPS(obj).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 names the problem
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

"""Webhooks: an HTTP POST of JSON, signed with the webhook's secret.

    X-Fusioncell-Delivery:  the delivery id (the same on every retry: drop repeats)
    X-Fusioncell-Timestamp: Unix seconds when this attempt was signed
    X-Fusioncell-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))

A receiver recomputes the HMAC over the raw body bytes, compares in constant time, and
refuses a timestamp far from its clock (a replayed old request): `verify` does exactly that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from fusioncell import __version__

DELIVERY = "X-Fusioncell-Delivery"
TIMESTAMP = "X-Fusioncell-Timestamp"
SIGNATURE = "X-Fusioncell-Signature"
TOLERANCE_S = 300


def body_bytes(payload: Mapping[str, Any]) -> bytes:
    """The same payload gives the same bytes on every attempt."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    sig: str | None,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_S,
) -> bool:
    """For receivers: is this request signed with `secret`, and recent?"""
    if not timestamp or not sig or not timestamp.isdigit():
        return False
    at = time.time() if now is None else now
    if abs(at - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), sig)


class Refused(Exception):
    """The receiver answered, but not with 2xx."""


def post(
    client: httpx.Client,
    url: str,
    secret: str,
    delivery: str,
    body: bytes,
    *,
    now: float | None = None,
) -> int:
    """One attempt. Returns the 2xx status; raises Refused for another status, httpx's
    errors for a timeout or a connection that failed. Redirects are not followed (the
    operator allowed this URL, not where it points), and the answer's body is not read."""
    ts = str(int(time.time() if now is None else now))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"fusioncell/{__version__}",
        DELIVERY: delivery,
        TIMESTAMP: ts,
        SIGNATURE: signature(secret, ts, body),
    }
    with client.stream("POST", url, content=body, headers=headers) as r:
        if not 200 <= r.status_code < 300:
            raise Refused(f"the receiver answered {r.status_code}")
        return r.status_code

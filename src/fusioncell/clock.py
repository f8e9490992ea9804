"""Injected time: everything that reads the time takes a Clock, so deadlines test without sleep."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


def rfc3339(t: datetime) -> str:
    """UTC, millisecond precision, 'Z' suffix: the one timestamp form written to the log."""
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_rfc3339(s: str) -> datetime:
    """Accept RFC 3339 UTC timestamps ending in 'Z' (any fraction); reject everything else."""
    if not isinstance(s, str) or not s.endswith("Z") or "T" not in s:
        raise ValueError("timestamp must be RFC 3339 UTC ending in 'Z'")
    t = datetime.fromisoformat(s[:-1] + "+00:00")
    return t.astimezone(UTC)

"""Scheduled entries: what the engine writes at set times rather than when a deadline passes.

A capability with a timetable (the charter's line checks) gives the engine a `Schedule`; each
pass the engine asks it what is due and signs those entries with the log key. The entries'
projector must refuse one already written (a slot taken), so that two engines, or a pass
repeated after a crash, still write each once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Connection


class Action(NamedTuple):
    """A system entry to write: its kind (`system.`...), subject, visibility and body."""

    kind: str
    subject: str
    visibility: list[str]
    body: dict[str, Any]


class Schedule(Protocol):
    def due(self, conn: Connection, now: datetime) -> list[Action]:
        """The entries whose time has come at `now` and that the log lacks."""
        ...

    def next_at(self, conn: Connection, now: datetime) -> datetime | None:
        """When the next entry falls due (after `now`), or None."""
        ...

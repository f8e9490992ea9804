"""The Paris cell on a FrozenClock with no deadline engine in the app: the tests run it."""

from __future__ import annotations

from tests.deadlines.conftest import cell, member, settings

__all__ = ["cell", "member", "settings"]

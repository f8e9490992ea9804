"""The demo's line: its history is written in the past, at its own times, before the rest
of the demo; every kind of check and a suspension lifted are there, and rebuild agrees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fusioncell.authz import Principal, Role
from fusioncell.cell import open_cell
from fusioncell.clock import parse_rfc3339
from fusioncell.demo import ensure_demo
from fusioncell.line import queries
from fusioncell.line.demo import DemoClock, demo_clock
from fusioncell.projections import rebuild
from fusioncell.settings import Settings
from tests.test_rebuild import snapshot


def test_demo_clock() -> None:
    now = datetime(2026, 11, 26, 9, tzinfo=UTC)  # 12:00 in Damascus
    c = demo_clock(now)
    # 40 minutes before the latest slot at least two hours back: 06:00 UTC (09:00 there).
    assert c.now() == datetime(2026, 11, 26, 5, 20, tzinfo=UTC)
    c.set(datetime(2026, 11, 26, 6, tzinfo=UTC))
    with pytest.raises(ValueError, match="forward"):
        c.set(datetime(2026, 11, 26, 5, tzinfo=UTC))
    c.release()
    assert abs(c.now() - datetime.now(UTC)) < timedelta(minutes=1)
    ahead = DemoClock(datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(ValueError, match="ahead"):
        ahead.release()


def test_demo_line(tmp_path: Path) -> None:
    ensure_demo(tmp_path / "demo")
    cell = open_cell(Settings.for_data(tmp_path / "demo"))
    try:
        view = queries.overview(cell, Principal("US", "us-supervisor", Role.SUPERVISOR))
        assert view["state"] == "resumed"
        assert [(h["state"], h["party"], h["lang"]) for h in view["history"]] == [
            ("resumed", "US", "en"),
            ("suspended", "SY", "ar"),
        ]
        states = {(c["party"], c["state"]) for cs in view["checks"].values() for c in cs}
        assert {("SY", "late"), ("SY", "missed"), ("IL", "answered")} <= states
        assert view["open"] == []
        assert any(not c["on_demand"] for c in view["checks"]["IL"])  # the timetable's
        # The whole story lies in the past.
        newest = max(parse_rfc3339(h["time"]) for h in view["history"])
        assert newest < datetime.now(UTC) - timedelta(hours=1)
        live = snapshot(cell)
        rebuild(cell)
        assert snapshot(cell) == live
    finally:
        cell.close()

"""A real `fusioncell serve` killed with SIGKILL at random moments of a mixed workload and
started again: every write that was acknowledged (201 and its index) is in the log once,
with the bytes that were signed, and the whole log verifies. The short version of
`python -m bench.faults crash` (20 kills; figures in docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.faults import crash_on

pytestmark = pytest.mark.slow


def test_a_server_killed_three_times_loses_no_acknowledged_write(
    tmp_path: Path, db_url: str
) -> None:
    got = crash_on(db_url, tmp_path, kills=3, seed=3, delay=(0.5, 2.0))
    # crash_on raised if anything acknowledged was missing, changed or doubled, if the log
    # did not verify, or if any answer was a 5xx other than 503.
    assert got["acknowledged"] > 20
    assert got["verified_entries"] == got["log_size"]
    assert set(got["by_kind"]) >= {"thread", "message", "ack", "incident"}
    # The kills cut connections under the writers, who sent the same bytes again.
    assert sum(n for answer, n in got["answers"].items() if answer != "201") > 0

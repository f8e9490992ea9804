"""PostgreSQL restarted under load (`pg_ctl restart -m fast`, then `-m immediate`) on a
private cluster of the test's own: the server answers 503 while the database is away,
never 500, and recovers by itself: appends are acknowledged again, live streams deliver
every entry once and in order, nothing acknowledged is lost, the log verifies. The short
version of `python -m bench.faults pg-restart`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bench.faults import pg_restart
from bench.harness import pg_bin

pytestmark = pytest.mark.slow


def test_the_server_rides_out_a_database_restart(tmp_path: Path) -> None:
    if pg_bin("initdb") is None or pg_bin("pg_ctl") is None:
        if os.environ.get("CI"):
            pytest.fail("initdb/pg_ctl are missing (apt-get install postgresql)")
        pytest.skip("initdb/pg_ctl are missing (apt-get install postgresql)")
    got = pg_restart(tmp_path, ["fast", "immediate"], load_s=2.0)
    # pg_restart raised on any 500, on a write lost or doubled, on a stream that missed or
    # repeated an entry, and if appends did not resume within two minutes.
    assert [r["mode"] for r in got["restarts"]] == ["fast", "immediate"]
    assert got["every_client_got_every_entry_once_in_order"]
    assert got["verified_entries"] == got["log_size"]
    assert got["acknowledged"] > 20

"""A full disk under a real `fusioncell serve` on SQLite while writers run: writes are
refused with 507 (503 where the kernel reports EFBIG, an I/O error to SQLite), never a
500; reads go on; once space is freed the writes retried with the same bytes are
acknowledged, nothing acknowledged is lost and the log verifies. The data directory is
on a 24 MB tmpfs where this process may mount one (root with CAP_SYS_ADMIN), else the
server's files are capped with RLIMIT_FSIZE. The short version of
`python -m bench.faults disk-full`."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.faults import can_mount_tmpfs, disk_full

pytestmark = pytest.mark.slow


def test_a_full_disk_refuses_writes_cleanly_and_loses_nothing(tmp_path: Path) -> None:
    mode = "tmpfs" if can_mount_tmpfs(tmp_path / "probe") else "rlimit"
    got = disk_full(tmp_path, "sqlite", mode)
    # disk_full raised on any 500, on a failed read while full, on anything acknowledged
    # missing or doubled, and if the log did not verify.
    refused = got["answers_while_full"]
    assert refused.get("507", 0) + refused.get("503", 0) >= 10
    assert "500" not in got["answers_in_all"]
    assert got["reads_while_full"] == {"200": 15}
    if mode == "tmpfs":
        assert got["upload_while_full"]["status"] == 507
        assert got["upload_while_full"]["detail"] == (
            "the server's disk is full: nothing was written; try again later"
        )
    assert got["verified_entries"] == got["log_size"]

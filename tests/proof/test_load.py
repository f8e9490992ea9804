"""Many live-stream clients on a real `fusioncell serve` while writers append: every client
gets every entry its party may read, once and in order. The short version of
`python -m bench.soak` (200 clients for 10 minutes; figures in docs/reliability.md):
memory is measured there, not here (a few seconds say nothing about it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.soak import soak

pytestmark = pytest.mark.slow


def test_fifty_clients_get_every_entry_once_in_order(tmp_path: Path) -> None:
    # A stream cache smaller than the run's entries: the clients are served from the
    # cache, and from the database where they fall behind it.
    got = soak("sqlite", clients=50, minutes=0.25, rate=6, stream_cache=40, where=tmp_path)
    # soak raised if any client missed, repeated or reordered an entry.
    assert got["every_client_got_every_entry_once_in_order"]
    assert got["writes"]["acknowledged"] == got["writes"]["writes"] > 30
    assert got["frames_delivered"] >= 50 * min(got["entries_each_party_streamed"].values())

"""Slow consumers: a client that does not keep up is cut off with the index to resume
from, and nothing is queued for it on the server meanwhile."""

from __future__ import annotations

import time
from typing import Any

import pytest

from fusioncell.live.client import stream
from tests.live.conftest import (
    WAIT_S,
    Live,
    append,
    close_code,
    entries_until_ready,
    recv,
    small_socket,
)

PAD = "x" * 50_000  # 200 such entries are more than the socket buffers on both sides hold
MANY = 200


def _read_to_cutoff(ws: Any) -> tuple[list[int], int]:
    """Entry indexes up to the cutoff frame, and its resume point."""
    got: list[int] = []
    while True:
        f = recv(ws)
        if f["type"] == "entry":
            got.append(f["index"])
        elif f["type"] == "cutoff":
            return got, f["resume"]


def _wait(cond: Any) -> None:
    deadline = time.monotonic() + WAIT_S
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize("stream_settings", [{"stream_send_timeout": 3.0}], indirect=True)
def test_a_client_that_stops_reading_is_cut_off(live: Live) -> None:
    token = live.token("SY", "sy-liaison")
    with live.connect(token, sock=small_socket(live), max_queue=4) as ws:
        assert recv(ws)["type"] == "ready"
        # The client stops reading while the log grows by ~10 MB.
        done = append(live.cell, [("SY",)] * MANY, {"pad": PAD})
        _wait(lambda: live.hub.cutoffs == 1)  # a frame waited 3 s: the server gave up
        # Reading again, it finds what was sent in order, the cutoff frame, the close.
        got, resume = _read_to_cutoff(ws)
        code, _ = close_code(ws)
    assert code == 4008
    assert got == list(range(done[0].index, resume + 1))  # resume: the last one sent
    assert resume < done[-1].index  # the rest was never queued for it
    assert len(live.hub.cached(live.hub.first)) <= live.hub.cache_size
    with live.connect(token, after=resume) as ws:
        rest, _ = entries_until_ready(ws)
    assert [f["index"] for f in rest] == list(range(resume + 1, done[-1].index + 1))


@pytest.mark.parametrize(
    "stream_settings", [{"stream_cache": 8, "stream_send_timeout": 600.0}], indirect=True
)
def test_a_client_further_behind_than_the_cache_is_cut_off(live: Live) -> None:
    """No send times out here (600 s); the client is cut off because the entries it
    needs next have left the cache, and is told where to resume from the database."""
    token = live.token("IL", "il-liaison")
    with live.connect(token, sock=small_socket(live), max_queue=4) as ws:
        assert recv(ws)["type"] == "ready"
        done = append(live.cell, [("IL", "SY")] * MANY, {"pad": PAD})
        _wait(lambda: live.hub.size == done[-1].index + 1)
        got, resume = _read_to_cutoff(ws)
        code, _ = close_code(ws)
    assert code == 4008
    assert live.hub.cutoffs == 1
    assert got == list(range(done[0].index, resume + 1))
    assert resume < done[-1].index
    with live.connect(token, after=resume) as ws:
        rest, _ = entries_until_ready(ws)
    assert [f["index"] for f in rest] == list(range(resume + 1, done[-1].index + 1))


@pytest.mark.parametrize("stream_settings", [{"stream_send_timeout": 1.0}], indirect=True)
def test_the_client_resumes_after_a_cutoff_and_yields_each_entry_once(live: Live) -> None:
    token = live.token("US", "us-duty")
    start = live.cell.ledger.size() - 1
    done = append(live.cell, [("SY",), ("IL",)] * (MANY // 2), {"pad": PAD})
    got: list[int] = []
    for frame in stream(live.url, token, after=start):
        got.append(frame["index"])
        if len(got) == 1:
            # A slow consumer: it dozes off until the server cuts it off. Writes go on
            # meanwhile: the kernel may grow this socket's receive buffer to tcp_rmem's
            # maximum (32 MB here) and hold the first ten megabytes without stalling.
            deadline = time.monotonic() + WAIT_S
            while live.hub.cutoffs == 0:
                assert time.monotonic() < deadline, "never cut off"
                done += append(live.cell, [("SY",), ("IL",)] * 10, {"pad": PAD})
                time.sleep(0.2)
        if got[-1] == done[-1].index:
            break
    assert got == [a.index for a in done]
    assert live.hub.cutoffs >= 1

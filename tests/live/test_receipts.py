"""A message delivered over the live stream gets its party's delivery receipt."""

from __future__ import annotations

import time
from typing import Any

from fusioncell.messaging.client import CellClient
from tests.live.conftest import WAIT_S, Live, recv


def test_delivery_over_the_stream_is_a_receipt(live: Live, enroll: Any) -> None:
    sy_a, il_a = enroll("SY", "sy-liaison"), enroll("IL", "il-liaison")
    http = sy_a.client.http
    sy = CellClient(token=sy_a.token, key=sy_a.key, party="SY", member="sy-liaison", http=http)
    tid, _ = sy.open_thread("deescalation", "Receipts", "en", ["IL", "SY", "US"])
    with live.connect(il_a.token) as ws:
        assert recv(ws)["type"] == "ready"
        sent = sy.send(tid, "FLASH over the stream", "en", "FLASH")
        while (frame := recv(ws))["type"] != "entry" or frame["index"] != sent.index:
            pass
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            got = sy.message(tid, sent.index)["receipts"].get("IL", {})
            if got.get("delivered"):
                break
            time.sleep(0.05)
        assert got["delivered"]["member"] == "il-liaison"
        assert got["read"] is None  # delivered is not read

"""Messages written while the line was suspended are marked, on every party's view."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.identity.accounts import do_add_member
from fusioncell.line.client import LineClient
from tests.messaging.conftest import MakeClient

PARTIES = ["IL", "SY", "US"]


def test_messages_sent_while_suspended_are_marked(
    cell: Cell, enroll: Any, http: TestClient, member: MakeClient
) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    do_add_member(cell, "IL", "il-head", Role.HEAD_OF_DELEGATION)
    head = enroll("IL", "il-head", Role.HEAD_OF_DELEGATION)
    line = LineClient(token=head.token, key=head.key, party="IL", member="il-head", http=http)
    tid, _ = sy.open_thread("deescalation", "During the pause", "en", PARTIES)
    before = sy.send(tid, "before", "en").index
    suspended = line.suspend("Consultations in capitals", "en").index
    during = sy.send(tid, "during", "en", "FLASH").index
    line.resume()
    after = il.send(tid, "after", "en").index
    for reader in (sy, il):
        got = {m["index"]: m["suspended"] for m in reader.thread(tid)["messages"]}
        assert got[before] is None and got[after] is None
        mark = got[during]
        assert (mark["idx"], mark["party"], mark["text"], mark["lang"]) == (
            suspended,
            "IL",
            "Consultations in capitals",
            "en",
        )
        assert mark["resumed_idx"] > during

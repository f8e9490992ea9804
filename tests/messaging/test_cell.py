"""The communication cell through its API and signed entries, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.messaging import kinds
from fusioncell.messaging.receipts import DeliveryRecorder
from fusioncell.messaging.tables import cell_receipts
from fusioncell.projections import rebuild
from tests.messaging.conftest import MakeClient
from tests.test_rebuild import snapshot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def refused(status: int, fn, *args, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        fn(*args, **kw)
    assert exc.value.status == status, exc.value.detail
    return exc.value.detail


def test_flash_acknowledged_by_the_addressed_party(cell: Cell, member: MakeClient) -> None:
    sy, il, us = member("SY", "sy-liaison"), member("IL", "il-liaison"), member("US", "us-sup")
    tid, _ = sy.open_thread("deescalation", "تحركات قرب خط الفصل", "ar", ["IL", "SY", "US"])
    sent = sy.send(tid, "نطلب توضيحاً فورياً", "ar", "FLASH")

    view = us.thread(tid)
    (m,) = view["messages"]
    assert m["text"] == "نطلب توضيحاً فورياً" and m["lang"] == "ar" and m["urgency"] == "FLASH"
    # IL is addressed; the supervisor oversees a message between the two parties.
    assert m["ack"]["required"] and m["ack"]["addressed"] == ["IL"]
    assert m["ack"]["waiting"] == ["IL"] and m["ack"]["due"] is not None
    assert [o["index"] for o in il.owed()] == [sent.index]
    assert il.threads()[0]["owed"][0]["urgency"] == "FLASH"

    ack = il.acknowledge(tid, sent.index)
    m = sy.thread(tid)["messages"][0]
    assert m["ack"]["waiting"] == [] and m["ack"]["by"]["IL"]["index"] == ack.index
    assert m["ack"]["by"]["IL"]["member"] == "il-liaison" and not m["ack"]["by"]["IL"]["late"]
    assert il.owed() == []
    assert "already" in refused(409, il.acknowledge, tid, sent.index)
    assert refused(403, sy.acknowledge, tid, sent.index)  # its own message


def test_deadline_is_the_charters_and_late_acks_are_marked(cell: Cell, member: MakeClient) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    tid, _ = sy.open_thread("general", "Line check", "en", ["IL", "SY", "US"])
    sent = sy.send(tid, "Immediate: confirm receipt", "en", "IMMEDIATE")
    m = il.message(tid, sent.index)
    posted = m["time"]
    assert m["ack"]["due"] > posted  # 30 minutes later, per the Paris charter
    cell.clock.advance(timedelta(minutes=31))  # type: ignore[attr-defined]
    assert il.message(tid, sent.index)["ack"]["overdue"] == ["IL"]
    il.acknowledge(tid, sent.index)
    assert il.message(tid, sent.index)["ack"]["by"]["IL"]["late"]


def test_routine_needs_no_ack_and_receipts_are_kept(cell: Cell, member: MakeClient) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    tid, _ = sy.open_thread("commercial", "Trade fair", "en", ["IL", "SY", "US"])
    sent = sy.send(tid, "Routine note", "en")
    assert refused(400, il.acknowledge, tid, sent.index)
    DeliveryRecorder(cell).flush([("IL", "il-liaison", [sent.index, sent.index - 1])])
    il.mark_read(tid, sent.index)
    r = sy.message(tid, sent.index)["receipts"]
    assert r["IL"]["delivered"]["member"] == "il-liaison"
    assert r["IL"]["read"]["member"] == "il-liaison"
    assert "SY" not in r  # the sender's own party gets no receipt
    il.mark_read(tid, sent.index)  # again: the first time is kept
    with cell.engine.connect() as c:
        assert len(c.execute(select(cell_receipts)).all()) == 2


def test_edits_and_retractions_keep_history(cell: Cell, member: MakeClient) -> None:
    il, sy = member("IL", "il-liaison"), member("SY", "sy-liaison")
    tid, _ = il.open_thread("diplomatic", "סבב הבא", "he", ["IL", "SY", "US"])
    first = il.send(tid, "הצעה לתאריך", "he", "PRIORITY")
    il.edit(tid, first.index, "הצעה לתאריך מעודכן", "he")
    m = sy.message(tid, first.index)
    assert m["text"] == "הצעה לתאריך מעודכן" and m["edited"]
    assert [v["text"] for v in m["versions"]] == ["הצעה לתאריך", "הצעה לתאריך מעודכן"]
    assert refused(403, sy.edit, tid, first.index, "x", "en")  # only its author
    reply = sy.send(tid, "نوافق", "ar", reply_to=first.index)
    assert sy.message(tid, reply.index)["reply_to"] == first.index
    il.retract(tid, first.index, "sent too early", "en")
    m = sy.message(tid, first.index)
    assert m["retracted"]["reason"] == "sent too early" and m["ack"]["waiting"] == []
    assert len(m["versions"]) == 2  # the history stays visible
    assert refused(409, sy.acknowledge, tid, first.index)  # after retraction
    assert refused(409, il.edit, tid, first.index, "again", "he")
    assert refused(409, il.retract, tid, first.index)


def test_pins_and_search_in_a_thread(cell: Cell, member: MakeClient) -> None:
    us = member("US", "us-sup", Role.SUPERVISOR)
    tid, _ = us.open_thread("general", "Procedures", "en", ["IL", "SY", "US"])
    a = us.send(tid, "Use the hotline for FLASH items", "en")
    us.send(tid, "Rotation starts Monday", "en")
    us.pin(tid, a.index)
    assert refused(409, us.pin, tid, a.index)
    view = us.thread(tid)
    assert [p["index"] for p in view["pinned"]] == [a.index]
    assert [m["index"] for m in us.thread(tid, q="hotline")["messages"]] == [a.index]
    assert us.thread(tid, q="100%_")["messages"] == []  # LIKE wildcards are literal
    us.pin(tid, a.index, pinned=False)
    assert us.thread(tid)["pinned"] == []


def test_threads_of_one_party_with_the_supervisor(cell: Cell, member: MakeClient) -> None:
    il, sy, us = member("IL", "il-head"), member("SY", "sy-head"), member("US", "us-sup")
    tid, _ = il.open_thread("diplomatic", "Bilateral", "en", ["IL", "US"])
    sent = il.send(tid, "For the supervisor only", "en", "PRIORITY")
    assert us.message(tid, sent.index)["ack"]["addressed"] == ["US"]
    assert tid not in [t["id"] for t in sy.threads()]
    # SY gets the same answer for this thread as for one that does not exist.
    assert refused(404, sy.thread, tid) == refused(404, sy.thread, "nosuchthread")
    sy._parties[tid] = ["IL", "US"]  # a forged attempt: SY writes as if it were in it
    assert refused(403, sy.send, tid, "hello", "en")  # visibility must include SY
    sy._parties[tid] = ["IL", "SY", "US"]
    assert "no such thread" in refused(404, sy.send, tid, "hello", "en")
    # the charter puts the supervisor in every thread
    assert "supervisor" in refused(400, il.open_thread, "general", "No US", "en", ["IL", "SY"])


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"urgency": "FLASH", "text": "   ", "lang": "en"}, 400, "empty"),
        ({"urgency": "FLASH", "text": "x" * 8001, "lang": "en"}, 400, "longer"),
        ({"urgency": "FLASH", "text": "abc \u202edcba", "lang": "en"}, 400, "U+202E"),
        ({"urgency": "FLASH", "text": "a\x07b", "lang": "en"}, 400, "control"),
        ({"urgency": "URGENT", "text": "x", "lang": "en"}, 400, "urgency"),
        ({"urgency": "FLASH", "text": "x", "lang": "fr"}, 400, "language"),
        ({"urgency": "FLASH", "text": 5, "lang": "en"}, 400, "string"),
        ({"urgency": "FLASH", "text": "x", "lang": "en", "extra": 1}, 400, "unknown fields"),
        ({"urgency": "FLASH", "text": "x", "lang": "en", "reply_to": 99999}, 404, "replied"),
        ({"urgency": "FLASH", "text": "x", "lang": "en", "reply_to": "1"}, 400, "index"),
    ],
)
def test_bad_messages_are_refused(
    cell: Cell, member: MakeClient, body: dict[str, object], status: int, words: str
) -> None:
    sy = member("SY", "sy-liaison")
    tid, _ = sy.open_thread("general", "Bad input", "en", ["IL", "SY", "US"])
    size = cell.ledger.size()
    assert words in refused(status, sy._write, kinds.POSTED, tid, body)
    assert cell.ledger.size() == size  # nothing half-written


def test_unknown_thread_and_bad_thread_ids(cell: Cell, member: MakeClient) -> None:
    sy = member("SY", "sy-liaison")
    sy._parties["nosuchthread"] = ["IL", "SY", "US"]
    assert "no such thread" in refused(404, sy.send, "nosuchthread", "x", "en")
    assert refused(400, sy.open_thread, "general", "x", "en", ["IL", "SY", "US"], thread="Bad!")
    assert refused(400, sy.open_thread, "nowhere", "x", "en", ["IL", "SY", "US"])
    tid, _ = sy.open_thread("general", "Twice", "en", ["IL", "SY", "US"], thread="same-id-1")
    assert refused(409, sy.open_thread, "general", "Twice", "en", ["IL", "SY", "US"], thread=tid)


def test_attachments(cell: Cell, member: MakeClient) -> None:
    sy, il, us = member("SY", "sy-liaison"), member("IL", "il-liaison"), member("US", "us-sup")
    att = sy.upload(PDF, "map.pdf")
    assert att["type"] == "application/pdf" and att["size"] == len(PDF)
    tid, _ = sy.open_thread("intelligence", "Evidence", "en", ["IL", "SY", "US"])
    sent = sy.send(tid, "See the attached map", "en", "PRIORITY", attachments=[att])
    m = il.message(tid, sent.index)
    assert m["attachments"] == [att]
    assert il.download(att["sha256"]) == PDF
    r = il.http.get(f"/api/v1/cell/attachments/{att['sha256']}", headers=il.headers)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith("attachment")
    # a file of another party, never shared with IL, cannot be pulled into IL's thread
    secret = us.upload(b"%PDF-1.4\nsecret\n%%EOF\n", "s.pdf")
    assert refused(404, il.download, secret["sha256"])
    t2, _ = il.open_thread("intelligence", "Mine", "en", ["IL", "US"])
    assert refused(404, il.send, t2, "leak", "en", attachments=[secret])
    # a claim that does not match the upload
    assert refused(400, sy.send, tid, "x", "en", attachments=[{**att, "size": 1}])
    # refused types and sizes
    assert refused(415, sy.upload, b"MZ\x90\x00" + b"\x00" * 60, "tool.exe")
    assert refused(415, sy.upload, b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "x.svg")
    assert refused(413, sy.upload, b"a" * (cell.settings.max_attachment_bytes + 1), "big.txt")
    assert refused(400, sy.upload, b"", "empty.txt")


def test_concurrent_acks_by_one_party_count_once(cell: Cell, member: MakeClient) -> None:
    sy = member("SY", "sy-liaison")
    ils = [member("IL", f"il-duty{i}", Role.DUTY_OFFICER) for i in range(4)]
    tid, _ = sy.open_thread("deescalation", "Race", "en", ["IL", "SY", "US"])
    sent = sy.send(tid, "FLASH", "en", "FLASH")
    for c in ils:
        c._parties[tid] = ["IL", "SY", "US"]

    def ack(c):  # type: ignore[no-untyped-def]
        try:
            return c.acknowledge(tid, sent.index).index
        except ClientError as exc:
            return exc.status

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(ack, ils))
    assert sorted(r == 409 for r in results) == [False, True, True, True]
    assert list(sy.message(tid, sent.index)["ack"]["by"]) == ["IL"]


def test_inbox_puts_what_is_owed_first(cell: Cell, member: MakeClient) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    quiet, _ = sy.open_thread("general", "Quiet", "en", ["IL", "SY", "US"])
    prio, _ = sy.open_thread("general", "Priority", "en", ["IL", "SY", "US"])
    flash, _ = sy.open_thread("general", "Flash", "en", ["IL", "SY", "US"])
    sy.send(prio, "p", "en", "PRIORITY")
    sy.send(flash, "f", "en", "FLASH")
    sy.send(quiet, "newest but routine", "en")
    order = [t["id"] for t in il.threads()]
    assert order == [flash, prio, quiet]
    assert [t["id"] for t in il.threads(workstream="deescalation")] == []
    assert il.threads()[2]["unread"] == 1


def test_rebuild_gives_the_same_cell(cell: Cell, member: MakeClient) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    tid, _ = sy.open_thread("deescalation", "Rebuild", "en", ["IL", "SY", "US"])
    a = sy.send(tid, "one", "en", "FLASH", attachments=[sy.upload(PDF, "a.pdf")])
    il.acknowledge(tid, a.index)
    sy.edit(tid, a.index, "one, edited", "en")
    b = sy.send(tid, "two", "en", "IMMEDIATE")
    sy.retract(tid, b.index)
    sy.pin(tid, a.index)
    live = snapshot(cell)
    assert live["cell_messages"] and live["cell_acks"] and live["cell_versions"]
    rebuild(cell)
    assert snapshot(cell) == live


def test_delivery_recorder_batches_in_the_background(cell: Cell, member: MakeClient) -> None:
    sy = member("SY", "sy-liaison")
    tid, _ = sy.open_thread("general", "Receipts", "en", ["IL", "SY", "US"])
    sent = sy.send(tid, "hello", "en")
    rec = DeliveryRecorder(cell, interval=0.01)
    who = Principal("IL", "il-liaison", Role.LIAISON_OFFICER, frozenset())
    rec(who, [sent.index])
    rec(who, [sent.index])  # the second is dropped in memory
    rec.close()
    assert sy.message(tid, sent.index)["receipts"]["IL"]["delivered"]["member"] == "il-liaison"

"""Notifications with real parts: mail received by an SMTP server (aiosmtpd), webhooks by an
HTTP server that checks their HMAC. The clock is a FrozenClock that the tests move; the
notifier's turns are called by the tests (Notifier.enqueue / deliver), nothing sleeps on a
deadline."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.clock import FrozenClock, parse_rfc3339
from fusioncell.db import reading
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.line.client import LineClient
from fusioncell.notify import outbox, texts
from fusioncell.notify.tables import notify_outbox
from fusioncell.notify.worker import Notifier
from fusioncell.web import i18n
from tests.notify.conftest import Mailbox, People, Receiver, reach, token

ALL = ["IL", "SY", "US"]


def clock(cell: Cell) -> FrozenClock:
    assert isinstance(cell.clock, FrozenClock)
    return cell.clock


def rows(cell: Cell, **where: Any) -> list[Any]:
    q = select(notify_outbox).order_by(notify_outbox.c.id)
    for k, v in where.items():
        q = q.where(notify_outbox.c[k] == v)
    with reading(cell.engine) as conn:
        return list(conn.execute(q).all())


def channels_of(cell: Cell, entry: int) -> set[tuple[str, str]]:
    return {(r.recipient, r.channel) for r in rows(cell, entry_idx=entry)}


@pytest.fixture
def notifier(cell: Cell) -> Any:
    n = Notifier(cell, threads=4)
    yield n
    n.stop()


def test_a_flash_message_reaches_every_channel_once(
    cell: Cell,
    people: People,
    notifier: Notifier,
    smtp: tuple[Mailbox, int],
    hooks: Receiver,
) -> None:
    box, _ = smtp
    sy = people("SY", "sy-liaison")
    il = people("IL", "il-liaison")
    people("US", "us-duty", Role.DUTY_OFFICER)
    # FLASH goes everywhere, whatever the member chose.
    path = reach(cell, il, email="il@example.org", hook=hooks, channels={"FLASH": ["web"]})
    reach(cell, sy, email="sy@example.org")
    tid, _ = sy.open_thread("deescalation", "Movement near the line", "en", ALL)
    sent = sy.send(tid, "Confirm receipt of the convoy's route", "en", "FLASH")

    assert notifier.run_once() == 2  # the mail and the webhook; the web one is stored
    # Only the addressed party is told (the supervisor oversees; the author's party wrote).
    assert channels_of(cell, sent.index) == {
        ("il-liaison", "web"),
        ("il-liaison", "email"),
        ("il-liaison", "webhook"),
    }
    assert {r.state for r in rows(cell, entry_idx=sent.index)} == {"sent"}

    (mail,) = box.wait_for(1)
    web, email_row, hook_row = rows(cell, entry_idx=sent.index)
    assert mail["To"] == "il@example.org" and mail["From"] == "cell@paris.example"
    assert mail["Message-ID"] == f"<{email_row.delivery}@paris.fusioncell.example>"
    assert mail["X-Fusioncell-Delivery"] == email_row.delivery
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_content()
    # A member who chose no language reads their party's first (IL: Hebrew).
    assert mail["Content-Language"] == "he"
    assert mail["Subject"].startswith("[בהול ביותר]")
    # A summary and a link: what people wrote stays in the cell (notify_include_text off).
    assert "Confirm receipt" not in body and "Movement near the line" not in body
    assert f"https://cell.example/cell/t/{tid}#m-{sent.index}" in body
    assert "https://cell.example/notifications/settings" in body

    (hit,) = hooks.wait_for(1, path)
    assert hit.verified, "the HMAC over timestamp.body checks out with the member's secret"
    assert hit.delivery == hook_row.delivery == hit.payload["delivery"]
    p = hit.payload
    assert p["entry"] == sent.index and p["kind"] == "cell.message.posted"
    assert p["urgency"] == "FLASH" and p["recipient"]["member"] == "il-liaison"
    assert p["items"][0]["thread"] == tid and p["items"][0]["party"] == "SY"
    assert set(p["summary"]) == {"ar", "he", "en"}
    assert p["links"]["open"] == f"https://cell.example/cell/t/{tid}#m-{sent.index}"
    assert "Confirm receipt" not in json.dumps(p)
    # The web notification exists once; a second turn sends nothing again.
    assert notifier.run_once() == 0
    assert len(box.messages) == 1 and len(hooks.hits) == 1
    assert web.channel == "web" and web.read_at is None


def test_the_mail_speaks_the_members_language(
    cell: Cell, people: People, notifier: Notifier, smtp: tuple[Mailbox, int]
) -> None:
    from fusioncell.identity.accounts import set_language, set_password

    box, _ = smtp
    sy = people("SY", "sy-liaison")
    il = people("IL", "il-liaison")
    set_password(cell.engine, "il-liaison", "a long test password 42")
    set_language(cell.engine, "il-liaison", "ar")  # the member's choice of page language
    reach(cell, il, email="il@example.org")
    tid, _ = sy.open_thread("deescalation", "Movement near the line", "en", ALL)
    sy.send(tid, "Confirm", "en", "IMMEDIATE")
    notifier.run_once()
    (mail,) = box.wait_for(1)
    assert mail["Content-Language"] == "ar"
    subject = mail["Subject"]
    assert subject.startswith("[عاجل]")  # the charter's Arabic name of IMMEDIATE
    syria = "\u2068سوريا\u2069"  # noqa: RUF001 - Syria in Arabic (the charter), isolated
    assert subject == "[عاجل] " + i18n.translate(
        "ar", texts.SUBJECTS["cell.message.posted"], {"party": syria}
    )
    assert syria in mail.get_content()


def test_channels_per_urgency_and_flash_everywhere(
    cell: Cell, people: People, notifier: Notifier, hooks: Receiver
) -> None:
    sy = people("SY", "sy-liaison")
    il = people("IL", "il-liaison")
    reach(
        cell,
        il,
        email="il@example.org",
        hook=hooks,
        channels={"IMMEDIATE": ["web"], "PRIORITY": ["email", "webhook"], "FLASH": []},
    )
    tid, _ = sy.open_thread("deescalation", "Four messages", "en", ALL)
    sent = {
        u: sy.send(tid, f"{u} message", "en", u).index
        for u in ("FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE")
    }
    notifier.run_once()
    everywhere = {("il-liaison", c) for c in ("web", "email", "webhook")}
    assert channels_of(cell, sent["FLASH"]) == everywhere  # chose none: FLASH goes anyway
    assert channels_of(cell, sent["IMMEDIATE"]) == {("il-liaison", "web")}
    assert channels_of(cell, sent["PRIORITY"]) == {
        ("il-liaison", "email"),
        ("il-liaison", "webhook"),
    }
    assert channels_of(cell, sent["ROUTINE"]) == set()  # the default: the cell's unread count


def test_a_member_without_address_or_webhook_gets_the_web_only(
    cell: Cell, people: People, notifier: Notifier
) -> None:
    sy = people("SY", "sy-liaison")
    people("IL", "il-liaison")
    tid, _ = sy.open_thread("deescalation", "No address", "en", ALL)
    m = sy.send(tid, "FLASH with nowhere else to go", "en", "FLASH").index
    assert notifier.run_once() == 0
    assert channels_of(cell, m) == {("il-liaison", "web")}


def test_visibility_a_party_outside_the_thread_hears_nothing(
    cell: Cell, people: People, notifier: Notifier
) -> None:
    sy = people("SY", "sy-liaison")
    people("IL", "il-liaison")
    people("US", "us-liaison")
    tid, _ = sy.open_thread("deescalation", "Between SY and the supervisor", "en", ["SY", "US"])
    m = sy.send(tid, "For the supervisor only", "en", "FLASH").index
    notifier.run_once()
    assert channels_of(cell, m) == {("us-liaison", "web")}  # addressed: the supervisor


def test_missed_deadline_and_escalation_reach_the_duty_and_the_targets(
    cell: Cell, people: People, notifier: Notifier
) -> None:
    sy = people("SY", "sy-liaison")
    people("IL", "il-liaison")
    people("IL", "il-duty", Role.DUTY_OFFICER)
    people("IL", "il-head", Role.HEAD_OF_DELEGATION)
    people("US", "us-duty", Role.DUTY_OFFICER)
    tid, _ = sy.open_thread("deescalation", "Unanswered", "en", ALL)
    m = sy.send(tid, "Answer within five minutes", "en", "FLASH").index
    notifier.run_once()
    clock(cell).advance(timedelta(minutes=5))
    assert DeadlineEngine(cell).run_due() == 2  # missed, then the step "after 0m"
    notifier.run_once()
    with reading(cell.engine) as conn:
        from fusioncell.ledger.tables import log_entries

        kinds = dict(
            conn.execute(
                select(log_entries.c.kind, log_entries.c.idx).where(log_entries.c.idx > m)
            ).all()
        )
    missed, escalated = kinds["system.deadline.missed"], kinds["system.escalation.notified"]
    # No roster: the party's duty officers answer for it.
    assert {r.recipient for r in rows(cell, entry_idx=missed)} == {"il-duty"}
    assert {r.recipient for r in rows(cell, entry_idx=escalated)} == {"il-head", "us-duty"}
    (row,) = rows(cell, entry_idx=escalated, recipient="il-head")
    assert row.urgency == "FLASH"  # the item's refs carry the message's urgency
    (item,) = json.loads(row.payload)["items"]
    assert item["what"] == "escalation" and item["refs"]["message"] == m
    assert item["party"] == "IL" and item["step"] == 1


def test_line_checks_and_the_lines_status(
    cell: Cell, people: People, notifier: Notifier, hooks: Receiver
) -> None:
    il_duty = people("IL", "il-duty", Role.DUTY_OFFICER)
    path = reach(cell, il_duty, hook=hooks)
    people("SY", "sy-duty", Role.DUTY_OFFICER)
    people("IL", "il-liaison")
    sup = people("US", "us-supervisor", Role.SUPERVISOR)
    line = LineClient(
        token=token(sup), key=sup.key, party="US", member="us-supervisor", http=sup.http
    )
    _, req = line.request_check(["IL", "SY"])
    notifier.run_once()
    checked = rows(cell, entry_idx=req.index)
    assert {(r.recipient, r.urgency) for r in checked} == {
        ("il-duty", "IMMEDIATE"),
        ("sy-duty", "IMMEDIATE"),
    }
    declared = line.suspend("Shots reported near the line", "en")
    notifier.run_once()
    told = rows(cell, entry_idx=declared.index)
    # Every member of every party but its author, FLASH.
    assert {r.recipient for r in told} == {"il-duty", "sy-duty", "il-liaison"}
    assert {r.urgency for r in told} == {"FLASH"}
    # The webhook says the line is suspended, and not the reason a person wrote.
    hit = next(h for h in hooks.wait_for(2, path) if h.payload["entry"] == declared.index)
    assert hit.verified and hit.payload["items"][0]["state"] == "suspended"
    assert "Shots reported" not in json.dumps(hit.payload)
    assert "The line is now: suspended" in hit.payload["summary"]["en"]["lines"]


def test_a_webhook_that_answers_500_is_retried_with_back_off(
    cell: Cell, people: People, notifier: Notifier, hooks: Receiver
) -> None:
    sy = people("SY", "sy-liaison")
    il = people("IL", "il-liaison")
    path = reach(cell, il, hook=hooks)
    assert path is not None
    hooks.plan[path] = [500, 500, 200]
    tid, _ = sy.open_thread("deescalation", "Flaky receiver", "en", ALL)
    m = sy.send(tid, "Will arrive on the third try", "en", "IMMEDIATE").index
    notifier.run_once()
    (row,) = rows(cell, entry_idx=m, channel="webhook")
    assert (row.state, row.attempts, row.last_error) == (
        "pending",
        1,
        "the receiver answered 500",
    )
    assert notifier.deliver() == 0  # not before its time
    clock(cell).advance(timedelta(seconds=5))  # the first back-off step
    assert notifier.deliver() == 1
    (row,) = rows(cell, entry_idx=m, channel="webhook")
    assert (row.state, row.attempts) == ("pending", 2)
    clock(cell).advance(timedelta(seconds=29))
    assert notifier.deliver() == 0
    clock(cell).advance(timedelta(seconds=1))  # the second: 30 s
    assert notifier.deliver() == 1
    (row,) = rows(cell, entry_idx=m, channel="webhook")
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, None)
    hits = hooks.at(path)
    assert [h.status for h in hits] == [500, 500, 200]
    assert {h.delivery for h in hits} == {row.delivery}  # one delivery id for every try
    assert all(h.verified for h in hits)


def test_a_webhook_that_times_out_fails_after_every_try_and_blocks_nothing(
    cell: Cell, people: People, notifier: Notifier, hooks: Receiver
) -> None:
    sy = people("SY", "sy-liaison")
    slow = people("IL", "il-liaison")
    fast = people("IL", "il-head", Role.HEAD_OF_DELEGATION)
    slow_path = reach(cell, slow, hook=hooks)
    fast_path = reach(cell, fast, hook=hooks)
    assert slow_path is not None and fast_path is not None
    hooks.plan[slow_path] = ["sleep"]
    hooks.sleep_s = 1.5  # the sender gives up after webhook_timeout = 0.5 s
    tid, _ = sy.open_thread("deescalation", "A slow receiver", "en", ALL)
    m = sy.send(tid, "Slow and fast", "en", "FLASH").index
    notifier.enqueue()
    notifier.deliver(wait=False)  # both attempts start, each in a sender thread
    assert hooks.sleeping.wait(10), "the slow receiver got its request"
    # Meanwhile the cell appends, and the other member's webhook is delivered.
    later = sy.send(tid, "The cell does not wait for notifications", "en", "ROUTINE")
    assert later.index > m
    assert hooks.wait_for(1, fast_path)[0].verified
    notifier.deliver()  # the slow attempt ends (its timeout)
    (row,) = rows(cell, entry_idx=m, recipient="il-liaison", channel="webhook")
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("ReadTimeout")
    for wait in cell.settings.notify_retry:  # 5 s, 30 s, 2 min, 10 min, 30 min
        clock(cell).advance(timedelta(seconds=wait))
        assert notifier.deliver() == 1
    (row,) = rows(cell, entry_idx=m, recipient="il-liaison", channel="webhook")
    assert (row.state, row.attempts, row.next_at) == ("failed", 6, None)
    clock(cell).advance(timedelta(hours=1))
    assert notifier.deliver() == 0  # failed: never tried again by itself
    # Its party admin (or `fusioncell notify retry`) puts it back.
    assert outbox.retry(cell, party="IL") == 1
    hooks.plan[slow_path] = [200]
    assert notifier.deliver() == 1
    assert rows(cell, id=row.id)[0].state == "sent"


def test_a_relay_that_is_down_is_retried(
    cell: Cell, people: People, notifier: Notifier, smtp: tuple[Mailbox, int]
) -> None:
    from tests.notify.conftest import free_port

    box, port = smtp
    sy = people("SY", "sy-liaison")
    il = people("IL", "il-liaison")
    reach(cell, il, email="il@example.org")
    cell.settings.smtp_port = free_port()  # nothing listens there
    tid, _ = sy.open_thread("deescalation", "Relay down", "en", ALL)
    m = sy.send(tid, "Mail later", "en", "FLASH").index
    notifier.run_once()
    (row,) = rows(cell, entry_idx=m, channel="email")
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("ConnectionRefusedError")
    cell.settings.smtp_port = port  # the relay is back
    clock(cell).advance(timedelta(seconds=5))
    assert notifier.deliver() == 1
    (mail,) = box.wait_for(1)
    assert mail["X-Fusioncell-Delivery"] == row.delivery
    assert rows(cell, id=row.id)[0].state == "sent"


def test_each_entry_is_enqueued_once_across_restarts_and_racing_notifiers(
    cell: Cell, people: People, smtp: tuple[Mailbox, int], hooks: Receiver
) -> None:
    box, _ = smtp
    sy = people("SY", "sy-liaison")
    il = people("IL", "il-liaison")
    path = reach(cell, il, email="il@example.org", hook=hooks)
    tid, _ = sy.open_thread("deescalation", "Many", "en", ALL)
    first = Notifier(cell, threads=2)
    sent = [sy.send(tid, f"message {i}", "en", "IMMEDIATE").index for i in range(5)]
    first.run_once()
    first.stop()  # the process ends; another takes over
    sent += [sy.send(tid, f"message {i}", "en", "IMMEDIATE").index for i in range(5, 30)]
    # Two notifiers race over the same entries: each entry's rows are written once.
    a, b = Notifier(cell, threads=2), Notifier(cell, threads=2)
    go = threading.Barrier(2)

    def run(n: Notifier) -> None:
        go.wait()
        for _ in range(10):
            n.enqueue()

    threads = [threading.Thread(target=run, args=(n,)) for n in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a.run_once()
    b.run_once()
    a.stop()
    b.stop()
    with reading(cell.engine) as conn:
        assert outbox.cursor(conn) == sent[-1]
        n_rows = conn.execute(select(func.count()).select_from(notify_outbox)).scalar()
    assert n_rows == 3 * len(sent)  # web, email, webhook for each message, no more
    assert all(
        channels_of(cell, i) == {("il-liaison", c) for c in ("web", "email", "webhook")}
        for i in sent
    )
    mails = box.wait_for(len(sent))
    assert len(mails) == len(sent)
    assert len({m["Message-ID"] for m in mails}) == len(sent)
    hits = hooks.wait_for(len(sent), path)
    assert len(hits) == len(sent) == len({h.delivery for h in hits})


def test_the_notifier_thread_delivers_as_entries_arrive(
    cell: Cell, people: People, hooks: Receiver, smtp: tuple[Mailbox, int]
) -> None:
    """The thread wakes on this process's commits and keeps one lock for the cell."""
    box, _ = smtp
    sy = people("SY", "sy-liaison")
    il = people("IL", "il-liaison")
    path = reach(cell, il, email="il@example.org", hook=hooks)
    n = Notifier(cell)
    other = Notifier(cell)
    n.start()
    other.start()  # a second process's notifier: waits for the lock, sends nothing
    try:
        tid, _ = sy.open_thread("deescalation", "Live", "en", ALL)
        sy.send(tid, "Right away", "en", "FLASH")
        assert box.wait_for(1) and hooks.wait_for(1, path)
        assert n.lock.held != other.lock.held
    finally:
        n.stop()
        other.stop()
    assert len(box.messages) == 1 and len(hooks.at(path)) == 1


def test_a_disabled_member_is_not_mailed(
    cell: Cell, people: People, notifier: Notifier, smtp: tuple[Mailbox, int]
) -> None:
    from fusioncell.identity.accounts import do_disable_member

    box, _ = smtp
    sy = people("SY", "sy-liaison")
    il = people("IL", "il-liaison")
    reach(cell, il, email="il@example.org")
    tid, _ = sy.open_thread("deescalation", "Then disabled", "en", ALL)
    m = sy.send(tid, "Before", "en", "FLASH").index
    notifier.enqueue()
    do_disable_member(cell, "il-liaison")
    notifier.deliver()
    (row,) = rows(cell, entry_idx=m, channel="email")
    assert (row.state, row.last_error) == ("failed", "the member is disabled")
    assert box.messages == []
    after = sy.send(tid, "After", "en", "FLASH").index
    notifier.run_once()
    assert rows(cell, entry_idx=after) == []  # no longer a member


def test_the_command_line_shows_the_outbox_and_retries_failures(
    cell: Cell,
    people: People,
    notifier: Notifier,
    hooks: Receiver,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from fusioncell.cli import app
    from fusioncell.notify import prefs
    from tests.notify.conftest import principal

    sy = people("SY", "sy-liaison")
    il = people("IL", "il-liaison")
    path = reach(cell, il, hook=hooks)
    tid, _ = sy.open_thread("deescalation", "Removed meanwhile", "en", ALL)
    m = sy.send(tid, "Nowhere to go", "en", "IMMEDIATE").index
    notifier.enqueue()
    prefs.do_delete_webhook(cell, principal(il))  # removed before it was sent: fails for good
    notifier.deliver()
    (row,) = rows(cell, entry_idx=m, channel="webhook")
    assert (row.state, row.last_error) == ("failed", "the webhook was removed")
    monkeypatch.setenv("FUSIONCELL_DATABASE_URL", db_url)
    runner = CliRunner()
    r = runner.invoke(app, ["notify", "status", "--data", str(cell.data)])
    assert r.exit_code == 0, r.output
    assert f"entries up to {m} enqueued" in r.output
    assert "webhook" in r.output and "web " in r.output
    r = runner.invoke(app, ["notify", "retry", "--party", "ZZ", "--data", str(cell.data)])
    assert r.exit_code == 2 and "unknown party" in r.output
    r = runner.invoke(app, ["notify", "retry", "--id", str(row.id), "--data", str(cell.data)])
    assert r.exit_code == 0 and "1 failed deliveries queued again" in r.output
    back = rows(cell, id=row.id)[0]
    assert (back.state, back.attempts) == ("pending", 0)
    # Due now by the command's clock (the system's); this test's cell runs on a frozen one.
    late = parse_rfc3339(back.next_at) - clock(cell).now()
    clock(cell).advance(max(late, timedelta(0)))
    reach(cell, il, hook=hooks)  # a webhook again: the retried row goes there now
    assert notifier.deliver() == 1
    assert rows(cell, id=row.id)[0].state == "sent"
    assert hooks.wait_for(1, path)[0].verified

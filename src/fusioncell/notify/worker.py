"""The notifier: one per cell at a time (EngineLock "notify"), in a thread of a server process.

Each turn it enqueues the notifications of the entries after its cursor (outbox.enqueue: rows
and cursor in one transaction), then hands the due outbox rows to a pool of sender threads.
A sender makes one attempt and records its outcome at once: sent, or the next try after the
back-off, or failed. A slow or dead target occupies one sender thread for at most its timeout;
it never holds up the append path (which does not wait on notifications at all) or the other
deliveries.

Across crashes: an entry is enqueued exactly once (the cursor moves with its rows); a row is
sent until it is marked sent. The one window is between the remote accepting a delivery and
our commit of "sent" (milliseconds): a crash there sends it again after restart, with the
same delivery id, so the receiver can drop it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from fusioncell.cell import Cell
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.db import reading
from fusioncell.deadlines.lock import EngineLock
from fusioncell.identity.accounts import member_language
from fusioncell.ledger.tables import log_members
from fusioncell.notify import feed, mail, outbox, prefs, texts, webhook
from fusioncell.web.i18n import LOCALES

log = logging.getLogger(__name__)

USER_TEXT = frozenset({"text", "lang"})  # fields of an item that hold what a person wrote


def _error(exc: BaseException) -> str:
    # Never the URL (it may carry a token) nor anything of the settings: the kind and the
    # library's short reason.
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300]


class Notifier:
    def __init__(
        self,
        cell: Cell,
        *,
        threads: int | None = None,
        poll: float | None = None,
        lock_retry: float = 5.0,
    ) -> None:
        self.cell = cell
        s = cell.settings
        self.threads = threads or s.notify_threads
        self.poll = s.notify_poll if poll is None else poll
        self.gather = s.notify_gather
        self.lock_retry = lock_retry
        self.lock = EngineLock(cell.engine, cell.data, name="notify")
        self._http = httpx.Client(
            timeout=s.webhook_timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=self.threads * 2),
        )
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="notify-send")
        self._busy: set[int] = set()
        self._busy_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- turns, callable directly (tests move a FrozenClock and call these) ---------------

    def enqueue(self) -> int:
        """Enqueue everything after the cursor. Returns the outbox rows written."""
        written = 0
        while True:
            n, rows = outbox.enqueue(self.cell)
            if n == 0:
                break
            written += len(rows)
            if any(r["channel"] == prefs.WEB for r in rows):
                feed.bump()
        return written

    def deliver(self, *, wait: bool = True) -> int:
        """Hand the due rows to the senders (as many as there are free senders, twice over).
        With `wait`, until none is due: returns the attempts made."""
        made = 0
        while True:
            with self._busy_lock:
                room = self.threads * 2 - len(self._busy)
                busy = list(self._busy)
            if room <= 0:
                if not wait:
                    return made
                time.sleep(0.01)
                continue
            now = rfc3339(self.cell.clock.now())
            with reading(self.cell.engine) as conn:
                rows = outbox.due(conn, now, room, busy)
            futures: list[Future[None]] = []
            for r in rows:
                with self._busy_lock:
                    self._busy.add(int(r.id))
                futures.append(self._pool.submit(self._attempt, r))
            made += len(rows)
            if not wait:
                return made
            for f in futures:
                f.result()
            if not rows:
                with self._busy_lock:
                    idle = not self._busy
                if idle:
                    return made
                time.sleep(0.01)

    def run_once(self) -> int:
        """Enqueue, then deliver everything due now. Returns the attempts made."""
        self.enqueue()
        return self.deliver(wait=True)

    # ---- one attempt, in a sender thread ------------------------------------------------------

    def _attempt(self, row: Any) -> None:
        try:
            if row.channel == prefs.EMAIL:
                self._mail(row)
            else:
                self._webhook(row)
        except mail.Permanent as exc:
            self._failed(row, str(exc), permanent=True)
        except webhook.Refused as exc:
            self._failed(row, str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure is this attempt's, retried
            self._failed(row, _error(exc))
        else:
            outbox.mark_sent(self.cell, int(row.id))
        finally:
            with self._busy_lock:
                self._busy.discard(int(row.id))
            self._wake.set()

    def _failed(self, row: Any, error: str, *, permanent: bool = False) -> None:
        state = outbox.mark_failed(self.cell, int(row.id), error, permanent=permanent)
        if state == outbox.FAILED:
            log.warning(
                "notification %s (%s) failed for good: %s", row.delivery, row.channel, error
            )

    def _reader(self, row: Any) -> tuple[str, str]:
        """The language and time zone of whoever receives `row`."""
        charter = self.cell.charter
        party = charter.party(row.party) if row.party in charter.codes else None
        zone = party.timezone if party is not None else "UTC"
        chosen = None
        if not row.recipient.startswith(prefs.HOOK_PREFIX):
            chosen = member_language(self.cell.engine, row.recipient)
        spoken = [*(party.languages if party is not None else []), *charter.languages]
        for lang in [chosen, *spoken]:
            if lang in LOCALES:
                return str(lang), zone
        return "en", zone

    def _check_member(self, row: Any) -> None:
        if row.recipient.startswith(prefs.HOOK_PREFIX):
            return
        with reading(self.cell.engine) as conn:
            disabled = conn.execute(
                select(log_members.c.disabled).where(log_members.c.member == row.recipient)
            ).first()
        if disabled is None or disabled.disabled is not None:
            raise mail.Permanent("the member is disabled")

    def _mail(self, row: Any) -> None:
        self._check_member(row)
        lang, zone = self._reader(row)
        payload = json.loads(row.payload)
        with reading(self.cell.engine) as conn:
            address = prefs.load_settings(conn, row.recipient).email
            words = texts.describe(
                self.cell,
                conn,
                row.kind,
                row.urgency,
                payload["items"],
                lang,
                zone,
                with_text=self.cell.settings.notify_include_text,
            )
        if address is None:
            raise mail.Permanent("the member has no e-mail address any more")
        msg = mail.build(
            self.cell.settings,
            origin=self.cell.ledger.origin,
            delivery=row.delivery,
            to=address,
            lang=lang,
            subject=words.title(),
            text=texts.mail_text(self.cell, words, lang),
            clock=self.cell.clock,
        )
        mail.send(self.cell.settings, msg)

    def _webhook(self, row: Any) -> None:
        if not row.recipient.startswith(prefs.HOOK_PREFIX):
            self._check_member(row)
        payload = json.loads(row.payload)
        with reading(self.cell.engine) as conn:
            target = prefs.hook_target(conn, row.recipient)
            if target is None:
                raise mail.Permanent("the webhook was removed")
            url, secret = target
            _, zone = self._reader(row)
            summary = {}
            link = ""
            for lang in self.cell.charter.languages:
                if lang not in LOCALES:
                    continue
                w = texts.describe(
                    self.cell,
                    conn,
                    row.kind,
                    row.urgency,
                    payload["items"],
                    lang,
                    zone,
                    with_text=self.cell.settings.notify_include_text,
                )
                summary[lang] = {"subject": w.title(), "lines": w.lines}
                link = w.link
        if not prefs.webhook_allowed(self.cell.settings, url):
            raise mail.Permanent("the operator no longer allows webhooks to this address")
        hook = row.recipient.startswith(prefs.HOOK_PREFIX)
        base = self.cell.settings.notify_base_url.rstrip("/")
        body = webhook.body_bytes(
            {
                "delivery": row.delivery,
                "origin": self.cell.ledger.origin,
                "entry": int(row.entry_idx),
                "kind": row.kind,
                "urgency": row.urgency,
                "created_at": row.created_at,
                "recipient": {
                    "party": row.party,
                    "member": None if hook else row.recipient,
                    "webhook": row.recipient[len(prefs.HOOK_PREFIX) :] if hook else None,
                },
                "items": self._facts(payload["items"]),
                "summary": summary,
                "links": {
                    "open": link,
                    "entry": f"{base}/log/v1/entries?start={row.entry_idx}&end={row.entry_idx + 1}",
                },
            }
        )
        webhook.post(self._http, url, secret, row.delivery, body)

    def _facts(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Items as a webhook carries them: what people wrote (a line status's reason)
        only where the operator says so."""
        if self.cell.settings.notify_include_text:
            return items
        return [{k: v for k, v in it.items() if k not in USER_TEXT} for it in items]

    # ---- the thread ----------------------------------------------------------------------

    def _on_commit(self, size: int) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self.cell.ledger.add_commit_listener(self._on_commit)
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.cell.ledger.remove_commit_listener(self._on_commit)
        # A delivery under way finishes (at most the webhook timeout); none is started.
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()
        self.lock.release()

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                if not self.lock.check() and not self.lock.acquire():
                    self._stop.wait(self.lock_retry)  # another process is the notifier
                    continue
                self._wake.clear()
                # Let a burst of appends gather: one transaction for many entries, rather
                # than a write (and an fsync) competing with the log's committer per entry.
                if self.gather > 0:
                    self._stop.wait(self.gather)
                self.enqueue()
                self.deliver(wait=False)
                delay = self._delay()
                failing = False
            except Exception:
                # The database may be away (a restart): say so once per outage, and wait
                # before trying again; a wake-up left set must not make the loop spin.
                if not failing:
                    log.exception("notifier turn failed; retrying every second")
                failing = True
                self._wake.clear()
                delay = max(self.poll, 1.0)
            if delay > 0:
                self._wake.wait(delay)

    def _delay(self) -> float:
        """Until the next retry falls due, at most `poll` (how soon another process's
        appends are noticed; this process's wake it at once)."""
        with reading(self.cell.engine) as conn:
            nxt = outbox.next_due(conn)
        if nxt is None:
            return self.poll
        left = (parse_rfc3339(nxt) - self.cell.clock.now()) / timedelta(seconds=1)
        with self._busy_lock:
            if self._busy and left <= 0:
                return self.poll  # what is due is being sent; its end wakes us
        return min(max(left, 0.0), self.poll)

"""The cell's projector: checks each cell entry against the log's state and updates the
cell's tables, inside the append's transaction.

A refusal here (a DomainError) rolls the append back and reaches the author as a 4xx: the
log never holds a message to an unknown thread, a second acknowledgement by the same party,
or an edit of a retracted message. Because it reads only earlier entries, `rebuild` gives
exactly the same tables.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from fusioncell.charter.schema import Charter
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.deadlines.api import (
    ACK,
    CANCELLED,
    MET,
    ack_key,
    close_deadline,
    escalation_plan,
    open_deadline,
)
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.ledger.entry import Entry
from fusioncell.messaging import kinds
from fusioncell.messaging.attachments import check_attachment
from fusioncell.messaging.tables import (
    cell_acks,
    cell_message_files,
    cell_messages,
    cell_threads,
    cell_versions,
)
from fusioncell.projector import CharterProjector

# Statements built once, values bound per call: SQLAlchemy then reuses their compiled form
# (a statement built anew costs its cache key every time, several times the query itself).
_THREAD = select(cell_threads).where(cell_threads.c.id == bindparam("tid"))
_THREAD_ID = select(cell_threads.c.id).where(cell_threads.c.id == bindparam("tid"))
_INSERT_THREAD = insert(cell_threads)
_TOUCH_THREAD = (
    update(cell_threads)
    .where(cell_threads.c.id == bindparam("b_tid"))
    .values(
        last_idx=bindparam("b_last"),
        last_at=bindparam("b_at"),
        messages=cell_threads.c.messages + bindparam("b_inc"),
    )
)
_MESSAGE = select(cell_messages).where(cell_messages.c.idx == bindparam("m"))
_MESSAGE_THREAD = select(cell_messages.c.thread).where(cell_messages.c.idx == bindparam("m"))
_INSERT_MESSAGE = insert(cell_messages)
_INSERT_VERSION = insert(cell_versions)
_INSERT_FILE = insert(cell_message_files)
_ACK_OF = select(cell_acks.c.member, cell_acks.c.time).where(
    cell_acks.c.message == bindparam("m"), cell_acks.c.party == bindparam("p")
)
_INSERT_ACK = insert(cell_acks)
_ACKED = (
    update(cell_messages)
    .where(cell_messages.c.idx == bindparam("b_m"))
    .values(acks_missing=cell_messages.c.acks_missing - 1)
)

NO_THREAD = N_("no such thread")
NO_MESSAGE = N_("no such message in this thread")


def column(parties: tuple[str, ...] | list[str]) -> str:
    return "," + ",".join(parties) + ","


def split(col: str) -> list[str]:
    return [p for p in col.split(",") if p]


def addressed(charter: Charter, parties: list[str], author: str) -> list[str]:
    """Who must answer a message: the thread's other parties. Where parties besides the
    supervisor are addressed, the supervisor oversees and is not itself asked to answer."""
    others = [p for p in parties if p != author]
    sup = charter.supervisor
    if sup is not None and len(others) > 1 and sup.code in others:
        others.remove(sup.code)
    return others


class CellProjector(CharterProjector):
    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind not in kinds.KINDS:
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)
        st = entry.statement
        if kinds.thread_of_subject(st.subject) != parsed.thread:
            raise Invalid(N_("subject must be t/<thread> of the thread in the body"))
        if kind == kinds.THREAD_OPENED:
            self._open(conn, entry, parsed)
            return
        thread = self._thread(conn, entry, parsed.thread, charter)
        if kind == kinds.POSTED:
            self._post(conn, entry, parsed, thread, charter)
        else:
            self._on_message(conn, entry, parsed, thread)
        conn.execute(
            _TOUCH_THREAD,
            {
                "b_tid": parsed.thread,
                "b_last": entry.index,
                "b_at": entry.time,
                "b_inc": 1 if kind == kinds.POSTED else 0,
            },
        )

    # ---- threads -----------------------------------------------------------------------

    @staticmethod
    def _open(conn: Connection, entry: Entry, t: kinds.ThreadOpened) -> None:
        st = entry.statement
        if list(st.visibility) != list(t.parties):
            raise Invalid(N_("visibility must be exactly the thread's parties"))
        if st.author.party not in t.parties:
            raise Invalid(N_("a thread is opened by one of its parties"))
        if conn.execute(_THREAD_ID, {"tid": t.thread}).first():
            raise Conflict(N_("a thread with this id exists already"))
        conn.execute(
            _INSERT_THREAD,
            {
                "id": t.thread,
                "workstream": t.workstream,
                "topic": t.topic,
                "topic_lang": t.topic_lang,
                "parties": column(t.parties),
                "opened_idx": entry.index,
                "opened_party": st.author.party,
                "opened_member": st.author.member,
                "opened_at": entry.time,
                "last_idx": entry.index,
                "last_at": entry.time,
                "messages": 0,
            },
        )

    @staticmethod
    def _thread(conn: Connection, entry: Entry, thread: str, charter: Charter) -> Any:
        st = entry.statement
        row = conn.execute(_THREAD, {"tid": thread}).first()
        if row is None:
            raise NotFound(NO_THREAD)
        parties = split(row.parties)
        if st.author.party not in parties:
            sees = any(p.code == st.author.party and p.sees_all for p in charter.parties)
            # Hidden and missing threads get the same answer; a party that sees the thread
            # is told why it may not write in it.
            if not sees:
                raise NotFound(NO_THREAD)
            raise Forbidden(N_("your party is not one of this thread's parties"))
        if list(st.visibility) != parties:
            raise Invalid(N_("visibility must be exactly the thread's parties"))
        return row

    # ---- messages ----------------------------------------------------------------------

    @staticmethod
    def _post(
        conn: Connection, entry: Entry, m: kinds.Posted, thread: Any, charter: Charter
    ) -> None:
        st = entry.statement
        if m.reply_to is not None:
            r = conn.execute(_MESSAGE_THREAD, {"m": m.reply_to}).first()
            if r is None or r.thread != m.thread:
                raise NotFound(N_("the message replied to is not in this thread"))
        parties = split(thread.parties)
        for a in m.attachments:
            check_attachment(conn, a, st.author.party)
        level = charter.urgency(m.urgency)
        owed = addressed(charter, parties, st.author.party) if level.requires_ack else []
        due = parse_rfc3339(entry.time) + timedelta(seconds=level.ack_within.total_seconds())
        conn.execute(
            _INSERT_MESSAGE,
            {
                "idx": entry.index,
                "thread": m.thread,
                "party": st.author.party,
                "member": st.author.member,
                "urgency": m.urgency,
                "text": m.text,
                "lang": m.lang,
                "reply_to": m.reply_to,
                "attachments": json.dumps([a.to_json() for a in m.attachments], ensure_ascii=False),
                "posted_at": entry.time,
                "versions": 1,
                "pinned": False,
                "requires_ack": level.requires_ack,
                "ack_due": rfc3339(due) if level.requires_ack else None,
                "addressed": column(owed),
                "acks_missing": len(owed),
            },
        )
        conn.execute(
            _INSERT_VERSION,
            {
                "idx": entry.index,
                "message": entry.index,
                "member": st.author.member,
                "text": m.text,
                "lang": m.lang,
                "time": entry.time,
            },
        )
        for a in m.attachments:
            conn.execute(
                _INSERT_FILE, {"message": entry.index, "sha256": a.sha256, "thread": m.thread}
            )
        for p in owed:  # one deadline per party that owes an acknowledgement
            open_deadline(
                conn,
                key=ack_key(entry.index, p),
                kind=ACK,
                subject=st.subject,
                refs={"thread": m.thread, "message": entry.index, "urgency": level.level.value},
                party=p,
                visibility=parties,
                due=due,
                plan=escalation_plan(charter, level, p, due),
                idx=entry.index,
            )

    def _on_message(self, conn: Connection, entry: Entry, op: kinds.OnMessage, thread: Any) -> None:
        kind = entry.statement.kind
        msg = conn.execute(_MESSAGE, {"m": op.message}).first()
        if msg is None or msg.thread != op.thread:
            raise NotFound(NO_MESSAGE)
        if kind == kinds.ACKNOWLEDGED:
            self._acknowledge(conn, entry, op, msg)
        elif kind in (kinds.PINNED, kinds.UNPINNED):
            pin = kind == kinds.PINNED
            if msg.retracted_idx is not None and pin:
                raise Conflict(N_("this message was retracted"))
            if bool(msg.pinned) == pin:
                raise Conflict(
                    N_("this message is pinned already")
                    if pin
                    else N_("this message is not pinned")
                )
            conn.execute(
                update(cell_messages).where(cell_messages.c.idx == op.message).values(pinned=pin)
            )
        else:
            self._edit_or_retract(conn, entry, op, msg)

    @staticmethod
    def _edit_or_retract(conn: Connection, entry: Entry, op: kinds.OnMessage, msg: Any) -> None:
        st = entry.statement
        where = cell_messages.c.idx == op.message
        if msg.member != st.author.member:
            raise Forbidden(N_("only its author may edit or retract a message"))
        if msg.retracted_idx is not None:
            raise Conflict(N_("this message was retracted"))
        if st.kind == kinds.RETRACTED:
            conn.execute(
                update(cell_messages)
                .where(where)
                .values(
                    retracted_idx=entry.index,
                    retracted_at=entry.time,
                    retract_reason=op.text,
                    retract_lang=op.lang,
                    acks_missing=0,  # nothing is owed on a retracted message
                    pinned=False,
                )
            )
            for p in split(msg.addressed):
                close_deadline(conn, ack_key(op.message, p), CANCELLED, entry.index)
            return
        if op.text == msg.text and op.lang == msg.lang:
            raise Invalid(N_("the edit changes nothing"))
        conn.execute(
            insert(cell_versions).values(
                idx=entry.index,
                message=op.message,
                member=st.author.member,
                text=op.text,
                lang=op.lang,
                time=entry.time,
            )
        )
        conn.execute(
            update(cell_messages)
            .where(where)
            .values(
                text=op.text,
                lang=op.lang,
                versions=cell_messages.c.versions + 1,
                edited_at=entry.time,
            )
        )

    @staticmethod
    def _acknowledge(conn: Connection, entry: Entry, op: kinds.OnMessage, msg: Any) -> None:
        st = entry.statement
        party = st.author.party
        if msg.retracted_idx is not None:
            raise Conflict(N_("this message was retracted: there is nothing to acknowledge"))
        if not msg.requires_ack:
            raise Invalid(N_("this message needs no acknowledgement; a receipt is enough"))
        if party not in split(msg.addressed):
            raise Forbidden(N_("this message does not ask your party to acknowledge it"))
        done = conn.execute(_ACK_OF, {"m": op.message, "p": party}).first()
        if done is not None:
            raise Conflict(
                N_("your party acknowledged this message already (%(member)s, %(time)s)"),
                member=done.member,
                time=done.time,
            )
        conn.execute(
            _INSERT_ACK,
            {
                "message": op.message,
                "party": party,
                "idx": entry.index,
                "member": st.author.member,
                "time": entry.time,
            },
        )
        conn.execute(_ACKED, {"b_m": op.message})
        close_deadline(conn, ack_key(op.message, party), MET, entry.index)

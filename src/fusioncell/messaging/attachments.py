"""Attachments: content-addressed files. Uploaded first, then named by their SHA-256 in a
signed message; the bytes stay out of the log, their hash is in it.

A file's type is what its bytes are (magic numbers, or strict UTF-8 text), never what the
sender claims; it is served only as a download, with its detected type and nosniff.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import puremagic
from sqlalchemy import Connection, exists, insert, select
from sqlalchemy.exc import IntegrityError

from fusioncell.authz import Principal
from fusioncell.authz.visibility import names, readable
from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import reading, transaction
from fusioncell.errors import N_, Invalid, NotFound, TooLarge, Unsupported
from fusioncell.messaging.kinds import Attachment
from fusioncell.messaging.tables import cell_attachments, cell_message_files, cell_threads

NO_FILE = N_("no such file")


@dataclass(frozen=True, slots=True)
class Stored:
    sha256: str
    type: str
    size: int

    def to_json(self) -> dict[str, object]:
        return {"sha256": self.sha256, "type": self.type, "size": self.size}


def detect(data: bytes) -> str:
    """The type of a file from its bytes."""
    try:
        mime = str(puremagic.from_string(data, mime=True))
    except puremagic.PureError:
        mime = ""
    if mime:
        return mime
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    if "\x00" in text:
        return "application/octet-stream"
    try:
        json.loads(text)
    except ValueError:
        return "text/plain"
    return "application/json"


def upload(cell: Cell, who: Principal, data: bytes) -> Stored:
    limit = cell.settings.max_attachment_bytes
    if not data:
        raise Invalid(N_("the file is empty"))
    if len(data) > limit:
        raise TooLarge(N_("the file is larger than %(limit)s bytes"), limit=limit)
    mime = detect(data)
    if mime not in cell.settings.attachment_types:
        raise Unsupported(
            N_("files of type %(type)s are not accepted; send one of %(types)s"),
            type=mime,
            types=", ".join(cell.settings.attachment_types),
        )
    sha = hashlib.sha256(data).hexdigest()
    try:
        with transaction(cell.engine) as conn:
            if conn.execute(
                select(cell_attachments.c.sha256).where(cell_attachments.c.sha256 == sha)
            ).first():
                return Stored(sha, mime, len(data))
            conn.execute(
                insert(cell_attachments).values(
                    sha256=sha,
                    type=mime,
                    size=len(data),
                    party=who.party,
                    member=who.member,
                    created_at=rfc3339(cell.clock.now()),
                    data=data,
                )
            )
    except IntegrityError:
        pass  # the same bytes, uploaded at the same moment by someone else
    return Stored(sha, mime, len(data))


def download(cell: Cell, who: Principal, sha256: str) -> tuple[bytes, str]:
    """A file's bytes and type, for a member who may see it: its party uploaded it, or it is
    attached to a message in a thread of that party. Otherwise the same 404 as a missing one."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFound(NO_FILE)
    with reading(cell.engine) as conn:
        row = conn.execute(
            select(
                cell_attachments.c.data, cell_attachments.c.type, cell_attachments.c.party
            ).where(cell_attachments.c.sha256 == sha256)
        ).first()
        if row is None:
            raise NotFound(NO_FILE)
        shared = readable(cell_threads.c.parties, who, cell.ledger.genesis)
        if row.party != who.party and shared is not None:
            found = conn.execute(
                select(
                    exists()
                    .where(cell_message_files.c.sha256 == sha256)
                    .where(cell_threads.c.id == cell_message_files.c.thread)
                    .where(shared)
                )
            ).scalar()
            if not found:
                raise NotFound(NO_FILE)
    return bytes(row.data), str(row.type)


# Another place a file may already be shared with a party (a proposal, say): given the file's
# sha256 and the party, is it there?
SharedElsewhere = Callable[[Connection, str, str], bool]


def check_attachment(
    conn: Connection, a: Attachment, party: str, elsewhere: SharedElsewhere | None = None
) -> None:
    """A file named in a signed body must have been uploaded, as described, and be the
    author's party's to share: its party uploaded it, or it is already in a thread of that
    party (or, for the caller, `elsewhere`). Otherwise a known hash would let anyone pull
    another party's file into their own thread or proposal. Run in the append's
    transaction, by the projectors."""
    row = conn.execute(
        select(cell_attachments.c.size, cell_attachments.c.type, cell_attachments.c.party).where(
            cell_attachments.c.sha256 == a.sha256
        )
    ).first()
    if row is not None and row.party != party:
        in_thread = conn.execute(
            select(cell_message_files.c.message)
            .join(cell_threads, cell_threads.c.id == cell_message_files.c.thread)
            .where(cell_message_files.c.sha256 == a.sha256, names(cell_threads.c.parties, party))
            .limit(1)
        ).first()
        if in_thread is None and not (elsewhere is not None and elsewhere(conn, a.sha256, party)):
            row = None
    if row is None:
        raise NotFound(N_("no uploaded file with sha256 %(sha)s"), sha=a.sha256)
    if row.size != a.size or row.type != a.type:
        raise Invalid(N_("attachment %(name)s: size or type differs from the upload"), name=a.name)

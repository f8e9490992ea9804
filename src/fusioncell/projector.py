"""The base of a capability's projector: the charter of the log it projects, read once.

Every capability validates its entries against the charter in force (entry 0's): the
projector keeps it, learns it from the genesis entry when the log is made or rebuilt, and
hands every other entry to `project`, inside the append's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from fusioncell.charter.schema import Charter
from fusioncell.errors import Invalid
from fusioncell.ledger.canonical import loads_canonical
from fusioncell.ledger.entry import Entry
from fusioncell.ledger.tables import log_bodies
from fusioncell.ledger.trust import GENESIS_KIND


class CharterProjector:
    def __init__(self) -> None:
        self._charter: Charter | None = None

    def charter(self, conn: Connection) -> Charter:
        if self._charter is None:
            raw = conn.execute(select(log_bodies.c.body).where(log_bodies.c.idx == 0)).scalar()
            if raw is None:
                raise Invalid("the log has no charter yet")
            self._charter = Charter.model_validate(loads_canonical(bytes(raw))["charter"])
        return self._charter

    def __call__(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        if entry.statement.kind == GENESIS_KIND:
            self._charter = Charter.model_validate(body["charter"])
            return
        self.project(conn, entry, body)

    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        """Check and project one entry (any kind: skip those of other capabilities)."""
        raise NotImplementedError

"""The Paris cell on a FrozenClock, with no deadline engine in the app: each test runs the
engine itself (`run_due`) or starts one, so what acts, and when, is the test's to say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fusioncell.cell import Cell
from fusioncell.deadlines import MISSED, NOTIFIED
from fusioncell.deadlines.projector import SUBJECT
from fusioncell.ledger.canonical import loads_canonical
from fusioncell.ledger.tables import log_bodies, log_entries
from fusioncell.settings import Settings
from tests.messaging.conftest import cell, member

__all__ = ["cell", "member", "steps"]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data=tmp_path / "data", database_url=db_url, deadline_engine=False)


def steps(cell: Cell) -> list[dict[str, Any]]:
    """The deadline steps in the engine's entries, in log order, one per item: the entry's
    kind (`entry`), visibility and author's party, and the item with its refs spread out
    (the item's `kind` is the deadline's, its `subject` the item's)."""
    with cell.engine.connect() as c:
        rows = c.execute(
            select(
                log_entries.c.kind,
                log_entries.c.subject,
                log_entries.c.visibility,
                log_entries.c.party,
                log_bodies.c.body,
            )
            .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
            .where(log_entries.c.kind.in_([MISSED, NOTIFIED]))
            .order_by(log_entries.c.idx)
        ).all()
    out = []
    for r in rows:
        assert r.subject == SUBJECT
        for item in loads_canonical(bytes(r.body))["items"]:
            refs = item.pop("refs")
            out.append(
                {
                    "entry": r.kind,
                    "visibility": r.visibility,
                    "author": r.party,
                    **item,
                    **refs,
                }
            )
    return out

"""Write a log as one party sees it: key.txt, checkpoint.txt, entries.jsonl."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fusioncell.ledger.store import MAX_ENTRIES_PER_READ, Ledger


def export_log(
    ledger: Ledger,
    out: Path,
    party: str | None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Export up to the latest checkpoint. `party` None: the operator's full view."""
    out.mkdir(parents=True, exist_ok=True)
    note = ledger.checkpoint()
    cp, _ = ledger.open_checkpoint(note)
    view = party if party is not None else ledger.genesis.parties[0]
    reader_sees_all = party is None
    tmp = out / "entries.jsonl.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        for start in range(0, cp.size, MAX_ENTRIES_PER_READ):
            end = min(start + MAX_ENTRIES_PER_READ, cp.size)
            rows = (
                ledger.all_entries(start, end)
                if reader_sees_all
                else ledger.entries(start, end, view)
            )
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            if progress:
                progress(end, cp.size)
    tmp.replace(out / "entries.jsonl")
    # The charter's log key: the verifier follows the log's rotations from it.
    (out / "key.txt").write_text(ledger.genesis.log_key.encode() + "\n", encoding="utf-8")
    (out / "checkpoint.txt").write_text(note, encoding="utf-8")
    return cp.size

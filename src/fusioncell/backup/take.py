"""Taking a backup of a live cell: every table read in ONE snapshot, and the data directory's
files.

The server may append meanwhile. PostgreSQL: one REPEATABLE READ, READ ONLY transaction,
so every table is read as of its first statement. SQLite (WAL mode, fusioncell.db): one
read transaction; the snapshot is fixed by its first read, and writers go on into the WAL
without waiting for it. Either way the log's head, its signed checkpoint and every
projection in the archive belong to the same moment.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, text
from sqlalchemy.engine import make_url

import fusioncell
from fusioncell.backup.archive import (
    FILES,
    FORMAT,
    FORMAT_VERSION,
    TEMP_PREFIX,
    ArchiveWriter,
    column_kind,
    encode_value,
    stored_columns,
)
from fusioncell.cell import log_key_path
from fusioncell.db import make_engine, target_metadata
from fusioncell.errors import Conflict, Invalid, NotFound
from fusioncell.ledger.canonical import b64e, loads_canonical
from fusioncell.ledger.note import open_checkpoint
from fusioncell.ledger.store import read_log_keys
from fusioncell.ledger.tables import log_bodies, log_checkpoints, log_cosignatures, log_head
from fusioncell.ledger.trust import Genesis, key_in_force
from fusioncell.settings import Settings

Progress = Callable[[str, int, int], None]
CHUNK = 1000


@dataclass
class BackupReport:
    out: Path
    origin: str
    size: int
    root: str
    dialect: str
    revision: str
    rows: dict[str, int]
    files: list[str]
    skipped: list[str] = field(default_factory=list)


def code_revision() -> str:
    """The newest migration this fusioncell knows."""
    from alembic.script import ScriptDirectory

    from fusioncell.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


# Kept by the database itself: a trigger on search_rows adds their terms to search_terms
# (migration 0020), so loading search_rows fills it again, and loading it too would
# repeat its rows.
BY_TRIGGER = frozenset({"search_terms"})


def tables() -> list[Table]:
    """Every table of the cell a backup holds, parents before children (the order a
    restore loads them)."""
    return [t for t in target_metadata().sorted_tables if t.name not in BY_TRIGGER]


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction that sees the whole database as of one moment."""
    with engine.connect() as plain:
        if plain.dialect.name == "postgresql":
            conn = plain.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.execute(text("SET TRANSACTION READ ONLY"))
                yield conn
        else:
            with plain.begin():  # BEGIN DEFERRED (db.py): the first read fixes the snapshot
                yield plain


def db_revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no such table: no schema at all
        return None


def _sqlite_file(settings: Settings) -> Path | None:
    u = make_url(settings.db_url())
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database).resolve()


def data_files(settings: Settings, out: Path) -> tuple[list[Path], list[str]]:
    """The data directory's files a restored cell needs: its keys, settings and charter
    (and whatever else lives there: the demo's accounts). Not the SQLite database (its rows
    are in the archive), lock files, machine-translation models (reinstalled from their
    .argosmodel files), nor the archive itself. Returns (files, skipped)."""
    data = settings.data.resolve()
    db = _sqlite_file(settings)
    not_these = {out.resolve()}
    if db is not None:
        not_these |= {Path(str(db) + s) for s in ("", "-wal", "-shm", "-journal")}
    models = (settings.translate_model_dir or settings.data / "argos-models").resolve()
    found: list[Path] = []
    skipped: list[str] = []
    for root, dirs, names in os.walk(data):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() != models)
        for name in sorted(names):
            p = here / name
            if p in not_these or name.endswith(".lock") or name.startswith(TEMP_PREFIX):
                continue
            st = p.lstat()
            if not stat.S_ISREG(st.st_mode):
                skipped.append(str(p.relative_to(data)))  # a link or a socket: not ours
                continue
            found.append(p)
    return found, skipped


def take_backup(settings: Settings, out: Path, *, progress: Progress | None = None) -> BackupReport:
    """Write a consistent archive of the cell in `settings.data` to `out` (atomically)."""
    data = settings.data
    if not log_key_path(data).exists():
        raise NotFound("%(d)s holds no cell", d=str(data))
    if out.is_dir():
        raise Invalid("%(o)s is a directory; give the archive's file name", o=str(out))
    engine = make_engine(settings.db_url(), pool_size=1, max_overflow=0)
    writer = ArchiveWriter(out)
    try:
        report = _write(settings, engine, writer, out, progress)
    except BaseException:
        writer.abort()
        raise
    finally:
        engine.dispose()
    return report


def _write(
    settings: Settings,
    engine: Engine,
    writer: ArchiveWriter,
    out: Path,
    progress: Progress | None,
) -> BackupReport:
    wanted = code_revision()
    with snapshot(engine) as conn:
        revision = db_revision(conn)
        if revision != wanted:
            raise Conflict(
                (
                    "the database is at schema revision %(r)s, this fusioncell's is %(w)s: "
                    "back up with the fusioncell the server runs"
                ),
                r=revision or "none",
                w=wanted,
            )
        head = conn.execute(select(log_head.c.size, log_head.c.root)).first()
        if head is None:
            raise NotFound("this cell has no log yet")
        size, root = int(head.size), bytes(head.root)
        genesis_body = conn.execute(select(log_bodies.c.body).where(log_bodies.c.idx == 0)).scalar()
        genesis = Genesis.from_body(loads_canonical(bytes(genesis_body or b"{}")))
        note = conn.execute(
            select(log_checkpoints.c.note).where(log_checkpoints.c.size == size)
        ).scalar()
        if note is None:
            raise Invalid("the log's head %(n)s has no checkpoint", n=size)
        cosigs = conn.execute(
            select(log_cosignatures.c.line)
            .where(log_cosignatures.c.size == size)
            .order_by(log_cosignatures.c.witness)
        ).scalars()
        checkpoint = str(note) + "".join(cosigs)
        cp, _ = open_checkpoint(checkpoint, key_in_force(read_log_keys(conn, genesis), size))
        if (cp.size, cp.root) != (size, root):
            raise Invalid("the log's head does not match its checkpoint")

        all_tables = tables()
        counts = {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in all_tables
        }
        total = sum(counts.values())
        done = 0
        manifest_tables: list[dict[str, Any]] = []
        for t in all_tables:
            cols = stored_columns(t)
            kinds = [column_kind(c) for c in cols]
            order = list(t.primary_key.columns) or cols
            n = 0
            with writer.member(f"tables/{t.name}.jsonl") as w:
                result = conn.execute(
                    select(*cols).order_by(*order).execution_options(yield_per=CHUNK)
                )
                for row in result:
                    w.row([encode_value(k, v) for k, v in zip(kinds, row, strict=True)])
                    n += 1
                    if progress and n % CHUNK == 0:
                        progress("tables", done + n, total)
            done += n
            # The count was read in the same snapshot: any difference is a bug, not a race.
            if n != counts[t.name]:
                raise Invalid("table %(t)s changed during its own snapshot", t=t.name)
            manifest_tables.append(
                {
                    "name": t.name,
                    "columns": [[c.name, k] for c, k in zip(cols, kinds, strict=True)],
                    "rows": n,
                }
            )
            if progress:
                progress("tables", done, total)
        # Inside the snapshot's transaction, so no file can be newer than the rows.
        files, skipped = data_files(settings, out)
        data = settings.data.resolve()
        manifest_files: list[dict[str, Any]] = []
        for p in files:
            rel = p.relative_to(data).as_posix()
            writer.add_bytes(FILES + rel, p.read_bytes())
            manifest_files.append({"path": rel, "mode": stat.S_IMODE(p.stat().st_mode)})
        dialect = conn.dialect.name
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "fusioncell_version": fusioncell.__version__,
        "created": datetime.now(UTC).isoformat(),
        "database": {"dialect": dialect, "revision": revision},
        "log": {"origin": cp.origin, "size": size, "root": b64e(root), "checkpoint": checkpoint},
        "tables": manifest_tables,
        "files": manifest_files,
        "derived": {
            "search_rows.tsv": "PostgreSQL's search vector, computed from terms, visibility, idx",
            "search_fts": "SQLite's FTS5 index over search_rows, filled by its triggers",
        },
    }
    writer.commit(manifest)
    return BackupReport(
        out,
        cp.origin,
        size,
        b64e(root),
        dialect,
        revision,
        {t["name"]: t["rows"] for t in manifest_tables},
        [f["path"] for f in manifest_files],
        skipped,
    )

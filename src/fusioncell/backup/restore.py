"""Restoring an archive into an empty data directory and an empty database.

Nothing is written until the whole archive has been read against its manifest's hashes.
Then the files go into the data directory, and ONE database transaction creates the
schema with the real migrations, loads every table (parents first), moves PostgreSQL's
sequences past the restored ids, and verifies (fusioncell.backup.verify): the log from
entry 0, its tree and checkpoints, the size and root the manifest recorded, and every
projection against a rebuild. Only then does it commit. Any failure rolls the database
back and removes the files, so a refused restore leaves the target as it found it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Integer, insert, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from fusioncell.backup.archive import Archive, ArchiveError, stored_columns
from fusioncell.backup.take import code_revision, tables
from fusioncell.backup.verify import (
    LogCheck,
    VerificationFailed,
    check_log,
    check_projections,
)
from fusioncell.cell import log_key_path
from fusioncell.db import WRITE, alembic_config, make_engine
from fusioncell.errors import Conflict, Invalid
from fusioncell.ledger.canonical import EncodingError, b64e
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.note import open_checkpoint
from fusioncell.settings import Settings

Progress = Callable[[str, int, int], None]
BATCH = 1000
SETTINGS_FILE = "settings.toml"


@dataclass
class RestoreReport:
    data: Path
    database: str  # the URL without its password
    origin: str
    size: int
    root: str
    source_dialect: str
    rows: dict[str, int]
    files: list[str]
    visible: int  # entries whose signatures were checked (all of them: the operator's view)
    checkpoints: int
    cosignatures: int
    nodes: int
    projections: int  # tables found equal to a rebuild
    cosigned_by: list[str] = field(default_factory=list)


def target_settings(arc: Archive, data: Path, database_url: str | None) -> Settings:
    """The settings `fusioncell serve --data DATA` will have once the archive's files are in
    place: its settings.toml, then FUSIONCELL_* variables (the database URL among them),
    unless `database_url` is given."""
    with tempfile.TemporaryDirectory(prefix="fusioncell-settings-") as tmp:
        for f in arc.files:
            if str(f.path) == SETTINGS_FILE:
                (Path(tmp) / SETTINGS_FILE).write_bytes(arc.file_bytes(f))
        try:
            s = Settings.for_data(Path(tmp))
        except Exception as exc:  # noqa: BLE001 - a settings file this version cannot read
            raise ArchiveError(
                "the archive's settings.toml is not valid here: %(e)s", e=str(exc)
            ) from None
    update: dict[str, Any] = {"data": data}
    if database_url is not None:
        update["database_url"] = database_url
    return s.model_copy(update=update)


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _check_empty_dir(data: Path) -> None:
    if data.exists():
        if not data.is_dir():
            raise Conflict("%(d)s exists and is not a directory", d=str(data))
        if any(data.iterdir()):
            raise Conflict(
                "%(d)s is not empty: a restore needs an empty or new data directory",
                d=str(data),
            )


def _check_empty_db(engine: Engine, shown: str) -> None:
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
    except OperationalError as exc:
        raise Invalid(
            "cannot reach the database %(u)s: %(e)s", u=shown, e=str(exc.orig or exc)
        ) from None
    if names:
        raise Conflict(
            "the database %(u)s already holds %(n)s tables: a restore needs an empty database",
            u=shown,
            n=len(names),
        )


def _write_files(arc: Archive, data: Path) -> None:
    for f in arc.files:
        path = data.joinpath(*f.path.parts)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(arc.file_bytes(f))
            os.fchmod(fh.fileno(), f.mode)


def _check_log_key(arc: Archive, data: Path) -> None:
    """The restored log key must be the one that signed the archive's checkpoint: the
    restored cell signs its next checkpoints with it, and witnesses pin it."""
    path = log_key_path(data)
    if not path.exists():
        raise VerificationFailed("the archive holds no log key (keys/log.key)")
    try:
        key = SigningKey.load(path)
        open_checkpoint(arc.log.checkpoint, key.verifier)
    except (EncodingError, ValueError) as exc:
        raise VerificationFailed(
            "the archive's log key did not sign its checkpoint: %(e)s", e=str(exc)
        ) from None


def _load(conn: Connection, arc: Archive, progress: Progress | None) -> dict[str, int]:
    from fusioncell.search.projector import PARTY_MARK, age_marks, insert_rows, tsvector_literal
    from fusioncell.search.tables import search_rows

    pg = conn.dialect.name == "postgresql"
    by_name = {t.name: t for t in arc.tables}
    ours = tables()
    if set(by_name) != {t.name for t in ours}:
        raise ArchiveError("the archive's tables are not this fusioncell's")
    total = sum(t.rows for t in arc.tables)
    done = 0
    counts: dict[str, int] = {}
    for table in ours:  # parents before children
        info = by_name[table.name]
        names = [c.name for c in stored_columns(table)]
        if [c for c, _ in info.columns] != names:
            raise ArchiveError("table %(t)s's columns are not this fusioncell's", t=table.name)
        batch: list[dict[str, Any]] = []

        def flush(batch: list[dict[str, Any]], table: Any = table) -> None:
            if not batch:
                return
            if table is search_rows:
                # The search vector is derived: computed as the search projector does.
                for r in batch:
                    parties = [p for p in r["visibility"].strip(",").split(",") if p]
                    marks = [*(PARTY_MARK.format(p) for p in parties), *age_marks(r["idx"])]
                    r["tsv_text"] = tsvector_literal(r["terms"], marks) if pg else None
                insert_rows(conn, batch)
            else:
                conn.execute(insert(table), batch)

        for values in arc.rows(info):
            batch.append(dict(zip(names, values, strict=True)))
            if len(batch) >= BATCH:
                flush(batch)
                done += len(batch)
                batch = []
                if progress:
                    progress("load", done, total)
        flush(batch)
        done += len(batch)
        counts[table.name] = info.rows
        if progress:
            progress("load", done, total)
    if pg:
        _reset_sequences(conn)
    return counts


def _reset_sequences(conn: Connection) -> None:
    """Ids given by a sequence were restored as they were: move each sequence past them, or
    the next insert would collide."""
    for t in tables():
        pk = list(t.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": pk[0].name}
        ).scalar()
        if seq is None:
            continue
        conn.execute(
            text(
                f'SELECT setval(CAST(:s AS regclass), COALESCE((SELECT MAX("{pk[0].name}") '  # noqa: S608 - our own table and column names
                f'FROM "{t.name}"), 0) + 1, false)'
            ),
            {"s": seq},
        )


def _same_as_manifest(log: LogCheck, arc: Archive) -> None:
    if (log.size, b64e(log.root)) != (arc.log.size, arc.log.root):
        raise VerificationFailed(
            "the restored log has size %(s)s, root %(r)s; the manifest says %(ms)s, %(mr)s",
            s=log.size,
            r=b64e(log.root),
            ms=arc.log.size,
            mr=arc.log.root,
        )


def _cleanup(data: Path, created_dir: bool, db_file: Path | None) -> None:
    """Undo a failed restore: the target was empty, so everything in it is ours."""
    if data.exists():
        for child in data.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        if created_dir:
            data.rmdir()
    if db_file is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(db_file) + suffix).unlink(missing_ok=True)


def restore(
    path: Path,
    data: Path,
    *,
    database_url: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> RestoreReport:
    """Restore the archive at `path` into the empty `data` and its (empty) database."""
    _check_empty_dir(data)  # the quick refusal first; checked again before writing
    with Archive.open(path) as arc:
        arc.check((lambda d, t: progress("check", d, t)) if progress else None)
        here = code_revision()
        if arc.revision != here:
            raise ArchiveError(
                (
                    "the archive is at schema revision %(r)s (fusioncell %(v)s), this "
                    "fusioncell's is %(h)s: restore it with the version that made it, "
                    "then upgrade"
                ),
                r=arc.revision,
                v=arc.version,
                h=here,
            )
        settings = target_settings(arc, data, database_url)
        url = settings.db_url()
        shown = make_url(url).render_as_string(hide_password=True)
        _check_empty_dir(data)
        created_dir = not data.exists()
        db_file = _sqlite_path(url)
        db_created = db_file is not None and not db_file.exists()
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            _check_empty_db(engine, shown)
            data.mkdir(parents=True, exist_ok=True, mode=0o700)
            if created_dir:
                data.chmod(0o700)  # it holds the keys (make_engine may have made it first)
            _write_files(arc, data)
            _check_log_key(arc, data)
            with engine.connect() as plain:
                conn = plain.execution_options(**WRITE)
                with conn.begin():
                    from alembic import command

                    # The real migrations, inside this transaction (env.py leaves an
                    # outer transaction to its owner): a failure leaves no schema behind.
                    command.upgrade(alembic_config(conn), "head")
                    counts = _load(conn, arc, progress)
                    log = check_log(conn, workers=workers, progress=progress)
                    _same_as_manifest(log, arc)
                    projections = check_projections(conn, progress)
        except BaseException:
            engine.dispose()
            _cleanup(data, created_dir, db_file if db_created else None)
            raise
        engine.dispose()
        return RestoreReport(
            data=data,
            database=shown,
            origin=log.origin,
            size=log.size,
            root=b64e(log.root),
            source_dialect=arc.dialect,
            rows=counts,
            files=[str(f.path) for f in arc.files],
            visible=log.visible,
            checkpoints=log.checkpoints,
            cosignatures=log.cosignatures,
            nodes=log.nodes,
            projections=projections,
            cosigned_by=log.cosigned_by,
        )


def check_backup(
    path: Path, *, workers: int | None = None, progress: Progress | None = None
) -> RestoreReport:
    """Everything a restore checks, into a throw-away SQLite database: nothing is kept."""
    with tempfile.TemporaryDirectory(prefix="fusioncell-check-") as tmp:
        return restore(
            path,
            Path(tmp) / "data",
            database_url=f"sqlite:///{Path(tmp) / 'check.db'}",
            workers=workers,
            progress=progress,
        )

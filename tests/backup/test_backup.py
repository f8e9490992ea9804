"""Backup and restore, end to end: a live cell backed up while it appends, restored into a
fresh database (same backend, and SQLite <-> PostgreSQL), compared row for row, verified,
served, and accepted by the witness that cosigned before the backup; damaged, forged and
misdirected restores refused with nothing written."""

from __future__ import annotations

import hashlib
import json
import stat
import threading
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Table, create_engine, inspect, select
from typer.testing import CliRunner

from fusioncell.app import create_app
from fusioncell.backup import restore, take_backup
from fusioncell.backup.archive import Archive, stored_columns
from fusioncell.backup.take import BY_TRIGGER
from fusioncell.cell import Cell, open_cell
from fusioncell.cli import app as cli_app
from fusioncell.client import LogClient
from fusioncell.db import make_engine, target_metadata
from fusioncell.demo import ensure_demo
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import post_as
from fusioncell.ledger import merkle
from fusioncell.ledger.canonical import canonical, loads_canonical
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.note import open_checkpoint
from fusioncell.ledger.tables import log_bodies, log_checkpoints, log_entries, log_nodes
from fusioncell.messaging import kinds
from fusioncell.settings import Settings
from fusioncell.witness import Witness
from tests.ledger.helpers import add_witness

runner = CliRunner()
ALL = ["IL", "SY", "US"]


def run(*args: str) -> tuple[int, str]:
    r = runner.invoke(cli_app, list(args))
    return r.exit_code, r.output


def _norm(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    if isinstance(v, memoryview):
        return bytes(v)
    return v


def db_rows(engine: Engine, table: Table, where: Any = None) -> list[tuple[Any, ...]]:
    """Every stored column of every row, in primary-key order, as plain Python values."""
    q = select(*stored_columns(table)).order_by(*table.primary_key.columns)
    if where is not None:
        q = q.where(where)
    with engine.connect() as c:
        return [tuple(_norm(v) for v in r) for r in c.execute(q)]


def log_prefix(engine: Engine, size: int) -> dict[str, list[tuple[Any, ...]]]:
    """The log's own tables as of `size` entries: what no later append changes."""
    covered = []
    with engine.connect() as c:
        for k in c.execute(select(log_nodes.c.key)).scalars():
            level, index = merkle.key_node(int(k))
            if (index + 1) << level <= size:
                covered.append(int(k))
    return {
        "log_entries": db_rows(engine, log_entries, log_entries.c.idx < size),
        "log_bodies": db_rows(engine, log_bodies, log_bodies.c.idx < size),
        "log_checkpoints": db_rows(engine, log_checkpoints, log_checkpoints.c.size <= size),
        "log_nodes": db_rows(engine, log_nodes, log_nodes.c.key.in_(covered)),
    }


def table_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return len(inspect(c).get_table_names())
    finally:
        engine.dispose()


class Appender(threading.Thread):
    """The server's work meanwhile: a member posts message after message until stopped."""

    def __init__(self, cell: Cell, key: SigningKey, member: str) -> None:
        super().__init__(daemon=True)
        self.cell = cell
        self.key = key
        self.author = Author(member[:2].upper(), member, key.key_id_hex)
        self.count = 0
        self.error: BaseException | None = None
        self._halt = threading.Event()
        self._cond = threading.Condition()

    def run(self) -> None:
        try:
            while not self._halt.is_set():
                post_as(
                    self.cell,
                    self.key,
                    self.author,
                    kinds.POSTED,
                    kinds.subject("cell-opening"),
                    ALL,
                    {
                        "thread": "cell-opening",
                        "urgency": "ROUTINE",
                        "text": f"live {self.count}",
                        "lang": "en",
                    },
                )
                with self._cond:
                    self.count += 1
                    self._cond.notify_all()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def wait_for(self, n: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.count >= n or self.error, timeout=120)
        assert self.error is None, self.error

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=60)
        assert self.error is None, self.error


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Paris demo (every workstream's content), seeded once on SQLite and backed up."""
    data = tmp_path_factory.mktemp("demo") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("FUSIONCELL_DATABASE_URL", raising=False)
        ensure_demo(data)  # SQLite in the data directory
        report = take_backup(Settings.for_data(data), data.parent / "demo.zip")
    assert report.dialect == "sqlite"
    return report.out


# ---- a live cell, backed up while it appends --------------------------------------------


def test_live_backup_restores_verifies_and_serves(
    db_url: str,
    demo_archive: Path,
    empty_db: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The live cell: the demo, on this backend (seeded once, on SQLite).
    data_a = tmp_path / "a"
    restore(demo_archive, data_a, database_url=db_url, workers=1)
    monkeypatch.setenv("FUSIONCELL_DATABASE_URL", db_url)
    demo = json.loads((data_a / "demo" / "accounts.json").read_text(encoding="utf-8"))
    cell_a = open_cell(Settings.for_data(data_a))
    state = tmp_path / "witness"
    archive = tmp_path / "backups" / "cell.zip"
    try:
        w_key, w_token = add_witness(cell_a, "SY", "witness.sy.example")
        with TestClient(create_app(cell_a)) as http_a:
            before = Witness(LogClient(http=http_a, token=w_token), w_key, state).step()
        assert before.cosigned

        appender = Appender(
            cell_a, SigningKey.load(data_a / "demo" / "us-supervisor.key"), "us-supervisor"
        )
        appender.start()
        appender.wait_for(2)
        waited: list[int] = []

        def progress(phase: str, done: int, total: int) -> None:
            # The snapshot is open and its first table written: let the server commit
            # more appends before the other tables (the log's among them) are read.
            if phase == "tables" and not waited:
                waited.append(appender.count)
                appender.wait_for(appender.count + 3)

        try:
            report = take_backup(Settings.for_data(data_a), archive, progress=progress)
            appender.wait_for(appender.count + 1)
        finally:
            appender.stop()
        assert waited  # the appends above happened with the snapshot open
        final = cell_a.ledger.size()
        # Appends committed during the backup are not in it: one snapshot.
        assert before.checkpoint.size < report.size < final
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        source_log = log_prefix(cell_a.engine, report.size)
    finally:
        cell_a.close()
    assert report.dialect == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    assert "keys/log.key" in report.files and "settings.toml" in report.files
    assert not any(f.startswith("fusioncell.db") or f.endswith(".lock") for f in report.files)

    # Restored by the command line into a fresh database on the same backend.
    url_b = empty_db(db_url)
    monkeypatch.setenv("FUSIONCELL_DATABASE_URL", url_b)
    data_b = tmp_path / "b"
    code, out = run("restore", str(archive), "--data", str(data_b), "--workers", "1")
    assert code == 0, out
    assert f"log size {report.size}, root {report.root}, as the manifest says" in out
    assert "projections equal a rebuild" in out and "cosigned at the head by" in out
    assert stat.S_IMODE((data_b / "keys" / "log.key").stat().st_mode) == 0o600

    # Every table, row for row, is the snapshot; the log is the source's up to its size.
    engine_b = make_engine(url_b)
    try:
        tables = target_metadata().tables
        with Archive.open(archive) as arc:
            arc.check()
            assert arc.log.size == report.size
            # every table but those the database keeps by trigger (take.BY_TRIGGER)
            assert len(arc.tables) == len(tables) - len(BY_TRIGGER)
            assert not BY_TRIGGER & {info.name for info in arc.tables}
            for info in arc.tables:
                assert db_rows(engine_b, tables[info.name]) == [tuple(r) for r in arc.rows(info)], (
                    info.name
                )
        assert log_prefix(engine_b, report.size) == source_log
        if engine_b.dialect.name == "postgresql":  # the vocabulary came back with its rows
            with engine_b.connect() as c:
                vocabulary = set(c.execute(select(tables["search_terms"].c.term)).scalars())
                rows = c.execute(select(tables["search_rows"].c.terms)).scalars()
                assert vocabulary == {t for r in rows for t in r.split()} != set()
        assert len(source_log["log_entries"]) == report.size
    finally:
        engine_b.dispose()

    cell_b = open_cell(Settings.for_data(data_b))
    try:
        assert cell_b.ledger.size() == report.size
        app_b = create_app(cell_b)
        with TestClient(app_b) as http_b:
            # The restored password hashes sign a member in (the demo has TOTP off).
            web = TestClient(app_b, base_url="https://testserver", follow_redirects=False)
            account = next(a for a in demo["accounts"] if a["member"] == "sy-liaison")
            web.get("/signin")
            r = web.post(
                "/signin",
                data={
                    "member": "sy-liaison",
                    "password": account["password"],
                    "csrf": web.cookies["fc_pre"],
                    "next": "/",
                },
            )
            assert r.status_code == 303 and r.headers["location"] == "/", r.text
            assert web.get("/").status_code == 200
            assert web.get("/api/v1/me").json()["member"] == "sy-liaison"

            # The witness that cosigned before the backup accepts the restored log: the
            # log proves its head consistent with what the witness saw, and goes on.
            witness = Witness(LogClient(http=http_b, token=w_token), w_key, state)
            again = witness.step()
            assert again.cosigned and again.checkpoint.size == report.size
            sy = SigningKey.load(data_b / "demo" / "sy-liaison.key")
            done = post_as(
                cell_b,
                sy,
                Author("SY", "sy-liaison", sy.key_id_hex),
                kinds.POSTED,
                kinds.subject("cell-opening"),
                ALL,
                {"thread": "cell-opening", "urgency": "ROUTINE", "text": "after", "lang": "en"},
            )
            assert done.index == report.size
            nxt = witness.step()
            assert nxt.cosigned and nxt.checkpoint.size == report.size + 1
            _, cosigs = open_checkpoint(cell_b.ledger.checkpoint(), cell_b.ledger.genesis.log_key)
            assert [s.name for s in cosigs] == ["witness.sy.example"]
    finally:
        cell_b.close()


# ---- SQLite -> PostgreSQL -> SQLite ----------------------------------------------------


def test_cross_database_round_trip(
    demo_archive: Path, empty_db: Callable[[str], str], tmp_path: Path
) -> None:
    with Archive.open(demo_archive) as za:
        size, root = za.log.size, za.log.root
    pg = empty_db("postgresql")
    on_pg = restore(demo_archive, tmp_path / "pg", database_url=pg, workers=1)
    assert (on_pg.source_dialect, on_pg.size, on_pg.root) == ("sqlite", size, root)
    assert on_pg.projections > 50  # search vectors computed on PostgreSQL, as a rebuild does
    b = take_backup(Settings(data=tmp_path / "pg", database_url=pg), tmp_path / "b.zip")
    assert b.dialect == "postgresql"

    sq = empty_db("sqlite")
    on_sqlite = restore(tmp_path / "b.zip", tmp_path / "sq", database_url=sq, workers=1)
    assert (on_sqlite.source_dialect, on_sqlite.size, on_sqlite.root) == ("postgresql", size, root)
    take_backup(Settings(data=tmp_path / "sq", database_url=sq), tmp_path / "c.zip")

    # Every table and file came back byte for byte after two crossings.
    with (
        Archive.open(demo_archive) as za,
        Archive.open(tmp_path / "b.zip") as zb,
        Archive.open(tmp_path / "c.zip") as zc,
    ):
        assert za._digests == zb._digests == zc._digests
        assert sum(t.rows for t in za.tables) > 1000


# ---- refusals ---------------------------------------------------------------------------


def rewrite(src: Path, dst: Path, edit: Callable[[str, bytes], bytes], *, rehash: bool) -> Path:
    """A copy of an archive with members edited; `rehash`: as a forger would, with the
    manifest's hashes made to match."""
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    with zipfile.ZipFile(dst, "w") as z:
        for name, data in members.items():
            new = edit(name, data)
            if rehash:
                manifest["members"][name] = {
                    "sha256": hashlib.sha256(new).hexdigest(),
                    "bytes": len(new),
                }
            z.writestr(name, new)
        z.writestr("manifest.json", json.dumps(manifest))
    return dst


def edit_row(table: str, pick: Callable[[list[Any]], bool], change: Callable[[list[Any]], None]):  # type: ignore[no-untyped-def]
    def edit(name: str, data: bytes) -> bytes:
        if name != f"tables/{table}.jsonl":
            return data
        rows = [json.loads(line) for line in data.splitlines()]
        hit = [r for r in rows if pick(r)]
        assert hit, table
        change(hit[-1])
        return b"".join(json.dumps(r).encode() + b"\n" for r in rows)

    return edit


def test_refused_archives_and_targets(
    cell: Cell,
    db_url: str,
    empty_db: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    do_add_member(cell, "SY", "sy-liaison", "liaison_officer")
    do_add_member(cell, "IL", "il-duty", "duty_officer")
    monkeypatch.setenv("FUSIONCELL_DATABASE_URL", db_url)
    code, out = run("backup", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.zip"))
    assert code == 2 and "holds no cell" in out
    archive = tmp_path / "backups" / "cell.zip"
    code, out = run("backup", "--data", str(cell.data), "--out", str(archive))
    assert code == 0 and "log size 3" in out, out
    code, out = run("backup", "check", str(archive), "--workers", "1")
    assert code == 0 and "OK" in out, out

    target = empty_db(db_url)
    monkeypatch.setenv("FUSIONCELL_DATABASE_URL", target)
    data = tmp_path / "restored"

    def refused(path: Path, code_wanted: int, message: str) -> None:
        code, out = run("restore", str(path), "--data", str(data), "--workers", "1")
        assert code == code_wanted and message in out, out
        assert not data.exists()  # nothing written...
        assert table_count(target) == 0  # ...anywhere

    # A changed byte: the member no longer matches its hash.
    def flip(name: str, b: bytes) -> bytes:
        return b.replace(b"sy-liaison", b"sy-liaisoN") if name.endswith("log_members.jsonl") else b

    damaged = rewrite(archive, tmp_path / "damaged.zip", flip, rehash=False)
    refused(damaged, 2, "tables/log_members.jsonl does not match its SHA-256")
    code, out = run("backup", "check", str(damaged), "--workers", "1")
    assert code == 1 and "FAILED" in out

    # A row dropped, hashes recomputed, the row count left: the manifest disagrees.
    def drop(name: str, b: bytes) -> bytes:
        return (
            b"".join(b.splitlines(keepends=True)[:-1]) if name.endswith("log_members.jsonl") else b
        )

    refused(rewrite(archive, tmp_path / "short.zip", drop, rehash=True), 2, "the manifest says")

    # A forger who re-hashes: an entry's body altered. The log does not verify.
    def body(r: list[Any]) -> None:
        import base64

        b = loads_canonical(base64.b64decode(r[1]))
        b["forged"] = True
        r[1] = base64.b64encode(canonical(b)).decode()

    forged = rewrite(
        archive,
        tmp_path / "forged.zip",
        edit_row("log_bodies", lambda r: r[0] == 2, body),
        rehash=True,
    )
    refused(forged, 1, "does not verify: entry 2: body does not match")
    code, out = run("backup", "check", str(forged), "--workers", "1")
    assert code == 1 and "FAILED" in out and "entry 2" in out

    # A forger who edits a projection: it is not what the log gives.
    def role(r: list[Any]) -> None:
        r[2] = "party_admin"

    promoted = rewrite(
        archive,
        tmp_path / "promoted.zip",
        edit_row("log_members", lambda r: r[0] == "il-duty", role),
        rehash=True,
    )
    refused(promoted, 1, "projections differ from a rebuild from the log: log_members")

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[:-200])
    refused(truncated, 2, "not a readable backup archive")

    # Targets that are not empty.
    data.mkdir()
    (data / "notes.txt").write_text("mine", encoding="utf-8")
    code, out = run("restore", str(archive), "--data", str(data))
    assert code == 2 and "is not empty" in out
    assert (data / "notes.txt").read_text() == "mine"
    (data / "notes.txt").unlink()
    data.rmdir()
    monkeypatch.setenv("FUSIONCELL_DATABASE_URL", db_url)  # the live cell's own database
    code, out = run("restore", str(archive), "--data", str(data))
    assert code == 2 and "already holds" in out and "a restore needs an empty database" in out
    assert not data.exists()

    # And the real thing restores; a second restore into it is refused.
    monkeypatch.setenv("FUSIONCELL_DATABASE_URL", target)
    code, out = run("restore", str(archive), "--data", str(data), "--workers", "1")
    assert code == 0 and "log size 3" in out, out
    code, out = run("restore", str(archive), "--data", str(tmp_path / "another"))
    assert code == 2 and "already holds" in out

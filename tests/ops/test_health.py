"""/healthz and /readyz: the process, and the database, schema and log behind it; a real
outage (the SQLite file moved away, the PostgreSQL schema renamed) makes /readyz 503 with
the failed check named, and /readyz recovers by itself when the database is back."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fusioncell.cell import Cell
from fusioncell.db import transaction
from fusioncell.ops.probe import CHECKS

ALL_OK = {"status": "ready", "checks": dict.fromkeys(CHECKS, "ok")}


def _no_detail(body: str) -> None:
    """A failed probe names its check and nothing else: no trace, path or SQL."""
    for word in ("Traceback", "sqlite", "psycopg", "SELECT", "/tmp", "Error"):
        assert word not in body, word


def test_healthz_is_up_without_a_database_and_readyz_checks_it(
    cell: Cell, http: TestClient, db_url: str
) -> None:
    h = http.get("/healthz")
    assert (h.status_code, h.json()) == (200, {"status": "ok"})
    assert len(h.headers["x-request-id"]) == 32
    r = http.get("/readyz")
    assert (r.status_code, r.json()) == (200, ALL_OK)
    # Neither asks who is calling: a stale session cookie changes nothing.
    http.cookies.set("fc_session", "stale")
    assert http.get("/readyz").status_code == 200
    http.cookies.clear()

    if db_url.startswith("sqlite"):
        # The database file is gone (moved away): open connections still hold it, but no
        # new one can open it, and the probe never creates an empty one in its place.
        db = Path(str(make_url(db_url).database))
        away = db.with_suffix(".away")
        os.replace(db, away)
        try:
            r = http.get("/readyz")
            assert not db.exists(), "the probe made a new database file"
            assert http.get("/healthz").status_code == 200
        finally:
            os.replace(away, db)
        assert r.json()["failed"] == "database"
    else:
        # The cell's schema is renamed away: the server answers, the cell's tables are gone.
        schema = parse_qs(urlsplit(db_url).query)["application_name"][0]
        admin = create_engine(db_url.split("?", maxsplit=1)[0], isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as c:
                c.execute(text(f'ALTER SCHEMA "{schema}" RENAME TO "{schema}_away"'))
            try:
                r = http.get("/readyz")
                assert http.get("/healthz").status_code == 200
            finally:
                with admin.connect() as c:
                    c.execute(text(f'ALTER SCHEMA "{schema}_away" RENAME TO "{schema}"'))
        finally:
            admin.dispose()
        assert r.json()["failed"] == "migrations"  # the first check that reads a table
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"
    assert r.headers["content-type"] == "application/json"
    _no_detail(r.text)
    # Back: ready again, with nothing restarted.
    r = http.get("/readyz")
    assert (r.status_code, r.json()) == (200, ALL_OK)


def test_readyz_refuses_a_schema_this_program_does_not_know(cell: Cell, http: TestClient) -> None:
    """A database migrated by another version of the program (older or newer) is not ready."""
    with transaction(cell.engine) as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0000'"))
    try:
        r = http.get("/readyz")
    finally:
        with transaction(cell.engine) as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert r.status_code == 503
    assert r.json() == {
        "status": "unavailable",
        "failed": "migrations",
        "checks": {"database": "ok", "migrations": "failed", "log": "not checked"},
    }
    assert http.get("/readyz").status_code == 200

"""A cell on disk: its data directory, database, log key and ledger.

DIR/fusioncell.db        SQLite (unless FUSIONCELL_DATABASE_URL names another database)
DIR/charter.toml         the charter as adopted (a copy; the log's entry 0 is the record)
DIR/keys/log.key         the log's private key in force: signs checkpoints and system entries
DIR/keys/log.key.ID.old  a log key retired by `fusioncell log rotate-key` (ID: its key id)
DIR/keys/log.key.ID.new  a new log key while `log rotate-key` switches to it
DIR/keys/root-XX.key     each party's root key, made by `init`; move them offline
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect

from fusioncell.authz.policy import LogPolicy
from fusioncell.charter.schema import Charter, parse_charter
from fusioncell.clock import Clock, SystemClock
from fusioncell.db import make_engine, migrate
from fusioncell.errors import Conflict, Invalid, NotFound
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.store import Ledger, Projector
from fusioncell.settings import Settings


def log_key_path(data: Path) -> Path:
    return data / "keys" / "log.key"


def log_key_file(data: Path, key_id: str, state: str) -> Path:
    """Where a retired ("old") or incoming ("new") log key is kept."""
    return data / "keys" / f"log.key.{key_id}.{state}"


def find_log_key(data: Path, key_id: str) -> SigningKey | None:
    """The private log key with this key id (8 hex digits) in DIR/keys, if it is there.
    Server processes look the key in force up here after another process rotated it."""
    for path in (log_key_path(data), *(log_key_file(data, key_id, s) for s in ("new", "old"))):
        try:
            key = SigningKey.load(path)
        except FileNotFoundError:
            continue
        if key.key_id_hex == key_id:
            return key
    return None


def root_key_path(data: Path, party: str) -> Path:
    return data / "keys" / f"root-{party}.key"


def root_key_name(party: str) -> str:
    return f"{party}/root"


@dataclass
class Cell:
    settings: Settings
    engine: Engine
    ledger: Ledger
    clock: Clock
    _charter: Charter | None = field(default=None, repr=False)

    @property
    def data(self) -> Path:
        return self.settings.data

    @property
    def charter(self) -> Charter:
        """The charter as adopted in entry 0: the log, not the file, is the record."""
        if self._charter is None:
            _, body = self.ledger.entry(0, self.ledger.genesis.parties[0])
            self._charter = Charter.model_validate(body["charter"])
        return self._charter

    def root_key(self, party: str) -> SigningKey:
        path = root_key_path(self.data, party)
        if not path.exists():
            raise NotFound(f"no root key for {party} at {path} (it may have been moved offline)")
        return SigningKey.load(path)

    def close(self) -> None:
        self.ledger.close()
        self.engine.dispose()


def open_cell(
    settings: Settings,
    *,
    clock: Clock | None = None,
    projectors: list[Projector] | None = None,
    engine: Engine | None = None,
) -> Cell:
    data = settings.data
    key_path = log_key_path(data)
    if not key_path.exists():
        raise NotFound(f"{data} holds no cell: run `fusioncell init --data {data}` first")
    engine = engine or make_engine(settings.db_url())
    migrate(engine)
    clock = clock or SystemClock()
    if projectors is None:
        # Imported here: the projectors' packages import this module.
        from fusioncell.projections import default_projectors

        projectors = default_projectors()
    ledger = Ledger(
        engine,
        SigningKey.load(key_path),
        clock=clock,
        policy=LogPolicy(),
        projectors=projectors,
        key_lookup=partial(find_log_key, data),
    )
    return Cell(settings, engine, ledger, clock)


def genesis_body(
    charter: Charter, log_key: SigningKey, roots: dict[str, SigningKey]
) -> dict[str, Any]:
    return {
        "charter": charter.to_json(),
        "keys": {
            "log": log_key.verifier.encode(),
            "roots": {p: k.verifier.encode() for p, k in sorted(roots.items())},
        },
    }


def init_cell(
    charter_text: str,
    settings: Settings,
    *,
    source: str = "<charter>",
    clock: Clock | None = None,
    engine: Engine | None = None,
) -> Cell:
    """Create a cell: keys for the log and each party's root, and entry 0."""
    charter = parse_charter(charter_text, source)
    data = settings.data
    if log_key_path(data).exists():
        raise Conflict(f"{data} already holds a cell")
    engine = engine or make_engine(settings.db_url())
    if "log_head" in inspect(engine).get_table_names():
        from sqlalchemy import text

        with engine.connect() as conn:
            if conn.execute(text("SELECT COUNT(*) FROM log_head")).scalar():
                raise Conflict("that database already holds a cell's log")
    data.mkdir(parents=True, exist_ok=True)
    log_key = SigningKey.generate(charter.mechanism.origin)
    roots = {p.code: SigningKey.generate(root_key_name(p.code)) for p in charter.parties}
    migrate(engine)
    # Keys reach the disk before the log names them, so a crash leaves no orphan log.
    for party, key in roots.items():
        key.save(root_key_path(data, party))
    log_key.save(log_key_path(data))
    (data / "charter.toml").write_text(charter_text, encoding="utf-8")
    cell = open_cell(settings, clock=clock, engine=engine)
    try:
        cell.ledger.create(genesis_body(charter, log_key, roots))
    except Exception:
        log_key_path(data).unlink(missing_ok=True)
        raise
    return cell


def check_party(cell: Cell, party: str) -> str:
    if party not in cell.ledger.genesis.parties:
        raise Invalid(
            f"unknown party {party!r}; this cell has {', '.join(cell.ledger.genesis.parties)}"
        )
    return party

"""Rotating the log key and a party's root key (docs/log.md, "Rotating keys").

Both rotations are entries of the log, signed by the key they retire, so every verifier
learns the new key from the log it already trusts. The log key's files in DATA/keys move
only after the rotation is committed, and a server process finds the key in force by its
key id (fusioncell.cell.find_log_key), so several processes switch without a restart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fusioncell.cell import (
    Cell,
    check_party,
    find_log_key,
    log_key_file,
    log_key_path,
    root_key_path,
)
from fusioncell.errors import N_, Conflict, Invalid
from fusioncell.identity.devices import post_as
from fusioncell.ledger.entry import ROOT_MEMBER, Author
from fusioncell.ledger.keys import ALG_ED25519, SigningKey, VerifierKey
from fusioncell.ledger.store import Appended
from fusioncell.ledger.trust import LOG_KEY_ROTATED, LOG_KEY_SUBJECT, ROOT_ROTATED


@dataclass(frozen=True, slots=True)
class Rotated:
    entry: Appended
    old: VerifierKey
    new: VerifierKey


def _body(key: VerifierKey, reason: str | None) -> dict[str, object]:
    body: dict[str, object] = {"key": key.encode()}
    if reason:
        body["reason"] = reason
    return body


def _save(key: SigningKey, path: Path) -> None:
    """Write a key file whole or not at all: other processes may read it at any moment."""
    tmp = path.with_name(f".{path.name}.tmp")
    key.save(tmp)
    os.replace(tmp, path)


def rotate_root_key(
    cell: Cell, party: str, old: SigningKey, new: SigningKey, reason: str | None = None
) -> Rotated:
    """Append `party.root.rotated`, signed by the party's root key in force (`old`).

    If DATA/keys/root-PARTY.key held the old root key (the layout `init` leaves), the new
    key takes its place there, so that `key register` and the others keep working."""
    check_party(cell, party)
    name = f"{party}/{ROOT_MEMBER}"
    if new.alg != ALG_ED25519 or new.name != name:
        raise Invalid(N_("the new root key must be an Ed25519 key named %(name)s"), name=name)
    body = {"party": party, **_body(new.verifier, reason)}
    author = Author(party, ROOT_MEMBER, old.key_id_hex)
    parties = list(cell.ledger.genesis.parties)
    done = post_as(cell, old, author, ROOT_ROTATED, name, parties, body)
    kept = root_key_path(cell.data, party)
    if kept.exists() and SigningKey.load(kept).verifier == old.verifier:
        _save(new, kept)
    return Rotated(done, old.verifier, new.verifier)


def rotate_log_key(cell: Cell, reason: str | None = None) -> Rotated:
    """Make a new log key, append `log.key.rotated` signed by the key in force, then switch
    DATA/keys/log.key to the new key, keeping the old one as log.key.ID.old."""
    data, ledger = cell.data, cell.ledger
    current = ledger.log_keys()[-1][1]
    finish_switch(data, current)
    old = find_log_key(data, current.key_id_hex)
    if old is None:
        raise Conflict(
            N_("the log key in force %(id)s is not in %(dir)s"),
            id=current.key_id_hex,
            dir=str(data / "keys"),
        )
    new = SigningKey.generate(ledger.origin)
    incoming = log_key_file(data, new.key_id_hex, "new")
    # On disk before the log names it: every process must find the key in force.
    _save(new, incoming)
    try:
        done = ledger.append_system(
            LOG_KEY_ROTATED,
            LOG_KEY_SUBJECT,
            list(ledger.genesis.parties),
            _body(new.verifier, reason),
            key=old,
        )
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    _switch(data, old, new)
    return Rotated(done, old.verifier, new.verifier)


def _switch(data: Path, old: SigningKey, new: SigningKey) -> None:
    # The old key is copied before log.key is replaced: at every moment each key is in
    # one of the files find_log_key reads.
    _save(old, log_key_file(data, old.key_id_hex, "old"))
    os.replace(log_key_file(data, new.key_id_hex, "new"), log_key_path(data))


def finish_switch(data: Path, in_force: VerifierKey) -> bool:
    """Finish a rotation interrupted between its commit and the switch of files."""
    incoming = log_key_file(data, in_force.key_id_hex, "new")
    if not incoming.exists():
        return False
    _switch(data, SigningKey.load(log_key_path(data)), SigningKey.load(incoming))
    return True

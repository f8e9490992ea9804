"""Binding keys to members and witnesses in the log, signed by the party's root key.

Used by the command line on the cell's own machine, where `init` left the root keys (a
party that moved its root key offline signs with it there and posts through the API).
"""

from __future__ import annotations

from typing import Any

from fusioncell.cell import Cell, check_party
from fusioncell.clock import rfc3339
from fusioncell.errors import Invalid
from fusioncell.ledger.canonical import EncodingError, b64e
from fusioncell.ledger.entry import ROOT_MEMBER, Author, build_statement, parse_submission
from fusioncell.ledger.keys import ALG_COSIGNATURE_V1, ALG_ED25519, SigningKey, VerifierKey
from fusioncell.ledger.store import Appended
from fusioncell.ledger.trust import (
    KEY_REGISTERED,
    KEY_REVOKED,
    WITNESS_REGISTERED,
    WITNESS_REVOKED,
)


def post_as(
    cell: Cell,
    key: SigningKey,
    author: Author,
    kind: str,
    subject: str,
    visibility: list[str],
    body: dict[str, Any],
) -> Appended:
    """Sign locally with `key` and append directly (no HTTP)."""
    raw, body = build_statement(
        origin=cell.ledger.origin,
        kind=kind,
        subject=subject,
        author=author,
        visibility=visibility,
        body=body,
        client_time=rfc3339(cell.clock.now()),
    )
    return cell.ledger.submit(parse_submission(b64e(raw), b64e(key.sign(raw)), body))


def _as_root(cell: Cell, party: str, kind: str, subject: str, body: dict[str, Any]) -> Appended:
    check_party(cell, party)
    root = cell.root_key(party)
    author = Author(party, ROOT_MEMBER, root.key_id_hex)
    return post_as(cell, root, author, kind, subject, list(cell.ledger.genesis.parties), body)


def parse_vkey(text: str, alg: int) -> VerifierKey:
    try:
        vk = VerifierKey.parse(text)
    except EncodingError as exc:
        raise Invalid(f"verifier key: {exc}") from exc
    if vk.alg != alg:
        raise Invalid(f"verifier key must have type 0x{alg:02x}")
    return vk


def register_member_key(
    cell: Cell, party: str, member: str, vkey: str, *, admin: bool = False
) -> Appended:
    parse_vkey(vkey, ALG_ED25519)
    body = {"party": party, "member": member, "key": vkey, "admin": admin}
    return _as_root(cell, party, KEY_REGISTERED, f"{party}/{member}", body)


def revoke_member_key(cell: Cell, party: str, member: str, key_id: str) -> Appended:
    body = {"party": party, "member": member, "key": key_id}
    return _as_root(cell, party, KEY_REVOKED, f"{party}/{member}", body)


def register_witness_key(cell: Cell, party: str, vkey: str) -> Appended:
    vk = parse_vkey(vkey, ALG_COSIGNATURE_V1)
    return _as_root(cell, party, WITNESS_REGISTERED, vk.name, {"party": party, "key": vkey})


def new_member_key(party: str, member: str, label: str = "device") -> SigningKey:
    return SigningKey.generate(f"{party}/{member}/{label}")


def revoke_witness_key(cell: Cell, party: str, name: str) -> Appended:
    return _as_root(cell, party, WITNESS_REVOKED, name, {"party": party, "witness": name})

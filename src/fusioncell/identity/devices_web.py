"""Devices of members who use the browser: each first sign-in on a device makes a
non-extractable Ed25519 key there (WebCrypto); its public half waits here until a party
admin registers it in the log, signing from their own device (the demo registers it at
once with the party's root key, and says so)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.db import reading, transaction
from fusioncell.errors import N_, Conflict, Invalid, NotFound
from fusioncell.identity.accounts import get_member
from fusioncell.identity.devices import register_member_key
from fusioncell.identity.tables import device_requests
from fusioncell.ledger.canonical import EncodingError, b64d
from fusioncell.ledger.entry import Entry
from fusioncell.ledger.keys import VerifierKey
from fusioncell.ledger.tables import log_keys, log_members
from fusioncell.ledger.trust import KEY_REGISTERED

MAX_PENDING = 5  # per member: a stolen session cannot flood the admins


@dataclass(frozen=True, slots=True)
class Device:
    name: str
    key_id: str
    label: str
    status: str  # "registered", "revoked", "pending"
    registered: int | None
    request_id: str | None


def request_device(
    cell: Cell, party: str, member: str, public_key_b64: str, label: str
) -> dict[str, Any]:
    try:
        public = b64d(public_key_b64, length=32, what="public key")
    except EncodingError as exc:
        raise Invalid(str(exc)) from exc
    label = " ".join(str(label).split())[:100] or "browser"
    rid = secrets.token_hex(4)
    vk = VerifierKey(f"{party}/{member}/web-{rid}", public)
    with transaction(cell.engine) as conn:
        pending = conn.execute(
            select(device_requests.c.id).where(
                device_requests.c.member == member,
                device_requests.c.registered_index.is_(None),
                device_requests.c.rejected_at.is_(None),
            )
        ).all()
        if len(pending) >= MAX_PENDING:
            raise Conflict(N_("too many devices wait for approval; ask your party admin"))
        conn.execute(
            insert(device_requests).values(
                id=rid,
                member=member,
                party=party,
                vkey=vk.encode(),
                label=label,
                created_at=cell.clock.now(),
            )
        )
    status, admin = "pending", False
    if cell.settings.demo_auto_approve:
        # A party admin's device key is an admin key, or it could not approve others' devices.
        admin = get_member(cell.engine, member).role is Role.PARTY_ADMIN
        register_member_key(cell, party, member, vk.encode(), admin=admin)
        status = "registered"
    return {
        "id": rid,
        "name": vk.name,
        "vkey": vk.encode(),
        "key_id": vk.key_id_hex,
        "status": status,
        "auto_approved": cell.settings.demo_auto_approve,
        "admin": admin,
    }


def project_device(conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
    """When a key registration names a waiting device, that device is approved."""
    if entry.statement.kind == KEY_REGISTERED:
        conn.execute(
            update(device_requests)
            .where(device_requests.c.vkey == body["key"])
            .values(registered_index=entry.index)
        )


def member_devices(engine: Engine, party: str, member: str) -> list[Device]:
    with reading(engine) as conn:
        keys = conn.execute(
            select(log_keys)
            .where(log_keys.c.party == party, log_keys.c.member == member)
            .order_by(log_keys.c.registered)
        ).all()
        reqs = conn.execute(select(device_requests).where(device_requests.c.member == member)).all()
    labels = {r.vkey: r for r in reqs}
    out = []
    for k in keys:
        req = labels.get(k.vkey)
        out.append(
            Device(
                VerifierKey.parse(k.vkey).name,
                k.key_id,
                req.label if req is not None else "",
                "revoked" if k.revoked is not None else "registered",
                int(k.registered),
                req.id if req is not None else None,
            )
        )
    for r in reqs:
        if r.registered_index is None and r.rejected_at is None:
            vk = VerifierKey.parse(r.vkey)
            out.append(Device(vk.name, vk.key_id_hex, r.label, "pending", None, r.id))
    return out


def pending_for_party(engine: Engine, party: str) -> list[dict[str, Any]]:
    """Waiting devices of a party, with their member's role (a party admin's device is
    registered as an admin key, so that it may approve others in turn)."""
    with reading(engine) as conn:
        rows = conn.execute(
            select(device_requests, log_members.c.role)
            .join(log_members, log_members.c.member == device_requests.c.member)
            .where(
                device_requests.c.party == party,
                device_requests.c.registered_index.is_(None),
                device_requests.c.rejected_at.is_(None),
            )
            .order_by(device_requests.c.created_at)
        ).all()
    return [
        {
            "id": r.id,
            "member": r.member,
            "label": r.label,
            "vkey": r.vkey,
            "admin": r.role == "party_admin",
            "created_at": r.created_at,
        }
        for r in rows
    ]


def reject_device(cell: Cell, party: str, rid: str) -> None:
    with transaction(cell.engine) as conn:
        done = conn.execute(
            update(device_requests)
            .where(
                device_requests.c.id == rid,
                device_requests.c.party == party,
                device_requests.c.registered_index.is_(None),
            )
            .values(rejected_at=cell.clock.now())
        )
    if done.rowcount != 1:
        raise NotFound(N_("no such device request"))

"""The JSON API (/api/v1): what the pages show, for programs. OpenAPI at /api/openapi.json."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from fusioncell.api.deps import CellDep, current_session, require
from fusioncell.api.limits import MAX_INT
from fusioncell.authz import Permission, Principal
from fusioncell.entries import latest_entries
from fusioncell.errors import Invalid
from fusioncell.identity.accounts import list_members
from fusioncell.identity.devices_web import (
    member_devices,
    pending_for_party,
    reject_device,
    request_device,
)
from fusioncell.identity.sessions import list_sessions, revoke_session

router = APIRouter(prefix="/api/v1", tags=["api"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
Directory = Annotated[Principal, require(Permission.MEMBER_READ)]
Self = Annotated[Principal, require(Permission.PROFILE_MANAGE)]
Approver = Annotated[Principal, require(Permission.DEVICE_APPROVE)]


@router.get("/me")
def me(cell: CellDep, who: Self) -> dict[str, Any]:
    return {
        "party": who.party,
        "member": who.member,
        "role": who.role.value,
        "origin": cell.ledger.origin,
        "parties": list(cell.ledger.genesis.parties),
    }


@router.get("/cell")
def cell_info(cell: CellDep, _: Reader) -> dict[str, Any]:
    c = cell.charter
    return {
        "origin": cell.ledger.origin,
        "name": c.mechanism.name,
        "languages": c.mechanism.languages,
        "parties": [p.model_dump(mode="json") for p in c.parties],
        "workstreams": [w.model_dump(mode="json") for w in c.workstreams],
        "size": cell.ledger.size(),
    }


@router.get("/entries")
def entries(
    cell: CellDep,
    who: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> dict[str, Any]:
    """The newest entries the caller's party may read, newest first (page with `before`)."""
    rows = latest_entries(cell, who, limit, before)
    return {"entries": rows, "next_before": rows[-1]["index"] if len(rows) == limit else None}


@router.get("/members")
def members(
    cell: CellDep, _: Directory, party: Annotated[str | None, Query(max_length=8)] = None
) -> dict[str, Any]:
    if party is not None and party not in cell.ledger.genesis.parties:
        raise Invalid(f"unknown party {party!r}")
    return {
        "members": [
            {"member": m.member, "party": m.party, "role": m.role.value, "active": m.active}
            for m in list_members(cell.engine, party)
        ]
    }


@router.get("/sessions")
def sessions(request: Request, cell: CellDep, who: Self) -> dict[str, Any]:
    cur = current_session(request)
    return {
        "sessions": [
            {
                "id": s.id,
                "created_at": s.created_at,
                "last_seen": s.last_seen,
                "user_agent": s.user_agent,
                "ip": s.ip,
                "current": cur is not None and cur.id == s.id,
            }
            for s in list_sessions(cell.engine, who.member, cell.clock.now())
        ]
    }


@router.delete("/sessions/{sid}", status_code=204)
def end_session(cell: CellDep, who: Self, sid: str) -> None:
    revoke_session(cell.engine, who.member, sid, cell.clock.now())


class DeviceIn(BaseModel):
    public_key: str = Field(max_length=64, description="base64 of the raw 32-byte Ed25519 key")
    label: str = Field(default="browser", max_length=100)


@router.get("/devices")
def devices(cell: CellDep, who: Self) -> dict[str, Any]:
    return {"devices": [asdict(d) for d in member_devices(cell.engine, who.party, who.member)]}


@router.post("/devices", status_code=201)
def add_device(cell: CellDep, who: Self, device: DeviceIn) -> dict[str, Any]:
    """A browser's new key, to be registered in the log by a party admin."""
    return request_device(cell, who.party, who.member, device.public_key, device.label)


@router.get("/devices/pending")
def pending(cell: CellDep, who: Approver) -> dict[str, Any]:
    return {"pending": pending_for_party(cell.engine, who.party)}


@router.post("/devices/{rid}/reject", status_code=204)
def reject(cell: CellDep, who: Approver, rid: str) -> None:
    reject_device(cell, who.party, rid)

"""A party admin's pages: devices of the party's members waiting for approval."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.identity.devices_web import pending_for_party
from fusioncell.web.render import render

router = APIRouter(include_in_schema=False)

Approver = Annotated[Principal, require(Permission.DEVICE_APPROVE)]


@router.get("/admin/devices")
def devices(request: Request, cell: CellDep, who: Approver) -> Response:
    return render(
        request,
        "admin_devices.html",
        pending=pending_for_party(cell.engine, who.party),
    )

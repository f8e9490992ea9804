"""Request dependencies: the cell, and the principal a route's permission requires."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request

from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.errors import Forbidden, Unauthenticated
from fusioncell.identity.tokens import principal_for_token


def get_cell(request: Request) -> Cell:
    cell: Cell = request.app.state.cell
    return cell


CellDep = Annotated[Cell, Depends(get_cell)]


class Requires:
    """A route's permission. Every route depends on exactly one (a test walks them all)."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(
        self, request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> Principal:
        if not authorization:
            raise Unauthenticated("sign in, or send Authorization: Bearer TOKEN")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("Authorization must be 'Bearer TOKEN'")
        principal = principal_for_token(request.app.state.cell.engine, token.strip())
        if not principal.can(self.permission):
            raise Forbidden(f"your role may not {self.permission.value}")
        return principal


def require(permission: Permission) -> Any:
    return Depends(Requires(permission))

"""The one read filter: a party sees the entries whose visibility names it, or everything
where the charter says it sees all. Decided when each entry was written, stored with it.

The same rule reads every table that keeps a party list in the log's form (",IL,US,"):
a thread's parties are exactly its entries' visibility."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select

from fusioncell.authz.principal import Principal
from fusioncell.ledger.tables import log_entries
from fusioncell.ledger.trust import Genesis


def names(column: ColumnElement[Any], party: str) -> ColumnElement[bool]:
    """Rows whose party-list column names `party`."""
    return column.like(f"%,{party},%")


def readable(
    column: ColumnElement[Any], principal: Principal, genesis: Genesis
) -> ColumnElement[bool] | None:
    """The condition on a party-list column for what `principal` may read; None: all."""
    if principal.party in genesis.sees_all:
        return None
    return names(column, principal.party)


def where_readable(
    query: Select[Any], column: ColumnElement[Any], principal: Principal, genesis: Genesis
) -> Select[Any]:
    clause = readable(column, principal, genesis)
    return query if clause is None else query.where(clause)


def visible(query: Select[Any], principal: Principal, genesis: Genesis) -> Select[Any]:
    return where_readable(query, log_entries.c.visibility, principal, genesis)

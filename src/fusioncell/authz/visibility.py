"""The one read filter: a party sees the entries whose visibility names it, or everything
where the charter says it sees all. Decided when each entry was written, stored with it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from fusioncell.authz.principal import Principal
from fusioncell.ledger.tables import log_entries
from fusioncell.ledger.trust import Genesis


def visible(query: Select[Any], principal: Principal, genesis: Genesis) -> Select[Any]:
    if principal.party in genesis.sees_all:
        return query
    return query.where(log_entries.c.visibility.like(f"%,{principal.party},%"))

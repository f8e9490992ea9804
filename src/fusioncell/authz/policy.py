"""What an author may write to the log. The ledger asks through `check_append` alone."""

from __future__ import annotations

from fusioncell.authz.principal import Principal
from fusioncell.errors import Forbidden
from fusioncell.ledger.entry import ROOT_MEMBER, Statement
from fusioncell.ledger.trust import GENESIS_KIND, TRUST_KINDS, Genesis

# Kinds only the program itself writes (deadlines, escalations, the charter).
SYSTEM_PREFIXES = ("charter.", "system.", "log.")


class LogPolicy:
    """Default write policy of the log.

    - the author's own party can always read what it writes, so it must be in visibility
      (a party that sees everything may leave itself out);
    - system kinds are the program's; trust-chain kinds are visible to every party (the
      ledger's trust rules check the signer).
    """

    def check_append(self, statement: Statement, genesis: Genesis) -> None:
        kind, party = statement.kind, statement.author.party
        if kind == GENESIS_KIND or kind.startswith(SYSTEM_PREFIXES):
            raise Forbidden(f"{kind} entries are written by the cell itself")
        if party not in statement.visibility and party not in genesis.sees_all:
            raise Forbidden(f"visibility must include the author's party {party}")
        if statement.author.member == ROOT_MEMBER and kind not in TRUST_KINDS:
            raise Forbidden("a party's root key only registers and revokes keys")


def check_author(principal: Principal, statement: Statement) -> None:
    """A caller posts statements of its own member id (admins: also their party's root)."""
    a = statement.author
    if a.party != principal.party:
        raise Forbidden(f"you post for party {principal.party}, not {a.party}")
    if a.member == principal.member:
        return
    if a.member == ROOT_MEMBER and principal.role == "party_admin":
        return
    raise Forbidden(f"you are {principal.member}; this statement is by {a.member}")

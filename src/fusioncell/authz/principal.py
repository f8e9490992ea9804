"""Who is asking: a member of a party with one role, or a party's witness."""

from __future__ import annotations

from dataclasses import dataclass, field

from fusioncell.authz.permissions import ROLE_PERMISSIONS, Permission, Role


@dataclass(frozen=True, slots=True)
class Principal:
    party: str
    member: str  # a member id, or a witness's key name
    role: Role
    # The role's permissions under this cell's charter (None: the defaults).
    permissions: frozenset[Permission] | None = field(default=None, compare=False)

    def can(self, permission: Permission) -> bool:
        if permission is Permission.PUBLIC:
            return True
        granted = self.permissions if self.permissions is not None else ROLE_PERMISSIONS[self.role]
        return permission in granted

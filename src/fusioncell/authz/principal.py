"""Who is asking: a member of a party with one role, or a party's witness."""

from __future__ import annotations

from dataclasses import dataclass

from fusioncell.authz.permissions import ROLE_PERMISSIONS, Permission, Role


@dataclass(frozen=True, slots=True)
class Principal:
    party: str
    member: str  # a member id, or a witness's key name
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission is Permission.PUBLIC or permission in ROLE_PERMISSIONS[self.role]

"""One place decides who may see and do what."""

from fusioncell.authz.permissions import ROLE_PERMISSIONS, Permission, Role
from fusioncell.authz.principal import Principal

__all__ = ["ROLE_PERMISSIONS", "Permission", "Principal", "Role"]

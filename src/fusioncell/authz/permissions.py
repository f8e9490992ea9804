"""Permissions as `<resource>:<action>`; every route declares exactly one."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    LOG_READ = "log:read"
    LOG_APPEND = "log:append"
    LOG_COSIGN = "log:cosign"
    PUBLIC = "public:read"  # pages anyone may see (the sign-in page, health)


class Role(StrEnum):
    PARTY_ADMIN = "party_admin"
    HEAD_OF_DELEGATION = "head_of_delegation"
    LIAISON_OFFICER = "liaison_officer"
    DUTY_OFFICER = "duty_officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    WITNESS = "witness"


_WRITERS = frozenset({Permission.LOG_READ, Permission.LOG_APPEND})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PARTY_ADMIN: _WRITERS,
    Role.HEAD_OF_DELEGATION: _WRITERS,
    Role.LIAISON_OFFICER: _WRITERS,
    Role.DUTY_OFFICER: _WRITERS,
    Role.SUPERVISOR: _WRITERS,
    Role.AUDITOR: frozenset({Permission.LOG_READ}),
    Role.WITNESS: frozenset({Permission.LOG_READ, Permission.LOG_COSIGN}),
}

"""Permissions as `<resource>:<action>`; every route declares exactly one."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    LOG_READ = "log:read"
    LOG_APPEND = "log:append"
    LOG_COSIGN = "log:cosign"
    CELL_READ = "cell:read"  # the home page, the entries a party may see
    MEMBER_READ = "member:read"  # the cell's directory of members
    PROFILE_MANAGE = "profile:manage"  # one's own sessions, devices, language
    DEVICE_APPROVE = "device:approve"  # a party admin approves its members' devices
    DUTY_MANAGE = "duty:manage"  # a party admin: its roster, swaps, taking the duty
    NOTIFY_MANAGE = "notify:manage"  # a party admin: its webhooks; the outbox's failures
    BOARD_READ = "board:read"  # the supervisor's board: every open clock, per-party figures
    PUBLIC = "public:read"  # pages anyone may see (the sign-in page, health)


class Role(StrEnum):
    PARTY_ADMIN = "party_admin"
    HEAD_OF_DELEGATION = "head_of_delegation"
    LIAISON_OFFICER = "liaison_officer"
    DUTY_OFFICER = "duty_officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    WITNESS = "witness"


_READERS = frozenset(
    {Permission.LOG_READ, Permission.CELL_READ, Permission.MEMBER_READ, Permission.PROFILE_MANAGE}
)
_WRITERS = _READERS | {Permission.LOG_APPEND}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PARTY_ADMIN: _WRITERS
    | {Permission.DEVICE_APPROVE, Permission.DUTY_MANAGE, Permission.NOTIFY_MANAGE},
    Role.HEAD_OF_DELEGATION: _WRITERS | {Permission.BOARD_READ},
    Role.LIAISON_OFFICER: _WRITERS,
    Role.DUTY_OFFICER: _WRITERS | {Permission.BOARD_READ},
    Role.SUPERVISOR: _WRITERS | {Permission.BOARD_READ},
    Role.AUDITOR: _READERS,  # reads what its party may read; writes nothing
    Role.WITNESS: frozenset({Permission.LOG_READ, Permission.LOG_COSIGN}),
}

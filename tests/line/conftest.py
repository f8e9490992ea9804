"""The Paris cell on a FrozenClock for the line: members whose roles are in the log
(member.added), each with a signing LineClient, and duty rosters published through the
duty package's own entries. No deadline engine runs in the app: tests run it themselves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.clock import FrozenClock, rfc3339
from fusioncell.duty import kinds as duty_kinds
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.line.client import LineClient
from tests.members import T0, cell, settings

# The cell on a FrozenClock (tests/members.py).
__all__ = ["cell", "settings"]

PARTIES = ["IL", "SY", "US"]
START = T0  # 12:00 in Damascus

Person = Callable[..., LineClient]


def clock(cell: Cell) -> FrozenClock:
    assert isinstance(cell.clock, FrozenClock)
    return cell.clock


@pytest.fixture
def person(cell: Cell, http: TestClient) -> Person:
    """person(party, member, role) -> that member (added in the log with the role), signed
    in with a LineClient on the app under test."""

    def make(party: str, member: str, role: Role = Role.LIAISON_OFFICER) -> LineClient:
        do_add_member(cell, party, member, role)
        key = new_member_key(party, member)
        register_member_key(
            cell, party, member, key.verifier.encode(), admin=role is Role.PARTY_ADMIN
        )
        _, token = create_token(cell.engine, party, member, role, cell.clock.now())
        return LineClient(
            token=token, key=key, party=party, member=member, http=http, parties=PARTIES
        )

    return make


def publish_roster(
    admin: LineClient, shifts: list[tuple[str, datetime, datetime]], party: str | None = None
) -> int:
    """The party admin publishes `shifts` (member, start, end) as its duty roster."""
    party = party or admin.author.party
    lo = min(s for _, s, _ in shifts)
    hi = max(e for _, _, e in shifts)
    body = {
        "party": party,
        "from": rfc3339(lo),
        "to": rfc3339(hi),
        "shifts": [{"member": m, "start": rfc3339(s), "end": rfc3339(e)} for m, s, e in shifts],
    }
    return admin.post(duty_kinds.ROSTER, duty_kinds.subject(party), PARTIES, body).index


@pytest.fixture
def on_duty(person: Person, cell: Cell) -> dict[str, LineClient]:
    """Each party's admin, and a duty officer holding its duty for the next two days."""
    now = cell.clock.now()
    out: dict[str, LineClient] = {}
    for p in PARTIES:
        low = p.lower()
        admin = person(p, f"{low}-admin", Role.PARTY_ADMIN)
        duty = person(p, f"{low}-duty", Role.DUTY_OFFICER)
        publish_roster(admin, [(duty.author.member, now, now + timedelta(days=2))])
        out[f"{low}-admin"] = admin
        out[p] = duty
    return out

"""The log is the source of truth: rebuilding every projection gives the live state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fusioncell.cell import Cell
from fusioncell.identity.accounts import do_add_member, do_disable_member
from fusioncell.identity.devices import (
    new_member_key,
    register_member_key,
    register_witness_key,
    revoke_member_key,
    revoke_witness_key,
)
from fusioncell.identity.devices_web import request_device
from fusioncell.identity.tables import device_requests
from fusioncell.ledger.canonical import b64e
from fusioncell.ledger.keys import ALG_COSIGNATURE_V1, SigningKey
from fusioncell.projections import PROJECTED, rebuild


def snapshot(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with cell.engine.connect() as c:
        for t in [*PROJECTED, device_requests]:
            rows = c.execute(select(t)).mappings().all()
            out[t.name] = sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)
    return out


def test_rebuild_equals_live(cell: Cell, enroll) -> None:
    enroll("SY", "sy-liaison")
    do_add_member(cell, "IL", "il-duty", "duty_officer")
    do_add_member(cell, "US", "us-aud", "auditor")
    do_disable_member(cell, "us-aud")
    k = new_member_key("IL", "il-duty")
    register_member_key(cell, "IL", "il-duty", k.verifier.encode(), admin=True)
    revoke_member_key(cell, "IL", "il-duty", k.key_id_hex)
    w = SigningKey.generate("witness.il.example", ALG_COSIGNATURE_V1)
    register_witness_key(cell, "IL", w.verifier.encode())
    revoke_witness_key(cell, "IL", "witness.il.example")
    cell.settings.demo_auto_approve = True
    request_device(cell, "IL", "il-duty", b64e(SigningKey.generate("x").public), "laptop")
    cell.settings.demo_auto_approve = False
    request_device(cell, "IL", "il-duty", b64e(SigningKey.generate("y").public), "phone")
    live = snapshot(cell)
    assert live["log_members"] and live["log_keys"] and live["log_witnesses"]
    n = rebuild(cell)
    assert n == cell.ledger.size()
    assert snapshot(cell) == live
    # and the ledger works on with the rebuilt key ring
    enroll("SY", "sy-duty")
    assert cell.ledger.size() == n + 1  # its key registration

"""A real `fusioncell serve` in a subprocess, on a cell with short clocks and members who
are told by mail and webhook: for the tests that run the server itself (test_crash.py,
tests/deploy/test_many_workers.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import select

from fusioncell.authz import Principal, Role
from fusioncell.cell import open_cell
from fusioncell.db import make_engine, reading
from fusioncell.deadlines.tables import deadlines
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.notify import prefs
from fusioncell.notify.tables import notify_outbox
from fusioncell.settings import Settings
from tests.notify.conftest import Receiver

# FLASH: acknowledge within 2 s; escalation steps 0 s, 3 s and 6 s after.
CHARTER = """
[mechanism]
origin = "crash.fusioncell.example/log"
languages = ["en"]
name.en = "Crash test cell"

[[parties]]
code = "IL"
languages = ["en"]
timezone = "Asia/Jerusalem"
name.en = "Israel"

[[parties]]
code = "SY"
languages = ["en"]
timezone = "Asia/Damascus"
name.en = "Syria"

[[parties]]
code = "US"
languages = ["en"]
timezone = "America/New_York"
supervisor = true
sees_all = true
name.en = "United States"

[[workstreams]]
id = "general"
name.en = "General"

[[urgency]]
level = "FLASH"
name.en = "Flash"
ack_within = "2s"
escalation = [
  { after = "0s", notify = ["own:head_of_delegation"] },
  { after = "3s", notify = ["supervisor:duty_officer"] },
  { after = "6s", notify = ["own:head_of_delegation", "supervisor:duty_officer"] },
]

[[urgency]]
level = "ROUTINE"
name.en = "Routine"
ack_within = "24h"
requires_ack = false
"""

WAIT = 60.0  # seconds any one awaited event may take on a busy machine (never asserted)
ROOT = Path(__file__).resolve().parents[2]


def server_env(db_url: str, smtp_port: int, domain: str) -> dict[str, str]:
    """`fusioncell serve`'s environment: the test's database, SMTP server and webhook
    receivers, and `domain` in its mail sender and links."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONCELL_")}
    env.update(
        {
            "FUSIONCELL_DATABASE_URL": db_url,
            "FUSIONCELL_SECURE_COOKIES": "false",
            "FUSIONCELL_SMTP_HOST": "127.0.0.1",
            "FUSIONCELL_SMTP_PORT": str(smtp_port),
            "FUSIONCELL_SMTP_SECURITY": "none",
            "FUSIONCELL_SMTP_FROM": f"cell@{domain}",
            "FUSIONCELL_WEBHOOK_ALLOWED": '["http://127.0.0.1:"]',
            "FUSIONCELL_NOTIFY_BASE_URL": f"https://{domain}",
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    return env


def setup_members(data: Path, db_url: str, hooks: Receiver) -> dict[str, Any]:
    """Members, their addresses and webhooks, before the server starts."""
    # The operator's settings, as the server gets them from its environment.
    cell = open_cell(
        Settings(data=data, database_url=db_url, webhook_allowed=["http://127.0.0.1:"])
    )
    try:
        made: dict[str, Any] = {}
        for party, name, role, email, hook in [
            ("SY", "sy-liaison", Role.LIAISON_OFFICER, None, False),
            ("IL", "il-liaison", Role.LIAISON_OFFICER, "il-liaison@example.org", True),
            ("IL", "il-head", Role.HEAD_OF_DELEGATION, "il-head@example.org", True),
            ("IL", "il-duty", Role.DUTY_OFFICER, "il-duty@example.org", False),
            ("US", "us-duty", Role.DUTY_OFFICER, None, True),
        ]:
            do_add_member(cell, party, name, role)
            who = Principal(party, name, role)
            prefs.do_set_settings(cell, who, email=email)
            if hook:
                _, secret = prefs.do_set_webhook(cell, who, f"{hooks.base}/{name}")
                hooks.secrets[f"/{name}"] = secret
        key = new_member_key("SY", "sy-liaison")
        register_member_key(cell, "SY", "sy-liaison", key.verifier.encode())
        _, token = create_token(
            cell.engine, "SY", "sy-liaison", Role.LIAISON_OFFICER, cell.clock.now()
        )
        made["key"], made["token"] = key, token
        return made
    finally:
        cell.close()


def outbox(db_url: str) -> list[Any]:
    """The notifications' outbox, every row."""
    engine = make_engine(db_url)
    try:
        with reading(engine) as conn:
            return list(conn.execute(select(notify_outbox)).all())
    finally:
        engine.dispose()


def deadline_done(db_url: str) -> bool:
    """Every deadline in the log is done (its escalation ended)."""
    engine = make_engine(db_url)
    try:
        with reading(engine) as conn:
            states = conn.execute(select(deadlines.c.state)).scalars().all()
    finally:
        engine.dispose()
    return bool(states) and set(states) == {"done"}

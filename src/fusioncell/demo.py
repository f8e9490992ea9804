"""The built-in Paris demo (shared/specs/paris-demo.md): a cell, its accounts, a few entries.

Accounts are role names, never real persons. Their device keys and tokens are kept in
DATA/demo/ (mode 0600) so that a second `fusioncell demo` reuses the same cell.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell, log_key_path, open_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.commerce.demo import seed_commerce
from fusioncell.deesc.demo import seed_deescalation
from fusioncell.diplomacy.demo import seed_diplomacy
from fusioncell.disputes.demo import seed_disputes
from fusioncell.duty.demo import seed_rosters
from fusioncell.identity.accounts import do_add_member, set_password
from fusioncell.identity.devices import new_member_key, post_as, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.intel.demo import seed_intel
from fusioncell.language.demo import seed_language
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey
from fusioncell.line.demo import demo_clock, seed_line
from fusioncell.messaging import kinds
from fusioncell.settings import Settings
from fusioncell.statements.demo import seed_statements
from fusioncell.understandings.demo import seed_understandings

ACCOUNTS: list[tuple[str, str, Role]] = [
    ("IL", "il-admin", Role.PARTY_ADMIN),
    ("IL", "il-head", Role.HEAD_OF_DELEGATION),
    ("IL", "il-liaison", Role.LIAISON_OFFICER),
    ("IL", "il-duty", Role.DUTY_OFFICER),
    ("IL", "il-duty-2", Role.DUTY_OFFICER),
    ("SY", "sy-admin", Role.PARTY_ADMIN),
    ("SY", "sy-head", Role.HEAD_OF_DELEGATION),
    ("SY", "sy-liaison", Role.LIAISON_OFFICER),
    ("SY", "sy-duty", Role.DUTY_OFFICER),
    ("SY", "sy-duty-2", Role.DUTY_OFFICER),
    ("US", "us-admin", Role.PARTY_ADMIN),
    ("US", "us-head", Role.HEAD_OF_DELEGATION),  # approves joint statements for the US
    ("US", "us-supervisor", Role.SUPERVISOR),
    ("US", "us-duty", Role.DUTY_OFFICER),
    ("US", "us-duty-2", Role.DUTY_OFFICER),
    ("US", "us-auditor", Role.AUDITOR),
]

# Threads: (id, opened by, workstream, parties, topic language, topic, messages), each
# message (member, urgency, language, text); "ack" acknowledges the thread's previous message.
THREADS: list[tuple[str, str, str, list[str], str, str, list[tuple[str, str, str, str]]]] = [
    (
        "cell-opening",
        "us-supervisor",
        "general",
        ["IL", "SY", "US"],
        "en",
        "Opening of the communication cell",
        [
            (
                "us-supervisor",
                "ROUTINE",
                "en",
                "The communication cell is open. Acknowledge FLASH items within 5 minutes.",
            ),
        ],
    ),
    (
        "separation-line-0600",
        "sy-liaison",
        "deescalation",
        ["IL", "SY", "US"],
        "ar",
        "تحركات قرب خط الفصل",
        [
            ("sy-liaison", "FLASH", "ar", "نطلب توضيحاً بشأن تحركات قرب خط الفصل صباح اليوم."),
            ("il-liaison", "ack", "", ""),
            ("il-liaison", "ROUTINE", "he", "התקבל. נמסור הבהרה בתוך 48 שעות, כנדרש."),
        ],
    ),
    (
        "strategic-files",
        "sy-head",
        "diplomatic",
        ["SY", "US"],
        "ar",
        "الملفات الاستراتيجية",
        [
            (
                "sy-head",
                "PRIORITY",
                "ar",
                "نؤكد أن لا تقدم في الملفات الاستراتيجية دون جدول زمني ملزم وواضح للانسحاب.",
            ),
        ],
    ),
    (
        "trade-channel",
        "il-head",
        "commercial",
        ["IL", "SY", "US"],
        "he",
        "ערוץ סחר ראשון",
        [
            ("il-head", "IMMEDIATE", "he", "אנו מציעים פגישת מומחים על שיתוף פעולה כלכלי."),
        ],
    ),
]


def _save_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


DEMO_SETTINGS = """# The demo cell's settings (a real cell has none of these).
require_totp = false        # sign-in without TOTP; the sign-in page says so
demo_auto_approve = true    # new browser devices are registered at once with the root key
secure_cookies = true
"""


def ensure_demo(data: Path) -> dict[str, Any]:
    data.mkdir(parents=True, exist_ok=True)
    if not (data / "settings.toml").exists():
        (data / "settings.toml").write_text(DEMO_SETTINGS, encoding="utf-8")
    settings = Settings.for_data(data)
    accounts_file = data / "demo" / "accounts.json"
    if log_key_path(data).exists() and accounts_file.exists():
        cell = open_cell(settings)
        info = json.loads(accounts_file.read_text(encoding="utf-8"))
        cell.close()
        return dict(info)
    # The cell begins in the past: its line checks' history (fusioncell.line.demo) is
    # written first, at its own times; then the clock is the real one.
    cell = init_cell(paris_charter_text(), settings, source="paris.toml", clock=demo_clock())
    try:
        info = _populate(cell, data)
    finally:
        cell.close()
    _save_private(accounts_file, json.dumps(info, ensure_ascii=False, indent=2))
    return info


def _populate(cell: Cell, data: Path) -> dict[str, Any]:
    accounts = []
    keys: dict[str, SigningKey] = {}
    for party, member, role in ACCOUNTS:
        do_add_member(cell, party, member, role)
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        set_password(cell.engine, member, password)
        key = new_member_key(party, member)
        register_member_key(
            cell, party, member, key.verifier.encode(), admin=role is Role.PARTY_ADMIN
        )
        key.save(data / "demo" / f"{member}.key")
        keys[member] = key
        _, token = create_token(cell.engine, party, member, role, cell.clock.now(), "demo")
        accounts.append(
            {
                "party": party,
                "member": member,
                "role": role.value,
                "password": password,
                "token": token,
            }
        )
    seed_line(cell, keys)  # checks answered, late and missed; a suspension lifted
    for tid, opener, ws, parties, lang, topic, messages in THREADS:
        _thread(cell, keys, tid, opener, ws, parties, lang, topic, messages)
    seed_rosters(cell, keys)  # each party's duty for the week, and a hand-over note
    seed_commerce(cell, keys)  # two proposals in the three languages, at different stages
    seed_intel(cell, keys)  # reports released to the supervisor, a tear line, an RFI answered
    seed_deescalation(cell, keys)  # zones, an incident clarified, a notification in conflict
    seed_understandings(cell, keys)  # statuses with evidence, milestones, a verification
    seed_diplomacy(cell, keys)  # the Paris round's plenary, a follow-up carried over
    seed_disputes(cell, keys)  # Syria disputes the incident's account; mediation, a proposal
    seed_statements(cell, keys)  # the Paris joint statement adopted; a second one in draft
    seed_language(cell, keys)  # glossary terms agreed by all; a verified translation
    return {"origin": cell.ledger.origin, "accounts": accounts}


def _thread(
    cell: Cell,
    keys: dict[str, SigningKey],
    tid: str,
    opener: str,
    workstream: str,
    parties: list[str],
    lang: str,
    topic: str,
    messages: list[tuple[str, str, str, str]],
) -> None:
    def write(member: str, kind: str, body: dict[str, Any]) -> int:
        key = keys[member]
        author = Author(member[:2].upper(), member, key.key_id_hex)
        done = post_as(
            cell, key, author, kind, kinds.subject(tid), parties, {"thread": tid, **body}
        )
        return done.index

    write(
        opener,
        kinds.THREAD_OPENED,
        {
            "workstream": workstream,
            "topic": {"text": topic, "lang": lang},
            "parties": parties,
        },
    )
    last = 0
    for member, urgency, text_lang, text in messages:
        if urgency == "ack":
            write(member, kinds.ACKNOWLEDGED, {"message": last})
            continue
        last = write(member, kinds.POSTED, {"urgency": urgency, "text": text, "lang": text_lang})

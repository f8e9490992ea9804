"""What each member chose, and the webhooks: channels per urgency, an e-mail address, a
personal webhook; a party's webhooks, set up by its admin. Not in the log: operational state,
like sessions. Secrets (a webhook's) are shown once, when made, and never logged.

Which channels exist is the operator's to say (docs/notifications.md): the web channel
always; e-mail when an SMTP relay is configured; webhooks to the URLs the operator allows.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, delete, insert, select, update

from fusioncell.authz import Principal
from fusioncell.cell import Cell
from fusioncell.charter.schema import Urgency
from fusioncell.clock import rfc3339
from fusioncell.db import reading, transaction
from fusioncell.errors import N_, Invalid, NotFound
from fusioncell.messaging.kinds import BIDI_CONTROLS
from fusioncell.notify.tables import notify_settings, notify_webhooks
from fusioncell.settings import Settings

WEB = "web"
EMAIL = "email"
WEBHOOK = "webhook"
CHANNELS = (WEB, EMAIL, WEBHOOK)
LEVELS = tuple(u.value for u in Urgency)
RANK = {u: i for i, u in enumerate(LEVELS)}  # 0 FLASH ... 3 ROUTINE
FLASH = Urgency.FLASH.value

# What a member gets before choosing. ROUTINE: nothing (the cell's unread count is its
# channel; a notice per routine message to every member of a party is noise, and costs the
# server a row each). FLASH: every channel the member has, whatever is chosen
# (`channels_for`).
DEFAULT_CHANNELS: dict[str, tuple[str, ...]] = {
    "FLASH": CHANNELS,
    "IMMEDIATE": CHANNELS,
    "PRIORITY": (WEB, EMAIL),
    "ROUTINE": (),
}

MAX_EMAIL = 254
MAX_URL = 2000
MAX_LABEL = 100
# Deliberately plain: one @, no spaces or angle brackets (a header must not be injectable).
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$"
)
NO_WEBHOOK = N_("no such webhook")


def _now(cell: Cell) -> str:
    return rfc3339(cell.clock.now())


# ---- checks ------------------------------------------------------------------------------


def check_email(value: Any) -> str | None:
    """An address to send notifications to, or None (empty: no e-mail)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(N_("the e-mail address must be text"))
    v = value.strip()
    if not v:
        return None
    if len(v) > MAX_EMAIL or not _EMAIL_RE.match(v) or ".." in v:
        raise Invalid(N_("%(value)s is not an e-mail address we can send to"), value=v[:80])
    return v


def _plain(text: str) -> bool:
    return not any(
        c in BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c.isspace()
        for c in text
    )


def check_webhook_url(settings: Settings, value: Any) -> str:
    """A webhook URL: http(s), no credentials, and under one of the prefixes the operator
    allows (`webhook_allowed`): nothing reaches the network that the operator did not
    configure, and a member cannot point the server at an internal address."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(N_("the webhook needs a URL"))
    url = value.strip()
    if len(url) > MAX_URL or not _plain(url):
        raise Invalid(N_("the webhook URL must be one line of at most %(n)s characters"), n=MAX_URL)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise Invalid(N_("the webhook URL is not a valid URL")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(N_("the webhook URL must start with https:// (or http://)"))
    if parts.username is not None or parts.password is not None:
        raise Invalid(N_("the webhook URL must not hold a user name or password"))
    if not webhook_allowed(settings, url):
        raise Invalid(N_("this cell's operator does not allow webhooks to that address"))
    return url


def webhook_allowed(settings: Settings, url: str) -> bool:
    return any(url.startswith(prefix) for prefix in settings.webhook_allowed if prefix)


def check_label(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_LABEL:
        raise Invalid(N_("a label is text of at most %(n)s characters"), n=MAX_LABEL)
    v = value.strip()
    if any(c in BIDI_CONTROLS or unicodedata.category(c) == "Cc" for c in v):
        raise Invalid(N_("a label must be plain text"))
    return v


def check_channels(value: Any) -> dict[str, list[str]]:
    """{"FLASH": ["web", ...], ...}: known levels and channels, each named once."""
    if not isinstance(value, Mapping):
        raise Invalid(N_("channels is an object: urgency -> list of channels"))
    out: dict[str, list[str]] = {}
    for level, chosen in value.items():
        if level not in LEVELS:
            raise Invalid(N_("unknown urgency %(level)s"), level=str(level)[:20])
        if not isinstance(chosen, Sequence) or isinstance(chosen, str):
            raise Invalid(N_("the channels of %(level)s are a list"), level=level)
        picked = []
        for c in chosen:
            if c not in CHANNELS:
                raise Invalid(
                    N_("unknown channel %(channel)s (channels: %(channels)s)"),
                    channel=str(c)[:20],
                    channels=", ".join(CHANNELS),
                )
            if c in picked:
                raise Invalid(N_("a channel is named twice"))
            picked.append(str(c))
        out[level] = sorted(picked, key=CHANNELS.index)
    return out


def check_urgencies(value: Any) -> list[str]:
    if value is None:
        return list(LEVELS)
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise Invalid(N_("urgencies is a list of urgency levels"))
    bad = [u for u in value if u not in LEVELS]
    if bad:
        raise Invalid(N_("unknown urgency %(level)s"), level=str(bad[0])[:20])
    levels = {str(u) for u in value} | {FLASH}  # FLASH always goes everywhere
    return [u for u in LEVELS if u in levels]


# ---- the operator's channels ---------------------------------------------------------------


def available(settings: Settings) -> frozenset[str]:
    """The channels this cell offers: its operator configured a relay, allowed webhooks."""
    out = {WEB}
    if settings.smtp_host:
        out.add(EMAIL)
    if any(settings.webhook_allowed):
        out.add(WEBHOOK)
    return frozenset(out)


# ---- a member's settings -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    party: str
    member: str | None
    url: str
    label: str
    urgencies: tuple[str, ...]
    created_by: str
    created_at: str

    def to_json(self) -> dict[str, Any]:
        """What the owner may see: never the secret."""
        return {
            "id": self.id,
            "party": self.party,
            "member": self.member,
            "url": self.url,
            "label": self.label,
            "urgencies": list(self.urgencies),
            "created_by": self.created_by,
            "created_at": self.created_at,
        }


def _webhook(r: Any) -> Webhook:
    return Webhook(
        r.id,
        r.party,
        r.member,
        r.url,
        r.label,
        tuple(u for u in r.urgencies.split(",") if u),
        r.created_by,
        r.created_at,
    )


@dataclass(frozen=True, slots=True)
class MemberSettings:
    member: str
    email: str | None
    chosen: dict[str, list[str]]  # as the member chose (levels left out take the defaults)
    webhook: Webhook | None

    def channels(self, level: str) -> list[str]:
        """The member's choice for `level`, else the default."""
        return list(self.chosen.get(level, DEFAULT_CHANNELS.get(level, (WEB,))))

    def has(self, channel: str, offered: frozenset[str]) -> bool:
        """Whether the member can be reached on `channel` at all."""
        if channel not in offered:
            return False
        if channel == EMAIL:
            return self.email is not None
        if channel == WEBHOOK:
            return self.webhook is not None
        return True

    def channels_for(self, level: str, offered: frozenset[str]) -> list[str]:
        """Where a notification of `level` goes: FLASH to every channel the member has,
        whatever was chosen; other levels to those chosen that the member has."""
        want = CHANNELS if level == FLASH else self.channels(level)
        return [c for c in CHANNELS if c in want and self.has(c, offered)]

    def to_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "channels": {lvl: self.channels(lvl) for lvl in LEVELS},
            "webhook": None if self.webhook is None else self.webhook.to_json(),
        }


def load_settings(conn: Connection, member: str) -> MemberSettings:
    r = conn.execute(select(notify_settings).where(notify_settings.c.member == member)).first()
    hook = conn.execute(select(notify_webhooks).where(notify_webhooks.c.member == member)).first()
    chosen: dict[str, list[str]] = {}
    if r is not None:
        try:
            chosen = check_channels(json.loads(r.channels))
        except (ValueError, Invalid):
            chosen = {}  # unreadable: the defaults, rather than no notification at all
    return MemberSettings(
        member,
        None if r is None else r.email,
        chosen,
        None if hook is None else _webhook(hook),
    )


def get_settings(cell: Cell, who: Principal) -> MemberSettings:
    with reading(cell.engine) as conn:
        return load_settings(conn, who.member)


def do_set_settings(
    cell: Cell,
    who: Principal,
    *,
    email: Any = ...,
    channels: Any = ...,
) -> MemberSettings:
    """Change the member's address and/or the channels of some urgencies (what is left out
    stays as it is)."""
    new_email = None if email is ... else check_email(email)
    new_channels = None if channels is ... else check_channels(channels)
    with transaction(cell.engine) as conn:
        current = load_settings(conn, who.member)
        values = {
            "email": current.email if email is ... else new_email,
            # The levels given replace theirs; the others stay as they were.
            "channels": json.dumps({**current.chosen, **(new_channels or {})}, sort_keys=True),
            "updated_at": _now(cell),
        }
        done = conn.execute(
            update(notify_settings).where(notify_settings.c.member == who.member).values(**values)
        )
        if done.rowcount == 0:
            conn.execute(insert(notify_settings).values(member=who.member, **values))
        return load_settings(conn, who.member)


def _new_secret() -> str:
    return "fcwh_" + secrets.token_urlsafe(32)


def do_set_webhook(cell: Cell, who: Principal, url: Any) -> tuple[Webhook, str]:
    """The member's own webhook, replacing any earlier one; returns it and its new secret
    (shown this once)."""
    checked = check_webhook_url(cell.settings, url)
    secret = _new_secret()
    with transaction(cell.engine) as conn:
        conn.execute(delete(notify_webhooks).where(notify_webhooks.c.member == who.member))
        hid = secrets.token_hex(8)
        conn.execute(
            insert(notify_webhooks).values(
                id=hid,
                party=who.party,
                member=who.member,
                url=checked,
                secret=secret,
                label="",
                urgencies=",".join(("", *LEVELS, "")),
                created_by=who.member,
                created_at=_now(cell),
            )
        )
        r = conn.execute(select(notify_webhooks).where(notify_webhooks.c.id == hid)).one()
    return _webhook(r), secret


def do_delete_webhook(cell: Cell, who: Principal) -> None:
    with transaction(cell.engine) as conn:
        done = conn.execute(delete(notify_webhooks).where(notify_webhooks.c.member == who.member))
    if done.rowcount == 0:
        raise NotFound(NO_WEBHOOK)


# ---- a party's webhooks (its admin: Permission.NOTIFY_MANAGE) -------------------------------


def party_webhooks(cell: Cell, who: Principal) -> list[Webhook]:
    with reading(cell.engine) as conn:
        rows = conn.execute(
            select(notify_webhooks)
            .where(notify_webhooks.c.party == who.party, notify_webhooks.c.member.is_(None))
            .order_by(notify_webhooks.c.created_at, notify_webhooks.c.id)
        ).all()
    return [_webhook(r) for r in rows]


MAX_PARTY_WEBHOOKS = 10


def do_add_party_webhook(
    cell: Cell, who: Principal, url: Any, label: Any = None, urgencies: Any = None
) -> tuple[Webhook, str]:
    """A webhook of the admin's party: told of every notification to a member of the party
    at the chosen urgencies (FLASH always). Returns it and its secret (shown this once)."""
    checked = check_webhook_url(cell.settings, url)
    name = check_label(label)
    levels = check_urgencies(urgencies)
    secret = _new_secret()
    hid = secrets.token_hex(8)
    with transaction(cell.engine) as conn:
        n = len(
            conn.execute(
                select(notify_webhooks.c.id).where(
                    notify_webhooks.c.party == who.party, notify_webhooks.c.member.is_(None)
                )
            ).all()
        )
        if n >= MAX_PARTY_WEBHOOKS:
            raise Invalid(N_("a party has at most %(n)s webhooks"), n=MAX_PARTY_WEBHOOKS)
        conn.execute(
            insert(notify_webhooks).values(
                id=hid,
                party=who.party,
                member=None,
                url=checked,
                secret=secret,
                label=name,
                urgencies=",".join(("", *levels, "")),
                created_by=who.member,
                created_at=_now(cell),
            )
        )
        r = conn.execute(select(notify_webhooks).where(notify_webhooks.c.id == hid)).one()
    return _webhook(r), secret


def do_delete_party_webhook(cell: Cell, who: Principal, hook_id: str) -> None:
    """Another party's webhook and a missing one give the same 404."""
    with transaction(cell.engine) as conn:
        done = conn.execute(
            delete(notify_webhooks).where(
                notify_webhooks.c.id == hook_id,
                notify_webhooks.c.party == who.party,
                notify_webhooks.c.member.is_(None),
            )
        )
    if done.rowcount == 0:
        raise NotFound(NO_WEBHOOK)


def party_hooks(conn: Connection, party: str) -> list[Webhook]:
    """For the notifier: the party's webhooks."""
    rows = conn.execute(
        select(notify_webhooks).where(
            notify_webhooks.c.party == party, notify_webhooks.c.member.is_(None)
        )
    ).all()
    return [_webhook(r) for r in rows]


HOOK_PREFIX = "hook:"  # an outbox recipient that is a party's webhook


def hook_target(conn: Connection, recipient: str) -> tuple[str, str] | None:
    """For the sender: (url, secret) of the webhook an outbox row goes to, as it is now
    (a member's own, or a party's "hook:<id>"), or None where it was removed."""
    c = notify_webhooks.c
    q = select(c.url, c.secret)
    if recipient.startswith(HOOK_PREFIX):
        q = q.where(c.id == recipient[len(HOOK_PREFIX) :], c.member.is_(None))
    else:
        q = q.where(c.member == recipient)
    r = conn.execute(q).first()
    return None if r is None else (str(r.url), str(r.secret))

"""A notification in words, in the reader's language: made when it is sent (mail, webhook)
or shown (pages), from the facts the outbox keeps.

What people wrote (a thread's topic, a message's text) is sensitive: the web channel shows
it (the reader's party may read the entry), e-mail and webhooks carry it only where the
operator says so (`notify_include_text`); by default they carry a summary and a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from fusioncell.cell import Cell
from fusioncell.deadlines.api import ACK
from fusioncell.deadlines.projector import MISSED, NOTIFIED
from fusioncell.errors import N_
from fusioncell.line import kinds as line_kinds
from fusioncell.messaging.kinds import POSTED
from fusioncell.messaging.tables import cell_messages, cell_threads
from fusioncell.notify import rules
from fusioncell.web import i18n
from fusioncell.web.render import localized

FSI, PDI = "\u2068", "\u2069"  # isolate a value inside a sentence of the other direction
MAX_EXCERPT = 300

SUBJECTS = {
    POSTED: N_("Message from %(party)s"),
    MISSED: N_("Deadline missed"),
    NOTIFIED: N_("Escalation: a deadline was missed"),
    rules.LINE_CHECK_SENT: N_("Line check: answer now"),
    rules.LINE_CHECK_REQUESTED: N_("Line check: answer now"),
    rules.LINE_STATUS: N_("Line status declared by %(party)s"),
    rules.ACTIVITY: N_("Conflict: a planned activity of %(party)s"),
}
STATES = {line_kinds.SUSPENDED: N_("suspended"), line_kinds.RESUMED: N_("resumed")}
GENERIC_SUBJECT = N_("Notification from the cell")
OPEN = N_("Open: %(link)s")
FOOTER = N_("An automatic notification of %(cell)s. Choose what you receive, and where: %(link)s")


@dataclass
class Words:
    subject: str  # without the urgency
    urgency: str  # the urgency's name in the reader's language
    lines: list[str] = field(default_factory=list)
    link: str = ""

    def title(self) -> str:
        return f"[{self.urgency}] {self.subject}"


def _isolated(text: str) -> str:
    return FSI + i18n.neutralise_bidi(text) + PDI


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_EXCERPT else text[: MAX_EXCERPT - 1] + "…"


class _Say:
    def __init__(self, cell: Cell, lang: str, zone: str) -> None:
        self.cell = cell
        self.lang = lang
        self.zone = zone
        self._when = i18n.environment(lang).filters["when"]

    def __call__(self, msgid: str, **params: object) -> str:
        return i18n.translate(self.lang, msgid, params or None)

    def party(self, code: object) -> str:
        try:
            return _isolated(localized(self.cell.charter.party(str(code)).name, self.lang))
        except Exception:  # noqa: BLE001 - a code the charter does not know: as it is
            return _isolated(str(code))

    def time(self, value: object) -> str:
        try:
            return _isolated(str(self._when(str(value), self.zone)))
        except (TypeError, ValueError):
            return _isolated(str(value))

    def urgency(self, level: str) -> str:
        for u in self.cell.charter.urgency_levels:
            if u.level.value == level:
                return localized(u.name, self.lang)
        return level


def _message_lines(say: _Say, conn: Connection, it: dict[str, Any], with_text: bool) -> list[str]:
    out = [
        say(
            N_("%(party)s (%(member)s) wrote to your party at %(time)s."),
            party=say.party(it.get("party")),
            member=_isolated(str(it.get("member"))),
            time=say.time(it.get("time")),
        )
    ]
    if it.get("due"):
        out.append(say(N_("Acknowledge by %(due)s."), due=say.time(it["due"])))
    if with_text:
        topic = conn.execute(
            select(cell_threads.c.topic).where(cell_threads.c.id == it.get("thread"))
        ).scalar()
        text = conn.execute(
            select(cell_messages.c.text).where(cell_messages.c.idx == it.get("message"))
        ).scalar()
        if topic:
            out.append(say(N_("Topic: %(topic)s"), topic=_isolated(str(topic))))
        if text:
            out.append(_isolated(_excerpt(str(text))))
    return out


def _deadline_line(say: _Say, it: dict[str, Any]) -> str:
    refs = _obj(it.get("refs"))
    values: dict[str, object] = {
        "party": say.party(it.get("party")),
        "due": say.time(it.get("due")),
        "kind": _isolated(str(it.get("kind"))),
        "message": refs.get("message", "?"),
        "step": it.get("step", "?"),
    }
    kind = it.get("kind")
    missed = it.get("what") == "missed"
    if kind == ACK:
        if missed:
            return say(
                N_("%(party)s has not acknowledged message %(message)s, due %(due)s."), **values
            )
        return say(
            N_(
                "Escalation, step %(step)s: %(party)s has not acknowledged message"
                " %(message)s, due %(due)s."
            ),
            **values,
        )
    if kind == line_kinds.DEADLINE_KIND:
        if missed:
            return say(N_("%(party)s has not answered the line check, due %(due)s."), **values)
        return say(
            N_(
                "Escalation, step %(step)s: %(party)s has not answered the line check, due %(due)s."
            ),
            **values,
        )
    if missed:
        return say(N_("%(party)s has missed a deadline (%(kind)s), due %(due)s."), **values)
    return say(
        N_("Escalation, step %(step)s: %(party)s is late (%(kind)s), due %(due)s."), **values
    )


def _line_status_lines(say: _Say, it: dict[str, Any], with_text: bool) -> list[str]:
    by = _obj(it.get("by"))
    out = [
        say(
            N_("%(party)s (%(member)s) declared the line's status at %(time)s."),
            party=say.party(by.get("party")),
            member=_isolated(str(by.get("member"))),
            time=say.time(it.get("time")),
        )
    ]
    state = it.get("state")
    if state in STATES:
        out.append(say(N_("The line is now: %(state)s"), state=say(STATES[state])))
    text = it.get("text")
    if with_text and isinstance(text, str):
        out.append(_isolated(_excerpt(text)))
    return out


def _link(base: str, items: list[dict[str, Any]]) -> str:
    for it in items:
        if it.get("what") == "conflict" and isinstance(it.get("activity"), int):
            return f"{base}/deesc/items/{it['activity']}"
        refs = _obj(it.get("refs")) or it
        thread, message = refs.get("thread"), refs.get("message")
        if isinstance(thread, str) and isinstance(message, int):
            return f"{base}/cell/t/{thread}#m-{message}"
    return f"{base}/notifications"


def describe(
    cell: Cell,
    conn: Connection,
    kind: str,
    urgency: str,
    items: list[dict[str, Any]],
    lang: str,
    zone: str,
    *,
    with_text: bool,
    base: str | None = None,
) -> Words:
    """The notification of entry kind `kind` with `items`, in `lang`, times in `zone`."""
    say = _Say(cell, lang, zone)
    first = items[0] if items else {}
    party_code = first.get("party") or _obj(first.get("by")).get("party")
    subject = say(SUBJECTS.get(kind, GENERIC_SUBJECT), party=say.party(party_code))
    words = Words(subject, say.urgency(urgency))
    for it in items:
        what = it.get("what")
        if what == "message":
            words.lines += _message_lines(say, conn, it, with_text)
        elif what in ("missed", "escalation"):
            words.lines.append(_deadline_line(say, it))
        elif what == "line_check":
            words.lines.append(
                say(N_("Line check: %(party)s must answer now."), party=say.party(it.get("party")))
            )
        elif what == "line_status":
            words.lines += _line_status_lines(say, it, with_text)
        elif what == "conflict":
            words.lines.append(
                say(
                    N_(
                        "%(party)s notified a planned activity that conflicts with an agreed "
                        "zone or with another party's activity."
                    ),
                    party=say.party(it.get("party")),
                )
            )
    root = (base if base is not None else cell.settings.notify_base_url).rstrip("/")
    words.link = _link(root, items)
    return words


def mail_text(cell: Cell, words: Words, lang: str) -> str:
    """The body of a notification e-mail (plain text)."""
    base = cell.settings.notify_base_url.rstrip("/")
    cell_name = localized(cell.charter.mechanism.name, lang)
    parts = [words.title(), "", *words.lines, "", i18n.translate(lang, OPEN, {"link": words.link})]
    parts += [
        "",
        "-- ",
        i18n.translate(lang, FOOTER, {"cell": cell_name, "link": f"{base}/notifications/settings"}),
    ]
    return "\n".join(parts) + "\n"

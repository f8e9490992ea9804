"""Which texts of which entries may be translated: (kind, field) -> where the text and its
language are in the entry's body.

The server always reads the original from the log (never from what a browser sends), so
every translatable text is named here. A capability adds its own with one line:

    register("dispute.raised", "text", ("text",))

`lang` is the path of the text's language (default: "lang" beside the text's own key).
A path may step into a list by position: a text given as a list of {text, lang} (a
meeting's title, an agenda) has one field per item, `title_0`, `title_1`, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Field:
    text: Path
    lang: Path


REGISTRY: dict[str, dict[str, Field]] = {}


def register(kind: str, field: str, text: Path, lang: Path = ()) -> None:
    """`field` of entries of `kind` is the text at `text`, in the language at `lang`
    (default: a key "lang" beside the text)."""
    REGISTRY.setdefault(kind, {})[field] = Field(text, lang or (*text[:-1], "lang"))


def register_list(kind: str, field: str, most: int) -> None:
    """`field` of entries of `kind` is a list of at most `most` {text, lang}: one field per
    item, `<field>_<position>`."""
    for i in range(most):
        register(kind, f"{field}_{i}", (field, i, "text"), (field, i, "lang"))


def _at(body: dict[str, Any], path: Path) -> Any:
    value: Any = body
    for key in path:
        if isinstance(key, int):
            if not isinstance(value, list) or key >= len(value):
                return None
            value = value[key]
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def original(kind: str, field: str, body: dict[str, Any]) -> tuple[str, str] | None:
    """The text `field` of an entry of `kind` and its language, or None where it has none."""
    f = REGISTRY.get(kind, {}).get(field)
    if f is None:
        return None
    text, lang = _at(body, f.text), _at(body, f.lang)
    if not isinstance(text, str) or not isinstance(lang, str) or not text:
        return None
    return text, lang


def fields_of(kind: str) -> list[str]:
    return sorted(REGISTRY.get(kind, {}))


# The communication cell (fusioncell.messaging.kinds).
register("cell.thread.opened", "topic", ("topic", "text"))
register("cell.message.posted", "text", ("text",))
register("cell.message.edited", "text", ("text",))
register("cell.message.retracted", "reason", ("reason", "text"))
# Intelligence (fusioncell.intel.kinds).
for _kind in ("intel.report.issued", "intel.report.corrected"):
    register(_kind, "title", ("title",))
    register(_kind, "summary", ("summary",))
    register(_kind, "body", ("body",))
register("intel.summary.released", "title", ("title",))
register("intel.summary.released", "text", ("text",))
register("intel.report.assessed", "text", ("text",))
register("intel.rfi.requested", "text", ("text",))
# De-escalation (fusioncell.deesc.kinds).
register("deesc.incident.reported", "description", ("description",))
register("deesc.activity.notified", "description", ("description",))
register("deesc.clarification.requested", "question", ("question",))
register("deesc.clarification.answered", "answer", ("answer",))
# Commerce (fusioncell.commerce.kinds).
for _kind in ("commerce.proposal.submitted", "commerce.proposal.revised"):
    register(_kind, "title", ("title",))
    register(_kind, "description", ("description",))
register("commerce.interest.expressed", "text", ("text",))
register("commerce.stage.changed", "text", ("text",))
# The line's suspensions and the duty's hand-over notes.
register("line.status.declared", "text", ("text",))
register("duty.handover.noted", "text", ("text",))
# A widened report's current version, for the parties released to by the widening.
for _field in ("title", "summary", "body"):
    register("intel.release.widened", _field, ("content", _field))
# Glossary notes (this package).
register("glossary.term.proposed", "note", ("note", "text"))
# Disputes (fusioncell.disputes.kinds).
for _field in ("title", "account", "request"):
    register("dispute.raised", _field, (_field,))
for _kind in (
    "dispute.answered",
    "dispute.statement.made",
    "dispute.finding.recorded",
    "dispute.resolution.proposed",
    "dispute.mediation.opened",
    "dispute.resolved",
    "dispute.withdrawn",
):
    register(_kind, "text", ("text",))
register("dispute.resolution.rejected", "reason", ("reason",))
register("dispute.referred", "reason", ("reason",))
# Understandings (fusioncell.understandings.kinds).
register("understanding.recorded", "text", ("text",))
register("understanding.recorded", "source", ("source",))
for _kind in (
    "understanding.status.changed",
    "understanding.timeline.set",
    "understanding.milestone.moved",
):
    register(_kind, "reason", ("reason",))
register("understanding.milestone.set", "title", ("title",))
register("understanding.milestone.met", "text", ("text",))
register("understanding.verification.recorded", "findings", ("findings",))
register("understanding.link.added", "note", ("note",))
# Diplomacy (fusioncell.diplomacy.kinds).
for _kind in (
    "diplomacy.minutes.recorded",
    "diplomacy.outcome.recorded",
    "diplomacy.followup.added",
    "diplomacy.followup.closed",
):
    register(_kind, "text", ("text",))
# A round's place and note, a meeting's title, place and agenda: lists of {text, lang},
# at most one per language of the cell (kinds.MAX_AGENDA agenda items).
_LANGS = 8
for _kind in ("diplomacy.round.recorded", "diplomacy.round.revised"):
    register_list(_kind, "place", _LANGS)
    register_list(_kind, "note", _LANGS)
register_list("diplomacy.meeting.scheduled", "title", _LANGS)
register_list("diplomacy.meeting.scheduled", "place", _LANGS)
register_list("diplomacy.meeting.scheduled", "agenda", 40)
# Joint statements' texts are written in every language of the cell; their titles and
# comments are written in one.
register("statement.created", "title", ("title",))
register("statement.comment.added", "text", ("text",))

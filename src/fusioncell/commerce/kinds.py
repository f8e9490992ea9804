"""Commercial opportunities: the entries and the shape of their bodies.

Every one is a statement signed by a member's device key, subject `c/<proposal>`, visible
to exactly the proposal's parties (chosen by the proposing party; the supervisor always,
where the charter puts it in every thread).

    commerce.proposal.submitted {proposal, parties, sector, title, description, lang,
                                 partners, value?, documents, understanding}
    commerce.proposal.revised   {proposal, sector, title, description, lang, partners,
                                 value?, documents, understanding}     a new version
    commerce.interest.expressed {proposal, level, text, lang}          another party's
    commerce.stage.changed      {proposal, stage, text?, lang?}

`value` is {amount, currency}: a whole number of units of an ISO 4217 currency. A document
is an attachment as in the cell's messages ({sha256, name, type, size}), uploaded first at
/api/v1/cell/attachments. Shapes are checked here; what depends on the log's state is
checked by the projector.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babel.numbers import list_currencies

from fusioncell.charter.schema import Charter
from fusioncell.errors import N_, Invalid
from fusioncell.messaging.kinds import (
    BIDI_CONTROLS,
    Attachment,
    _attachments,
    check_fields,
    check_text,
)

SUBMITTED = "commerce.proposal.submitted"
REVISED = "commerce.proposal.revised"
INTEREST = "commerce.interest.expressed"
STAGE = "commerce.stage.changed"
KINDS = frozenset({SUBMITTED, REVISED, INTEREST, STAGE})
# Labels for the pages' lists of entries (merged into fusioncell.web.labels.KIND_LABELS).
LABELS: dict[str, str] = {
    SUBMITTED: N_("Commercial proposal submitted"),
    REVISED: N_("Commercial proposal revised"),
    INTEREST: N_("Interest in a proposal stated"),
    STAGE: N_("Proposal's stage changed"),
}

# The fixed list of sectors; their names are translated on the pages.
SECTORS = ("energy", "water", "agriculture", "trade", "transport", "tourism", "health", "other")
SECTOR_NAMES = {
    "energy": N_("Energy"),
    "water": N_("Water"),
    "agriculture": N_("Agriculture"),
    "trade": N_("Trade"),
    "transport": N_("Transport"),
    "tourism": N_("Tourism"),
    "health": N_("Health"),
    "other": N_("Other"),
}

INTERESTED = "interested"
NOT_INTERESTED = "not_interested"
NEED_MORE = "need_more"
LEVELS = (INTERESTED, NOT_INTERESTED, NEED_MORE)
LEVEL_NAMES = {
    INTERESTED: N_("Interested"),
    NOT_INTERESTED: N_("Not interested"),
    NEED_MORE: N_("Needs more information"),
}

PROPOSED = "proposed"
UNDER_REVIEW = "under_review"
AGREED = "agreed_in_principle"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
DECLINED = "declined"
STAGES = (PROPOSED, UNDER_REVIEW, AGREED, IN_PROGRESS, COMPLETED, DECLINED)
STAGE_NAMES = {
    PROPOSED: N_("Proposed"),
    UNDER_REVIEW: N_("Under review"),
    AGREED: N_("Agreed in principle"),
    IN_PROGRESS: N_("In progress"),
    COMPLETED: N_("Completed"),
    DECLINED: N_("Declined"),
}
FINAL = frozenset({COMPLETED, DECLINED})
# Each stage moves one step forward; any stage not final may be declined.
NEXT = {PROPOSED: UNDER_REVIEW, UNDER_REVIEW: AGREED, AGREED: IN_PROGRESS, IN_PROGRESS: COMPLETED}

PROPOSAL_RE = re.compile(r"^[a-z0-9][a-z0-9-]{7,31}$")
CURRENCIES = frozenset(c for c in list_currencies() if re.fullmatch(r"[A-Z]{3}", c))
MAX_TITLE_CHARS = 200
MAX_PARTNERS = 20
MAX_PARTNER_CHARS = 200
MAX_AMOUNT = 10**15  # whole units: more than any one project's value


def subject(proposal: str) -> str:
    return f"c/{proposal}"


def proposal_of_subject(subj: str) -> str | None:
    return subj[2:] if subj.startswith("c/") else None


def check_proposal_id(value: Any) -> str:
    if not isinstance(value, str) or not PROPOSAL_RE.match(value):
        raise Invalid(N_("a proposal id is 8-32 of a-z, 0-9 and -"))
    return value


@dataclass(frozen=True, slots=True)
class Value:
    amount: int
    currency: str

    def to_json(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency}


@dataclass(frozen=True, slots=True)
class Content:
    """What a proposal says; every version holds all of it."""

    sector: str
    title: str
    description: str
    lang: str
    partners: tuple[str, ...]
    value: Value | None
    documents: tuple[Attachment, ...]
    understanding: str

    def to_json(self) -> dict[str, Any]:
        return {
            "sector": self.sector,
            "title": self.title,
            "description": self.description,
            "lang": self.lang,
            "partners": list(self.partners),
            "value": self.value.to_json() if self.value else None,
            "documents": [d.to_json() for d in self.documents],
            "understanding": self.understanding,
        }


@dataclass(frozen=True, slots=True)
class Submitted:
    proposal: str
    parties: tuple[str, ...]
    content: Content


@dataclass(frozen=True, slots=True)
class Revised:
    proposal: str
    content: Content


@dataclass(frozen=True, slots=True)
class Interest:
    proposal: str
    level: str
    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class Stage:
    proposal: str
    stage: str
    text: str | None
    lang: str | None


_CONTENT = {"sector", "title", "description", "lang", "partners", "documents", "understanding"}


def _plain(value: Any, limit: int, message: str) -> str:
    """A short single-line text (a partner's name): no control or bidi characters."""
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > limit
        or any(c in BIDI_CONTROLS or unicodedata.category(c) == "Cc" for c in value)
    ):
        raise Invalid(message, limit=limit)
    return value.strip()


def _value(value: Any) -> Value | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise Invalid(N_("value is {amount, currency}"))
    amount, currency = value["amount"], value["currency"]
    if type(amount) is not int or not 0 <= amount <= MAX_AMOUNT:
        raise Invalid(
            N_("value's amount is a whole number from 0 to %(max)s"), max=f"{MAX_AMOUNT:,}"
        )
    if not isinstance(currency, str) or currency not in CURRENCIES:
        raise Invalid(N_("value's currency must be an ISO 4217 code such as USD or EUR"))
    return Value(amount, currency)


def _content(body: dict[str, Any], charter: Charter) -> Content:
    sector = body["sector"]
    if not isinstance(sector, str) or sector not in SECTORS:
        raise Invalid(N_("sector must be one of %(sectors)s"), sectors=", ".join(SECTORS))
    lang = body["lang"]
    title, lang = check_text(body["title"], lang, charter, max_chars=MAX_TITLE_CHARS, what="title")
    description, _ = check_text(body["description"], lang, charter, what="description")
    partners = body["partners"]
    if not isinstance(partners, list) or len(partners) > MAX_PARTNERS:
        raise Invalid(N_("partners is a list of at most %(n)s names"), n=MAX_PARTNERS)
    names = tuple(
        _plain(p, MAX_PARTNER_CHARS, N_("a partner is plain text of 1-%(limit)s characters"))
        for p in partners
    )
    if len(set(names)) != len(names):
        raise Invalid(N_("a partner is named twice"))
    understanding = body["understanding"]
    if not isinstance(understanding, str) or understanding not in {
        u.id for u in charter.understandings
    }:
        raise Invalid(N_("unknown understanding %(id)s"), id=str(understanding)[:40])
    documents = _attachments(body["documents"])
    return Content(
        sector,
        title,
        description,
        lang,
        names,
        _value(body.get("value")),
        tuple(documents),
        understanding,
    )


def _submitted(body: dict[str, Any], charter: Charter) -> Submitted:
    check_fields(body, {"proposal", "parties"} | _CONTENT, frozenset({"value"}))
    proposal = check_proposal_id(body["proposal"])
    parties = body["parties"]
    if (
        not isinstance(parties, list)
        or len(parties) < 2
        or not all(isinstance(p, str) for p in parties)
        or parties != sorted(set(parties))
    ):
        raise Invalid(N_("parties is a sorted list of at least two party codes"))
    unknown = [p for p in parties if p not in charter.codes]
    if unknown:
        raise Invalid(N_("unknown party %(party)s"), party=unknown[0][:8])
    sup = charter.supervisor
    if charter.cell.supervisor_in_every_thread and sup is not None and sup.code not in parties:
        raise Invalid(
            N_("the charter puts the supervisor %(party)s in every proposal"), party=sup.code
        )
    return Submitted(proposal, tuple(parties), _content(body, charter))


def _revised(body: dict[str, Any], charter: Charter) -> Revised:
    check_fields(body, {"proposal"} | _CONTENT, frozenset({"value"}))
    return Revised(check_proposal_id(body["proposal"]), _content(body, charter))


def _interest(body: dict[str, Any], charter: Charter) -> Interest:
    check_fields(body, {"proposal", "level", "text", "lang"})
    level = body["level"]
    if not isinstance(level, str) or level not in LEVELS:
        raise Invalid(N_("level must be one of %(levels)s"), levels=", ".join(LEVELS))
    text, lang = check_text(body["text"], body["lang"], charter)
    return Interest(check_proposal_id(body["proposal"]), level, text, lang)


def _stage(body: dict[str, Any], charter: Charter) -> Stage:
    check_fields(body, {"proposal", "stage"}, frozenset({"text", "lang"}))
    stage = body["stage"]
    if not isinstance(stage, str) or stage not in STAGES or stage == PROPOSED:
        raise Invalid(N_("stage must be one of %(stages)s"), stages=", ".join(STAGES[1:]))
    text: str | None = None
    lang: str | None = None
    if "text" in body or "lang" in body:
        text, lang = check_text(body.get("text"), body.get("lang"), charter)
    if stage == DECLINED and text is None:
        raise Invalid(N_("declining a proposal needs a text that says why"))
    return Stage(check_proposal_id(body["proposal"]), stage, text, lang)


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    SUBMITTED: _submitted,
    REVISED: _revised,
    INTEREST: _interest,
    STAGE: _stage,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check a commerce entry's body against its kind and the charter; return it typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown commerce entry kind %(kind)s"), kind=kind)
    return parser(body, charter)

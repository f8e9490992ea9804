"""Disputes: the entries and the shape of their bodies.

Every one is a statement signed by a member's device key, subject `d/<dispute>`, visible
to exactly the dispute's parties (chosen by the raising party; the supervising party
always, the counterparty always).

    dispute.raised             {dispute, parties, title, account, request, lang, cites,
                                understanding?}                  cites: log indices
    dispute.answered           {dispute, text, lang}             the other party's answer
    dispute.statement.made     {dispute, text, lang}             either party, later
    dispute.mediation.opened   {dispute, text?, lang?}           the supervisor
    dispute.finding.recorded   {dispute, finding, text, lang}    agreed | disputed | finding
    dispute.resolution.proposed {dispute, text, lang}            supersedes the earlier one
    dispute.resolution.accepted {dispute, proposal}              proposal: its log index
    dispute.resolution.rejected {dispute, proposal, reason, lang}
    dispute.resolved           {dispute, proposal, text?, lang?} the supervisor
    dispute.withdrawn          {dispute, text?, lang?}           the raising party
    dispute.referred           {dispute, to, reason, lang}       to: heads_of_delegation |
                                                                 next_round

Shapes are checked here; what depends on the log's state is checked by the projector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fusioncell.charter.schema import Charter
from fusioncell.errors import N_, Invalid
from fusioncell.messaging.kinds import check_fields, check_text

RAISED = "dispute.raised"
ANSWERED = "dispute.answered"
STATEMENT = "dispute.statement.made"
MEDIATION = "dispute.mediation.opened"
FINDING = "dispute.finding.recorded"
PROPOSED = "dispute.resolution.proposed"
ACCEPTED = "dispute.resolution.accepted"
REJECTED = "dispute.resolution.rejected"
RESOLVED = "dispute.resolved"
WITHDRAWN = "dispute.withdrawn"
REFERRED = "dispute.referred"
KINDS = frozenset(
    {
        RAISED,
        ANSWERED,
        STATEMENT,
        MEDIATION,
        FINDING,
        PROPOSED,
        ACCEPTED,
        REJECTED,
        RESOLVED,
        WITHDRAWN,
        REFERRED,
    }
)
# Labels for the pages' lists of entries (merged into fusioncell.web.labels.KIND_LABELS).
LABELS: dict[str, str] = {
    RAISED: N_("Dispute raised"),
    ANSWERED: N_("Dispute answered"),
    STATEMENT: N_("Statement in a dispute"),
    MEDIATION: N_("Mediation opened"),
    FINDING: N_("Finding recorded in a dispute"),
    PROPOSED: N_("Resolution proposed"),
    ACCEPTED: N_("Resolution accepted"),
    REJECTED: N_("Resolution rejected"),
    RESOLVED: N_("Dispute resolved"),
    WITHDRAWN: N_("Dispute withdrawn"),
    REFERRED: N_("Dispute referred"),
}

# Stages, in the order a dispute usually goes through them.
ST_RAISED = "raised"
ST_ANSWERED = "answered"
ST_MEDIATION = "in_mediation"
ST_RESOLVED = "resolved"
ST_WITHDRAWN = "withdrawn"
ST_REFERRED = "referred"
STAGES = (ST_RAISED, ST_ANSWERED, ST_MEDIATION, ST_RESOLVED, ST_WITHDRAWN, ST_REFERRED)
STAGE_NAMES = {
    ST_RAISED: N_("Raised"),
    ST_ANSWERED: N_("Answered"),
    ST_MEDIATION: N_("In mediation"),
    ST_RESOLVED: N_("Resolved"),
    ST_WITHDRAWN: N_("Withdrawn"),
    ST_REFERRED: N_("Referred"),
}
FINAL = frozenset({ST_RESOLVED, ST_WITHDRAWN, ST_REFERRED})

AGREED_FACT = "agreed"
DISPUTED_FACT = "disputed"
FINDING_ = "finding"
FINDINGS = (AGREED_FACT, DISPUTED_FACT, FINDING_)
FINDING_NAMES = {
    AGREED_FACT: N_("Agreed fact"),
    DISPUTED_FACT: N_("Disputed fact"),
    FINDING_: N_("Finding"),
}

TO_HEADS = "heads_of_delegation"
TO_NEXT_ROUND = "next_round"
REFERRALS = (TO_HEADS, TO_NEXT_ROUND)
REFERRAL_NAMES = {
    TO_HEADS: N_("The heads of delegation"),
    TO_NEXT_ROUND: N_("The next round of talks"),
}

DISPUTE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{7,31}$")
MAX_TITLE_CHARS = 200
MAX_CITES = 20


def subject(dispute: str) -> str:
    return f"d/{dispute}"


def dispute_of_subject(subj: str) -> str | None:
    return subj[2:] if subj.startswith("d/") else None


def check_dispute_id(value: Any) -> str:
    if not isinstance(value, str) or not DISPUTE_RE.match(value):
        raise Invalid(N_("a dispute id is 8-32 of a-z, 0-9 and -"))
    return value


@dataclass(frozen=True, slots=True)
class Raised:
    dispute: str
    parties: tuple[str, ...]
    title: str
    account: str
    request: str
    lang: str
    cites: tuple[int, ...]
    understanding: str | None


@dataclass(frozen=True, slots=True)
class Said:
    """An answer or a later statement: a party's own words."""

    dispute: str
    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class Noted:
    """Mediation opened, or a dispute withdrawn: an optional text."""

    dispute: str
    text: str | None
    lang: str | None


@dataclass(frozen=True, slots=True)
class Finding:
    dispute: str
    finding: str
    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class Response:
    """A party's acceptance (reason None) or rejection of a proposed resolution."""

    dispute: str
    proposal: int
    reason: str | None
    lang: str | None


@dataclass(frozen=True, slots=True)
class Resolved:
    dispute: str
    proposal: int
    text: str | None
    lang: str | None


@dataclass(frozen=True, slots=True)
class Referred:
    dispute: str
    to: str
    reason: str
    lang: str


def _index(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise Invalid(N_("%(what)s must be a log index (a whole number)"), what=what)
    return value


def _optional_text(body: dict[str, Any], charter: Charter) -> tuple[str | None, str | None]:
    if "text" in body or "lang" in body:
        return check_text(body.get("text"), body.get("lang"), charter)
    return None, None


def _raised(body: dict[str, Any], charter: Charter) -> Raised:
    check_fields(
        body,
        {"dispute", "parties", "title", "account", "request", "lang", "cites"},
        frozenset({"understanding"}),
    )
    dispute = check_dispute_id(body["dispute"])
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
    if sup is not None and sup.code not in parties:
        raise Invalid(
            N_("the supervisor %(party)s is a party of every dispute: it mediates"),
            party=sup.code,
        )
    lang = body["lang"]
    title, lang = check_text(body["title"], lang, charter, max_chars=MAX_TITLE_CHARS, what="title")
    account, _ = check_text(body["account"], lang, charter, what="account")
    request, _ = check_text(body["request"], lang, charter, what="request")
    cites = body["cites"]
    if not isinstance(cites, list) or len(cites) > MAX_CITES:
        raise Invalid(N_("cites is a list of at most %(n)s log indices"), n=MAX_CITES)
    indices = [_index(c, "a cited entry") for c in cites]
    if indices != sorted(set(indices)):
        raise Invalid(N_("cites is a sorted list of distinct log indices"))
    understanding = body.get("understanding")
    if understanding is not None and (
        not isinstance(understanding, str)
        or understanding not in {u.id for u in charter.understandings}
    ):
        raise Invalid(N_("unknown understanding %(id)s"), id=str(understanding)[:64])
    if not indices and understanding is None:
        raise Invalid(N_("a dispute cites at least one entry of the log or an understanding"))
    return Raised(
        dispute, tuple(parties), title, account, request, lang, tuple(indices), understanding
    )


def _said(body: dict[str, Any], charter: Charter) -> Said:
    check_fields(body, {"dispute", "text", "lang"})
    text, lang = check_text(body["text"], body["lang"], charter)
    return Said(check_dispute_id(body["dispute"]), text, lang)


def _noted(body: dict[str, Any], charter: Charter) -> Noted:
    check_fields(body, {"dispute"}, frozenset({"text", "lang"}))
    text, lang = _optional_text(body, charter)
    return Noted(check_dispute_id(body["dispute"]), text, lang)


def _finding(body: dict[str, Any], charter: Charter) -> Finding:
    check_fields(body, {"dispute", "finding", "text", "lang"})
    finding = body["finding"]
    if not isinstance(finding, str) or finding not in FINDINGS:
        raise Invalid(N_("finding must be one of %(findings)s"), findings=", ".join(FINDINGS))
    text, lang = check_text(body["text"], body["lang"], charter)
    return Finding(check_dispute_id(body["dispute"]), finding, text, lang)


def _accepted(body: dict[str, Any], charter: Charter) -> Response:
    check_fields(body, {"dispute", "proposal"})
    return Response(
        check_dispute_id(body["dispute"]), _index(body["proposal"], "proposal"), None, None
    )


def _rejected(body: dict[str, Any], charter: Charter) -> Response:
    check_fields(body, {"dispute", "proposal", "reason", "lang"})
    reason, lang = check_text(body["reason"], body["lang"], charter, what="reason")
    return Response(
        check_dispute_id(body["dispute"]), _index(body["proposal"], "proposal"), reason, lang
    )


def _resolved(body: dict[str, Any], charter: Charter) -> Resolved:
    check_fields(body, {"dispute", "proposal"}, frozenset({"text", "lang"}))
    text, lang = _optional_text(body, charter)
    return Resolved(
        check_dispute_id(body["dispute"]), _index(body["proposal"], "proposal"), text, lang
    )


def _referred(body: dict[str, Any], charter: Charter) -> Referred:
    check_fields(body, {"dispute", "to", "reason", "lang"})
    to = body["to"]
    if not isinstance(to, str) or to not in REFERRALS:
        raise Invalid(N_("to must be one of %(to)s"), to=", ".join(REFERRALS))
    reason, lang = check_text(body["reason"], body["lang"], charter, what="reason")
    return Referred(check_dispute_id(body["dispute"]), to, reason, lang)


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    RAISED: _raised,
    ANSWERED: _said,
    STATEMENT: _said,
    MEDIATION: _noted,
    FINDING: _finding,
    PROPOSED: _said,
    ACCEPTED: _accepted,
    REJECTED: _rejected,
    RESOLVED: _resolved,
    WITHDRAWN: _noted,
    REFERRED: _referred,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check a dispute entry's body against its kind and the charter; return it typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown dispute entry kind %(kind)s"), kind=kind)
    return parser(body, charter)

"""Human labels for values that come from data, not from templates: the kinds of log
entries and the members' roles. The English labels are msgids (marked with `N_` so that
scripts/i18n extracts them); the pages show them translated, through the Jinja filters
`kind_label` and `role_label` (fusioncell.web.i18n.environment)."""

from __future__ import annotations

from collections.abc import Callable

from fusioncell.commerce.kinds import LABELS as COMMERCE_LABELS
from fusioncell.deesc.kinds import LABELS as DEESC_LABELS
from fusioncell.diplomacy.kinds import LABELS as DIPLOMACY_LABELS
from fusioncell.disputes.kinds import LABELS as DISPUTES_LABELS
from fusioncell.duty.kinds import LABELS as DUTY_LABELS
from fusioncell.errors import N_
from fusioncell.intel.kinds import LABELS as INTEL_LABELS
from fusioncell.language.kinds import LABELS as LANGUAGE_LABELS
from fusioncell.statements.kinds import LABELS as STATEMENTS_LABELS
from fusioncell.understandings.kinds import LABELS as UNDERSTANDINGS_LABELS

KIND_LABELS: dict[str, str] = {
    "charter.adopted": N_("Charter adopted"),
    "member.added": N_("Member added"),
    "member.disabled": N_("Member disabled"),
    "member.key.registered": N_("Member's key registered"),
    "member.key.revoked": N_("Member's key revoked"),
    "witness.key.registered": N_("Witness key registered"),
    "witness.key.revoked": N_("Witness key revoked"),
    "note.posted": N_("Note"),
    "cell.thread.opened": N_("Thread opened in the cell"),
    "cell.message.posted": N_("Message posted to the cell"),
    "cell.message.edited": N_("Message edited"),
    "cell.message.retracted": N_("Message retracted"),
    "cell.message.acknowledged": N_("Message acknowledged"),
    "cell.message.pinned": N_("Message pinned"),
    "cell.message.unpinned": N_("Message unpinned"),
    "system.deadline.missed": N_("Deadline missed"),
    "system.escalation.notified": N_("Escalation: notified"),
    "system.line_check.sent": N_("Line check sent (scheduled)"),
    "line.check.requested": N_("Line check sent on demand"),
    "line.check.answered": N_("Line check answered"),
    "line.status.declared": N_("Line suspended or resumed"),
    **DUTY_LABELS,
    **COMMERCE_LABELS,
    **INTEL_LABELS,
    **LANGUAGE_LABELS,
    **DEESC_LABELS,
    **DIPLOMACY_LABELS,
    **DISPUTES_LABELS,
    **UNDERSTANDINGS_LABELS,
    **STATEMENTS_LABELS,
}

ROLE_LABELS: dict[str, str] = {
    "party_admin": N_("Party administrator"),
    "head_of_delegation": N_("Head of delegation"),
    "liaison_officer": N_("Liaison officer"),
    "duty_officer": N_("Duty officer"),
    "supervisor": N_("Supervisor"),
    "auditor": N_("Auditor"),
    "witness": N_("Witness"),
}

# Titles of the error page, by HTTP status.
STATUS_TITLES: dict[int, str] = {
    400: N_("Invalid request"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("Conflict"),
    413: N_("Too large"),
    429: N_("Too many attempts"),
}
ERROR_TITLE = N_("Error")

# The details Starlette gives its own HTTP errors, shown on the error page.
_HTTP_DETAILS = (N_("Not Found"), N_("Method Not Allowed"))


def _value(x: object) -> str:
    return str(getattr(x, "value", x))


def kind_label(kind: object, gettext: Callable[[str], str]) -> str:
    """The entry kind's label in the reader's language; an unknown kind as it is."""
    raw = _value(kind)
    label = KIND_LABELS.get(raw)
    return gettext(label) if label is not None else raw


def role_label(role: object, gettext: Callable[[str], str]) -> str:
    """The role's label in the reader's language; an unknown role as it is."""
    raw = _value(role)
    label = ROLE_LABELS.get(raw)
    return gettext(label) if label is not None else raw

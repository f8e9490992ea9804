"""Understandings from Python: everything the pages do, signed on this device."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from fusioncell.client import ClientError, MemberClient, Receipt
from fusioncell.understandings import kinds


def new_milestone_id() -> str:
    return secrets.token_hex(8)


class UnderstandingsClient(MemberClient):
    """A member's device. Writes are signed statements (see understandings.kinds), visible
    to every party of the charter but links (visible to the linked entry's readers); reads
    come from /api/v1/understandings."""

    def __init__(self, *args: Any, verify: bool = True, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.verify = verify
        self._codes: list[str] | None = None

    def _get_json(self, path: str) -> Any:
        r = self._ok(self.http.get(f"/api/v1/understandings{path}", headers=self.headers))
        return r.json()

    # ---- reading ---------------------------------------------------------------------

    def understandings(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._get_json("")["understandings"]
        return out

    def understanding(self, understanding: str) -> dict[str, Any]:
        out: dict[str, Any] = self._get_json(f"/{understanding}")
        return out

    def codes(self) -> list[str]:
        """Every party of the charter (the visibility of the shared record), as entry 0
        shows them."""
        if self._codes is None:
            [e] = self.entries(0, 1)
            leaf = json.loads(base64.b64decode(e["entry"]))
            self._codes = sorted(leaf["statement"]["visibility"])
        return self._codes

    def entry_visibility(self, index: int) -> list[str] | None:
        """Who reads entry `index`, if this member's party may read it; None otherwise."""
        try:
            [e] = self.entries(index, index + 1)
        except ClientError:
            return None
        if e.get("entry") is None:
            return None
        leaf = json.loads(base64.b64decode(e["entry"]))
        return list(leaf["statement"]["visibility"])

    # ---- writing ---------------------------------------------------------------------

    def _on(self, kind: str, understanding: str, body: dict[str, Any]) -> Receipt:
        return self.post(
            kind,
            kinds.subject(understanding),
            self.codes(),
            {"understanding": understanding, **body},
            verify=self.verify,
        )

    def record(
        self,
        understanding: str,
        kind: str,
        text: str,
        lang: str,
        parties: list[str],
        source: str,
        workstream: str | None = None,
    ) -> Receipt:
        """Record an understanding: joint (the supervisor), or stated by the caller's party,
        with where it was said (`source`, in `lang`)."""
        body: dict[str, Any] = {
            "kind": kind,
            "text": text,
            "lang": lang,
            "parties": sorted(set(parties)),
            "source": source,
        }
        if workstream is not None:
            body["workstream"] = workstream
        return self._on(kinds.RECORDED, understanding, body)

    def set_status(
        self,
        understanding: str,
        status: str,
        reason: str,
        lang: str,
        evidence: list[int] | None = None,
    ) -> Receipt:
        return self._on(
            kinds.STATUS,
            understanding,
            {"status": status, "reason": reason, "lang": lang, "evidence": evidence or []},
        )

    def set_timeline(
        self, understanding: str, start: str | None, end: str | None, reason: str, lang: str
    ) -> Receipt:
        """Start and end dates (YYYY-MM-DD, or None for none)."""
        return self._on(
            kinds.TIMELINE,
            understanding,
            {"start": start, "end": end, "reason": reason, "lang": lang},
        )

    def set_milestone(
        self,
        understanding: str,
        title: str,
        lang: str,
        due: str,
        parties: list[str],
        *,
        milestone: str | None = None,
    ) -> tuple[str, Receipt]:
        mid = milestone or new_milestone_id()
        receipt = self._on(
            kinds.MILESTONE_SET,
            understanding,
            {
                "milestone": mid,
                "title": title,
                "lang": lang,
                "due": due,
                "parties": sorted(set(parties)),
            },
        )
        return mid, receipt

    def move_milestone(
        self, understanding: str, milestone: str, due: str, reason: str, lang: str
    ) -> Receipt:
        return self._on(
            kinds.MILESTONE_MOVED,
            understanding,
            {"milestone": milestone, "due": due, "reason": reason, "lang": lang},
        )

    def meet_milestone(
        self, understanding: str, milestone: str, text: str, lang: str, evidence: list[int]
    ) -> Receipt:
        return self._on(
            kinds.MILESTONE_MET,
            understanding,
            {"milestone": milestone, "text": text, "lang": lang, "evidence": evidence},
        )

    def verify_report(
        self,
        understanding: str,
        assessment: str,
        findings: str,
        lang: str,
        evidence: list[int] | None = None,
    ) -> Receipt:
        """The supervisor's verification report."""
        return self._on(
            kinds.VERIFIED,
            understanding,
            {
                "assessment": assessment,
                "findings": findings,
                "lang": lang,
                "evidence": evidence or [],
            },
        )

    def link(
        self, understanding: str, entry: int, note: str | None = None, lang: str | None = None
    ) -> Receipt:
        """Link an entry this party can read; the link is visible to exactly its readers.
        An entry it cannot read is refused by the log as one that does not exist."""
        vis = self.entry_visibility(entry) or self.codes()
        body: dict[str, Any] = {"understanding": understanding, "entry": entry}
        if note is not None:
            body["note"] = note
            body["lang"] = lang
        return self.post(kinds.LINKED, kinds.subject(understanding), vis, body, verify=self.verify)

"""The line from Python: what the /line page does, signed on this device."""

from __future__ import annotations

import secrets
from typing import Any

from fusioncell.client import MemberClient, Receipt
from fusioncell.line import kinds


def new_check_id() -> str:
    return secrets.token_hex(8)


class LineClient(MemberClient):
    """A member's device on the line. Writes are signed statements visible to every party
    (fusioncell.line.kinds); reads come from /api/v1/line."""

    def __init__(self, *args: Any, parties: list[str] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._parties = parties

    def parties(self) -> list[str]:
        """Every party of the cell: the visibility of the line's entries."""
        if self._parties is None:
            r = self._ok(self.http.get("/api/v1/me", headers=self.headers))
            self._parties = sorted(r.json()["parties"])
        return self._parties

    # ---- reading ---------------------------------------------------------------------

    def overview(self, limit: int | None = None) -> dict[str, Any]:
        params = {"limit": limit} if limit else None
        r = self._ok(self.http.get("/api/v1/line", params=params, headers=self.headers))
        out: dict[str, Any] = r.json()
        return out

    def check(self, check: str) -> dict[str, Any]:
        r = self._ok(self.http.get(f"/api/v1/line/checks/{check}", headers=self.headers))
        out: dict[str, Any] = r.json()
        return out

    # ---- writing ---------------------------------------------------------------------

    def request_check(
        self, parties: list[str] | None = None, *, check: str | None = None
    ) -> tuple[str, Receipt]:
        """Send a check now (the supervisor): to `parties`, by default every party."""
        cid = check or new_check_id()
        body = {"check": cid, "parties": sorted(set(parties or self.parties()))}
        return cid, self.post(kinds.REQUESTED, kinds.check_subject(cid), self.parties(), body)

    def answer(self, check: str, party: str | None = None) -> Receipt:
        """Answer a check as the party's duty holder."""
        body: dict[str, Any] = {"check": check}
        if party is not None:
            body["party"] = party
        return self.post(kinds.ANSWERED, kinds.check_subject(check), self.parties(), body)

    def declare(self, state: str, text: str | None = None, lang: str | None = None) -> Receipt:
        """Declare the line suspended (with a reason) or resumed."""
        body: dict[str, Any] = {"state": state}
        if text is not None:
            body["text"] = text
        if lang is not None:
            body["lang"] = lang
        return self.post(kinds.DECLARED, kinds.STATUS_SUBJECT, self.parties(), body)

    def suspend(self, text: str, lang: str) -> Receipt:
        return self.declare(kinds.SUSPENDED, text, lang)

    def resume(self, text: str | None = None, lang: str | None = None) -> Receipt:
        return self.declare(kinds.RESUMED, text, lang)

"""Disputes from Python: everything the pages do, signed on this device."""

from __future__ import annotations

import secrets
from typing import Any

from fusioncell.client import Receipt
from fusioncell.disputes import kinds
from fusioncell.messaging.client import CellClient


def new_dispute_id() -> str:
    return secrets.token_hex(8)


class DisputesClient(CellClient):
    """A member's device (a CellClient: it writes the cell's messages it may cite too).
    Writes are signed statements (see disputes.kinds); reads come from /api/v1/disputes."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._dispute_parties: dict[str, list[str]] = {}  # never change

    def _disputes_get(self, path: str, **kw: Any) -> Any:
        return self._ok(self.http.get(f"/api/v1/disputes{path}", headers=self.headers, **kw))

    # ---- reading ---------------------------------------------------------------------

    def disputes(
        self,
        stage: str | None = None,
        *,
        understanding: str | None = None,
        entry: int | None = None,
    ) -> list[Any]:
        params = {
            k: v
            for k, v in {"stage": stage, "understanding": understanding, "entry": entry}.items()
            if v is not None
        }
        out: list[Any] = self._disputes_get("", params=params or None).json()["disputes"]
        return out

    def dispute(self, dispute: str) -> dict[str, Any]:
        out: dict[str, Any] = self._disputes_get(f"/{dispute}").json()
        self._dispute_parties[dispute] = out["dispute"]["parties"]
        return out

    def citable(self, index: int) -> dict[str, Any]:
        out: dict[str, Any] = self._disputes_get(f"/citable/{index}").json()
        return out

    def evidence(self, dispute: str) -> bytes:
        """The evidence bundle's file, as downloaded (verify it with `log verify FILE`)."""
        return bytes(self._disputes_get(f"/{dispute}/evidence").content)

    # ---- writing ---------------------------------------------------------------------

    def parties_of(self, dispute: str) -> list[str]:
        if dispute not in self._dispute_parties:
            self.dispute(dispute)
        return self._dispute_parties[dispute]

    def _on(self, kind: str, dispute: str, body: dict[str, Any]) -> Receipt:
        return self.post(
            kind,
            kinds.subject(dispute),
            self.parties_of(dispute),
            {"dispute": dispute, **body},
            verify=self.verify,
        )

    def raise_dispute(
        self,
        parties: list[str],
        title: str,
        account: str,
        request: str,
        lang: str,
        *,
        cites: list[int] | None = None,
        understanding: str | None = None,
        dispute: str | None = None,
    ) -> tuple[str, Receipt]:
        """Raise a dispute with `parties` (the caller's own party is added here; the
        supervisor must be among them) about log entries `cites` and/or an understanding."""
        did = dispute or new_dispute_id()
        ps = sorted({*parties, self.author.party})
        body: dict[str, Any] = {
            "dispute": did,
            "parties": ps,
            "title": title,
            "account": account,
            "request": request,
            "lang": lang,
            "cites": sorted(set(cites or [])),
        }
        if understanding is not None:
            body["understanding"] = understanding
        receipt = self.post(kinds.RAISED, kinds.subject(did), ps, body, verify=self.verify)
        self._dispute_parties[did] = ps
        return did, receipt

    def answer(self, dispute: str, text: str, lang: str) -> Receipt:
        return self._on(kinds.ANSWERED, dispute, {"text": text, "lang": lang})

    def state(self, dispute: str, text: str, lang: str) -> Receipt:
        """A further statement of the caller's party, after the raising and the answer."""
        return self._on(kinds.STATEMENT, dispute, {"text": text, "lang": lang})

    @staticmethod
    def _text(text: str | None, lang: str | None) -> dict[str, Any]:
        return {} if text is None else {"text": text, "lang": lang}

    def open_mediation(
        self, dispute: str, text: str | None = None, lang: str | None = None
    ) -> Receipt:
        return self._on(kinds.MEDIATION, dispute, self._text(text, lang))

    def record_finding(self, dispute: str, finding: str, text: str, lang: str) -> Receipt:
        """`finding`: agreed (an agreed fact), disputed (a disputed fact) or finding."""
        return self._on(kinds.FINDING, dispute, {"finding": finding, "text": text, "lang": lang})

    def propose(self, dispute: str, text: str, lang: str) -> Receipt:
        """Propose a resolution; it supersedes any earlier proposal. Its index is the
        receipt's."""
        return self._on(kinds.PROPOSED, dispute, {"text": text, "lang": lang})

    def accept(self, dispute: str, proposal: int) -> Receipt:
        return self._on(kinds.ACCEPTED, dispute, {"proposal": proposal})

    def reject(self, dispute: str, proposal: int, reason: str, lang: str) -> Receipt:
        return self._on(
            kinds.REJECTED, dispute, {"proposal": proposal, "reason": reason, "lang": lang}
        )

    def resolve(
        self, dispute: str, proposal: int, text: str | None = None, lang: str | None = None
    ) -> Receipt:
        return self._on(kinds.RESOLVED, dispute, {"proposal": proposal, **self._text(text, lang)})

    def withdraw(self, dispute: str, text: str | None = None, lang: str | None = None) -> Receipt:
        return self._on(kinds.WITHDRAWN, dispute, self._text(text, lang))

    def refer(self, dispute: str, to: str, reason: str, lang: str) -> Receipt:
        """`to`: heads_of_delegation or next_round."""
        return self._on(kinds.REFERRED, dispute, {"to": to, "reason": reason, "lang": lang})

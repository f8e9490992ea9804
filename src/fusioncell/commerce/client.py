"""Commercial opportunities from Python: everything the pages do, signed on this device."""

from __future__ import annotations

import secrets
from typing import Any

from fusioncell.client import Receipt
from fusioncell.commerce import kinds
from fusioncell.messaging.client import CellClient


def new_proposal_id() -> str:
    return secrets.token_hex(8)


class CommerceClient(CellClient):
    """A member's device (a CellClient: documents are uploaded with `upload`). Writes are
    signed statements (see commerce.kinds); reads come from /api/v1/commerce."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._proposal_parties: dict[str, list[str]] = {}  # never change

    def _commerce(self, path: str, **kw: Any) -> Any:
        r = self._ok(self.http.get(f"/api/v1/commerce{path}", headers=self.headers, **kw))
        return r.json()

    # ---- reading ---------------------------------------------------------------------

    def proposals(self, stage: str | None = None, sector: str | None = None) -> list[Any]:
        params = {k: v for k, v in {"stage": stage, "sector": sector}.items() if v}
        out: list[Any] = self._commerce("/proposals", params=params or None)["proposals"]
        return out

    def proposal(self, proposal: str) -> dict[str, Any]:
        out: dict[str, Any] = self._commerce(f"/proposals/{proposal}")
        self._proposal_parties[proposal] = out["proposal"]["parties"]
        return out

    def document(self, proposal: str, sha256: str) -> bytes:
        r = self._ok(
            self.http.get(
                f"/api/v1/commerce/proposals/{proposal}/documents/{sha256}", headers=self.headers
            )
        )
        return r.content

    # ---- writing ---------------------------------------------------------------------

    def proposal_parties(self, proposal: str) -> list[str]:
        if proposal not in self._proposal_parties:
            self.proposal(proposal)
        return self._proposal_parties[proposal]

    def _on(self, kind: str, proposal: str, body: dict[str, Any]) -> Receipt:
        return self.post(
            kind,
            kinds.subject(proposal),
            self.proposal_parties(proposal),
            {"proposal": proposal, **body},
            verify=self.verify,
        )

    @staticmethod
    def _content(
        sector: str,
        title: str,
        description: str,
        lang: str,
        partners: list[str] | None,
        value: tuple[int, str] | None,
        documents: list[dict[str, Any]] | None,
        understanding: str,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "sector": sector,
            "title": title,
            "description": description,
            "lang": lang,
            "partners": partners or [],
            "documents": documents or [],
            "understanding": understanding,
        }
        if value is not None:
            body["value"] = {"amount": value[0], "currency": value[1]}
        return body

    def submit(
        self,
        parties: list[str],
        sector: str,
        title: str,
        description: str,
        lang: str,
        *,
        partners: list[str] | None = None,
        value: tuple[int, str] | None = None,
        documents: list[dict[str, Any]] | None = None,
        understanding: str = "borders-economy",
        proposal: str | None = None,
    ) -> tuple[str, Receipt]:
        """Propose; `parties` are those who will see it (the supervisor among them where
        the charter says so; the caller's own party is added here). `documents` are what
        `upload` returned."""
        pid = proposal or new_proposal_id()
        ps = sorted({*parties, self.author.party})
        body = self._content(
            sector, title, description, lang, partners, value, documents, understanding
        )
        receipt = self.post(
            kinds.SUBMITTED,
            kinds.subject(pid),
            ps,
            {"proposal": pid, "parties": ps, **body},
            verify=self.verify,
        )
        self._proposal_parties[pid] = ps
        return pid, receipt

    def revise(
        self,
        proposal: str,
        sector: str,
        title: str,
        description: str,
        lang: str,
        *,
        partners: list[str] | None = None,
        value: tuple[int, str] | None = None,
        documents: list[dict[str, Any]] | None = None,
        understanding: str = "borders-economy",
    ) -> Receipt:
        """A new version of the whole proposal (the earlier ones stay)."""
        body = self._content(
            sector, title, description, lang, partners, value, documents, understanding
        )
        return self._on(kinds.REVISED, proposal, body)

    def express_interest(self, proposal: str, level: str, text: str, lang: str) -> Receipt:
        return self._on(kinds.INTEREST, proposal, {"level": level, "text": text, "lang": lang})

    def move(
        self, proposal: str, stage: str, text: str | None = None, lang: str | None = None
    ) -> Receipt:
        """Move the proposal to `stage` (the next one, or declined with a reason)."""
        body: dict[str, Any] = {"stage": stage}
        if text is not None:
            body["text"] = text
            body["lang"] = lang
        return self._on(kinds.STAGE, proposal, body)

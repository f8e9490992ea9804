"""Joint statements from Python: everything the pages do, signed on this device."""

from __future__ import annotations

import secrets
from typing import Any

from fusioncell.client import Receipt
from fusioncell.messaging.client import CellClient
from fusioncell.statements import kinds


def new_statement_id() -> str:
    return secrets.token_hex(8)


class StatementsClient(CellClient):
    """A member's device. Writes are signed statements (see statements.kinds); reads come
    from /api/v1/statements."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._parties: dict[str, list[str]] = {}  # a statement's parties never change

    def _read(self, path: str, **kw: Any) -> Any:
        return self._ok(self.http.get(f"/api/v1/statements{path}", headers=self.headers, **kw))

    # ---- reading ---------------------------------------------------------------------

    def statements(self, state: str | None = None) -> list[Any]:
        out: list[Any] = self._read("", params={"state": state} if state else None).json()[
            "statements"
        ]
        return out

    def statement(self, statement: str) -> dict[str, Any]:
        out: dict[str, Any] = self._read(f"/{statement}").json()
        self._parties[statement] = out["statement"]["parties"]
        return out

    def diff(self, statement: str, a: int, b: int) -> dict[str, Any]:
        out: dict[str, Any] = self._read(f"/{statement}/diff", params={"a": a, "b": b}).json()
        return out

    def pdf(self, statement: str, lang: str | None = None) -> bytes:
        r = self._read(f"/{statement}.pdf", params={"lang": lang} if lang else None)
        data: bytes = r.content
        return data

    # ---- writing ---------------------------------------------------------------------

    def statement_parties(self, statement: str) -> list[str]:
        if statement not in self._parties:
            self.statement(statement)
        return self._parties[statement]

    def _on(self, kind: str, statement: str, body: dict[str, Any]) -> Receipt:
        return self.post(
            kind,
            kinds.subject(statement),
            self.statement_parties(statement),
            {"statement": statement, **body},
            verify=self.verify,
        )

    def draft(
        self,
        parties: list[str],
        title: str,
        lang: str,
        texts: dict[str, str],
        *,
        round: str | None = None,  # noqa: A002 - the charter's word
        statement: str | None = None,
    ) -> tuple[str, Receipt]:
        """Create a statement with its first version; `parties` are those who draft and
        approve it (the caller's own party is added here)."""
        sid = statement or new_statement_id()
        ps = sorted({*parties, self.author.party})
        body: dict[str, Any] = {
            "statement": sid,
            "parties": ps,
            "title": title,
            "lang": lang,
            "texts": texts,
        }
        if round is not None:
            body["round"] = round
        receipt = self.post(kinds.CREATED, kinds.subject(sid), ps, body, verify=self.verify)
        self._parties[sid] = ps
        return sid, receipt

    def propose(self, statement: str, base: int, texts: dict[str, str]) -> Receipt:
        """A new version, on top of version `base` (which must still be the current one)."""
        return self._on(kinds.VERSION, statement, {"base": base, "texts": texts})

    def comment(
        self,
        statement: str,
        version: int,
        passage_lang: str,
        start: int,
        end: int,
        quote: str,
        text: str,
        lang: str,
    ) -> Receipt:
        """A comment on the passage [start, end) (code points) of one language's text."""
        passage = {"lang": passage_lang, "start": start, "end": end, "quote": quote}
        return self._on(
            kinds.COMMENT,
            statement,
            {"version": version, "passage": passage, "text": text, "lang": lang},
        )

    def comment_on(
        self, statement: str, version: int, passage_lang: str, quote: str, text: str, lang: str
    ) -> Receipt:
        """Comment on the first occurrence of `quote` in that version's text."""
        view = self.statement(statement)
        texts = next(v["texts"] for v in view["versions"] if v["number"] == version)
        start = texts[passage_lang].index(quote)
        return self.comment(
            statement, version, passage_lang, start, start + len(quote), quote, text, lang
        )

    def approve(self, statement: str, version: int | None = None) -> Receipt:
        """Approve a version (the current one by default), signing the hash of the texts
        read here, computed on this device, not taken from the server."""
        view = self.statement(statement)
        v = (
            view["current"]
            if version is None
            else next(x for x in view["versions"] if x["number"] == version)
        )
        return self.approve_hash(statement, v["number"], kinds.texts_hash(v["texts"]))

    def approve_hash(self, statement: str, version: int, sha256: str) -> Receipt:
        return self._on(kinds.APPROVED, statement, {"version": version, "sha256": sha256})

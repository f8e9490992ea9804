"""Translations and the glossary from Python: everything the pages do, signed on this
device."""

from __future__ import annotations

from typing import Any

from fusioncell.client import Receipt
from fusioncell.language import kinds
from fusioncell.messaging.client import CellClient


class LanguageClient(CellClient):
    """A member's device (a CellClient: it posts messages too). Writes are signed
    statements (fusioncell.language.kinds); reads come from /api/v1/translations and
    /api/v1/glossary."""

    def _lang(self, path: str, **kw: Any) -> Any:
        return self._ok(self.http.get(f"/api/v1{path}", headers=self.headers, **kw)).json()

    # ---- reading ---------------------------------------------------------------------

    def translations(self, items: list[tuple[int, str]], to: str) -> dict[str, Any]:
        params = [("to", to), *(("t", f"{e}:{f}") for e, f in items)]
        out: dict[str, Any] = self._lang("/translations", params=params)
        return out

    def translation(self, entry: int, field: str, to: str) -> dict[str, Any]:
        item: dict[str, Any] = self.translations([(entry, field)], to)["items"][0]
        return item

    def glossary(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._lang("/glossary")["terms"]
        return out

    def term(self, term: str) -> dict[str, Any]:
        out: dict[str, Any] = self._lang(f"/glossary/{term}")
        return out

    # ---- writing ---------------------------------------------------------------------

    def verify_translation(self, entry: int, field: str, lang: str, text: str) -> Receipt:
        """Sign a translation of `field` of `entry` into `lang`. The original, its hash
        and its visibility are read from the server first; the projector checks them."""
        item = self.translation(entry, field, lang)
        return self.post(
            kinds.VERIFIED,
            kinds.translation_subject(entry),
            item["visibility"],
            {
                "entry": entry,
                "field": field,
                "lang": lang,
                "text": text,
                "of_sha256": item["original"]["sha256"],
            },
            verify=self.verify,
        )

    def _everyone(self) -> list[str]:
        """The glossary is visible to every party of the cell."""
        return sorted(p["code"] for p in self._lang("/cell")["parties"])

    def propose_term(
        self, term: str, texts: dict[str, str], note: tuple[str, str] | None = None
    ) -> Receipt:
        """Propose a term's equivalents ({ar, he, en}); again, to change it."""
        body: dict[str, Any] = {"term": term, "texts": texts}
        if note is not None:
            body["note"] = {"text": note[0], "lang": note[1]}
        return self.post(
            kinds.PROPOSED, kinds.term_subject(term), self._everyone(), body, verify=self.verify
        )

    def agree_term(self, term: str, version: int | None = None) -> Receipt:
        """Agree to the term's current proposal (or the one at `version`)."""
        v = version if version is not None else int(self.term(term)["version"])
        return self.post(
            kinds.AGREED,
            kinds.term_subject(term),
            self._everyone(),
            {"term": term, "version": v},
            verify=self.verify,
        )

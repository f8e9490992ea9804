"""Search from Python: GET /api/v1/search as a member."""

from __future__ import annotations

from typing import Any

from fusioncell.client import MemberClient


class SearchClient(MemberClient):
    def search(
        self,
        q: str,
        *,
        kind: str | None = None,
        lang: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"q": q, "offset": offset}
        for k, v in {"kind": kind, "lang": lang, "limit": limit}.items():
            if v is not None:
                params[k] = v
        r = self._ok(self.http.get("/api/v1/search", params=params, headers=self.headers))
        out: dict[str, Any] = r.json()
        return out

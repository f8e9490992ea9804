"""De-escalation from Python: everything the /deesc pages do, signed on this device."""

from __future__ import annotations

from typing import Any

from fusioncell.client import MemberClient, Receipt
from fusioncell.deesc import kinds


class DeescClient(MemberClient):
    """A member's device and de-escalation. Writes are signed statements (deesc.kinds)
    visible to every party; reads come from /api/v1/deesc."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._parties: list[str] | None = None

    # ---- reading -------------------------------------------------------------------------

    def _api(self, path: str, **params: Any) -> Any:
        q = {k: v for k, v in params.items() if v is not None}
        r = self.http.get(f"/api/v1/deesc{path}", params=q, headers=self.headers)
        return self._ok(r).json()

    def parties(self) -> list[str]:
        if self._parties is None:
            self._parties = list(self._api("/charter")["parties"])
        return self._parties

    def zones(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._api("/zones")["zones"]
        return out

    def incidents(self, **filters: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._api("/incidents", **filters)["incidents"]
        return out

    def activities(self, **filters: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._api("/activities", **filters)["activities"]
        return out

    def clarifications(
        self, about: int | None = None, state: str | None = None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._api("/clarifications", about=about, state=state)[
            "clarifications"
        ]
        return out

    def item(self, index: int) -> dict[str, Any]:
        out: dict[str, Any] = self._api(f"/items/{index}")
        return out

    # ---- writing -------------------------------------------------------------------------

    def _write(self, kind: str, body: dict[str, Any]) -> Receipt:
        return self.post(kind, kinds.SUBJECTS[kind], self.parties(), body)

    def report_incident(
        self,
        *,
        time: str,
        place: dict[str, Any],
        category: str,
        description: str,
        lang: str,
        time_precision: str = "minute",
        place_precision_m: int = 100,
        actors: list[str] | None = None,
        casualties: dict[str, int] | None = None,
        sources: list[str] | None = None,
    ) -> Receipt:
        body: dict[str, Any] = {
            "time": time,
            "time_precision": time_precision,
            "place": place,
            "place_precision_m": place_precision_m,
            "category": category,
            "actors": actors or [],
            "description": description,
            "lang": lang,
            "sources": sources or [],
        }
        if casualties is not None:
            body["casualties"] = casualties
        return self._write(kinds.INCIDENT, body)

    def notify_activity(
        self,
        *,
        activity_type: str,
        start: str,
        end: str,
        place: dict[str, Any],
        description: str,
        lang: str,
    ) -> Receipt:
        return self._write(
            kinds.ACTIVITY,
            {
                "activity_type": activity_type,
                "start": start,
                "end": end,
                "place": place,
                "description": description,
                "lang": lang,
            },
        )

    def request_clarification(self, about: int, question: str, lang: str) -> Receipt:
        return self._write(kinds.REQUESTED, {"about": about, "question": question, "lang": lang})

    def answer_clarification(self, request: int, answer: str, lang: str) -> Receipt:
        return self._write(kinds.ANSWERED, {"request": request, "answer": answer, "lang": lang})

    def propose_zone(self, zone: str, name: str, lang: str, geometry: dict[str, Any]) -> Receipt:
        """The member's party proposes a zone or line (the operator loads agreed ones)."""
        body = {
            "zone": zone,
            "name": name,
            "lang": lang,
            "status": kinds.PROPOSED,
            "party": self.author.party,
            "geometry": geometry,
        }
        return self.post(kinds.ZONE, kinds.zone_subject(zone), self.parties(), body)

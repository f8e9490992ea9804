"""Duty rosters from Python: everything the /duty page does, signed on this device."""

from __future__ import annotations

from typing import Any

from fusioncell.client import MemberClient, Receipt
from fusioncell.duty import kinds


class DutyClient(MemberClient):
    """A member's device and the rosters. Writes are signed statements (duty.kinds) for the
    member's own party; reads come from /api/v1/duty."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._parties: list[str] | None = None

    # ---- reading -------------------------------------------------------------------------

    def _api(self, path: str, **params: Any) -> Any:
        q = {k: v for k, v in params.items() if v is not None}
        return self._ok(self.http.get(f"/api/v1/duty{path}", params=q, headers=self.headers)).json()

    def board(self) -> dict[str, Any]:
        """Each party's holder now, until when, and next."""
        out: dict[str, Any] = self._api("")
        self._parties = sorted(p["party"] for p in out["parties"])
        return out

    def holders(self, party: str) -> dict[str, Any]:
        out: dict[str, Any] = next(p for p in self.board()["parties"] if p["party"] == party)
        return out

    def roster(
        self, party: str | None = None, start: str | None = None, end: str | None = None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._api(
            f"/{party or self.author.party}/roster", **{"from": start, "to": end}
        )["shifts"]
        return out

    def handovers(self, party: str | None = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._api(f"/{party or self.author.party}/handovers")[
            "handovers"
        ]
        return out

    def requests(self, party: str | None = None, *states: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._api(
            f"/{party or self.author.party}/requests", state=list(states) or None
        )["requests"]
        return out

    # ---- writing -------------------------------------------------------------------------

    def _write(self, kind: str, body: dict[str, Any], *, own: bool = False) -> Receipt:
        party = self.author.party
        if own:
            vis = [party]
        else:
            if self._parties is None:
                self.board()
            vis = list(self._parties or [])
        return self.post(kind, kinds.subject(party), vis, {"party": party, **body})

    def publish(self, start: str, end: str, shifts: list[dict[str, str]]) -> Receipt:
        """The party admin's roster for [start, end): shifts [{member, start, end}]."""
        return self._write(kinds.ROSTER, {"from": start, "to": end, "shifts": shifts})

    def handover(self, text: str, lang: str, to: str | None = None) -> Receipt:
        body: dict[str, Any] = {"text": text, "lang": lang}
        if to is not None:
            body["to"] = to
        return self._write(kinds.HANDOVER, body, own=True)

    def request_swap(self, shift: str, with_: str, with_shift: str | None = None) -> Receipt:
        body: dict[str, Any] = {"shift": shift, "with": with_}
        if with_shift is not None:
            body["with_shift"] = with_shift
        return self._write(kinds.SWAP_REQUESTED, body)

    def request_take(self, until: str | None = None) -> Receipt:
        return self._write(kinds.TAKE_REQUESTED, {} if until is None else {"until": until})

    def decide(self, request: int, *, approve: bool = True, kind: str = kinds.SWAP) -> Receipt:
        """The party admin approves or declines a swap or take request."""
        k = {
            (kinds.SWAP, True): kinds.SWAP_APPROVED,
            (kinds.SWAP, False): kinds.SWAP_DECLINED,
            (kinds.TAKE, True): kinds.TAKE_APPROVED,
            (kinds.TAKE, False): kinds.TAKE_DECLINED,
        }[(kind, approve)]
        return self._write(k, {"request": request})

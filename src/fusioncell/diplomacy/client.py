"""Diplomatic engagement from Python: everything the pages do, signed on this device."""

from __future__ import annotations

import secrets
from typing import Any

from fusioncell.client import Receipt
from fusioncell.diplomacy import kinds
from fusioncell.messaging.client import CellClient

Texts = list[tuple[str, str]]  # (text, lang), the original first
Delegations = dict[str, list[str]]  # party -> roles attending


def new_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(8)


def _texts(t: Texts) -> list[dict[str, str]]:
    return [{"text": text, "lang": lang} for text, lang in t]


def _delegations(d: Delegations) -> list[dict[str, Any]]:
    return [{"party": p, "roles": sorted(set(d[p]))} for p in sorted(d)]


class DiplomacyClient(CellClient):
    """A member's device. Writes are signed statements (see diplomacy.kinds); reads come
    from /api/v1/diplomacy."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._parties: dict[str, list[str]] = {}  # subject -> parties (they never change)

    def _dip(self, path: str, **kw: Any) -> Any:
        return self._ok(self.http.get(f"/api/v1/diplomacy{path}", headers=self.headers, **kw))

    # ---- reading ---------------------------------------------------------------------

    def rounds(self) -> list[Any]:
        out: list[Any] = self._dip("/rounds").json()["rounds"]
        return out

    def round(self, rid: str) -> dict[str, Any]:
        out: dict[str, Any] = self._dip(f"/rounds/{rid}").json()
        self._parties[kinds.round_subject(rid)] = out["round"]["parties"]
        return out

    def meeting(self, mid: str) -> dict[str, Any]:
        out: dict[str, Any] = self._dip(f"/meetings/{mid}").json()
        self._parties[kinds.meeting_subject(mid)] = out["meeting"]["parties"]
        return out

    def calendar(self, mid: str, lang: str | None = None) -> bytes:
        """The meeting's iCalendar file (summary and location in `lang` where given)."""
        params = {"lang": lang} if lang else None
        return bytes(self._dip(f"/meetings/{mid}.ics", params=params).content)

    # ---- writing: rounds (the supervising party) ---------------------------------------

    def _round_parties(self, rid: str) -> list[str]:
        subj = kinds.round_subject(rid)
        if subj not in self._parties:
            self.round(rid)
        return self._parties[subj]

    def record_round(
        self,
        place: Texts,
        start: str,
        end: str,
        delegations: Delegations,
        *,
        note: Texts | None = None,
        follows: str | None = None,
        rid: str | None = None,
    ) -> tuple[str, Receipt]:
        """Record a round (as the supervising party: its parties are the delegations' and
        the caller's own)."""
        rid = rid or new_id("r-")
        ps = sorted({*delegations, self.author.party})
        body: dict[str, Any] = {
            "round": rid,
            "place": _texts(place),
            "start": start,
            "end": end,
            "delegations": _delegations(delegations),
        }
        if note:
            body["note"] = _texts(note)
        if follows:
            body["follows"] = follows
        receipt = self.post(
            kinds.ROUND_RECORDED, kinds.round_subject(rid), ps, body, verify=self.verify
        )
        self._parties[kinds.round_subject(rid)] = ps
        return rid, receipt

    def revise_round(
        self,
        rid: str,
        place: Texts,
        start: str,
        end: str,
        delegations: Delegations,
        *,
        note: Texts | None = None,
    ) -> Receipt:
        body: dict[str, Any] = {
            "round": rid,
            "place": _texts(place),
            "start": start,
            "end": end,
            "delegations": _delegations(delegations),
        }
        if note:
            body["note"] = _texts(note)
        return self.post(
            kinds.ROUND_REVISED,
            kinds.round_subject(rid),
            self._round_parties(rid),
            body,
            verify=self.verify,
        )

    def set_next_round(self, rid: str, when: str | None) -> Receipt:
        """The round's next round: a date (YYYY-MM-DD), or None for "not yet scheduled"."""
        return self.post(
            kinds.ROUND_NEXT,
            kinds.round_subject(rid),
            self._round_parties(rid),
            {"round": rid, "next": when or kinds.NOT_SCHEDULED},
            verify=self.verify,
        )

    def schedule_meeting(
        self,
        rid: str,
        title: Texts,
        place: Texts,
        start: str,
        end: str,
        tz: str,
        delegations: Delegations,
        agenda: Texts,
        *,
        mid: str | None = None,
    ) -> tuple[str, Receipt]:
        """Schedule a meeting of round `rid`; `start`/`end` are local YYYY-MM-DDTHH:MM in
        `tz`. Its parties are the delegations' and the supervisor's."""
        mid = mid or new_id()
        ps = sorted({*delegations, self.author.party})
        body = {
            "round": rid,
            "meeting": mid,
            "title": _texts(title),
            "place": _texts(place),
            "start": start,
            "end": end,
            "tz": tz,
            "delegations": _delegations(delegations),
            "agenda": _texts(agenda),
        }
        receipt = self.post(kinds.MEETING, kinds.meeting_subject(mid), ps, body, verify=self.verify)
        self._parties[kinds.meeting_subject(mid)] = ps
        return mid, receipt

    # ---- writing: a meeting's record ------------------------------------------------------

    def _on(self, kind: str, mid: str, body: dict[str, Any]) -> Receipt:
        subj = kinds.meeting_subject(mid)
        if subj not in self._parties:
            self.meeting(mid)
        return self.post(
            kind, subj, self._parties[subj], {"meeting": mid, **body}, verify=self.verify
        )

    def record_minutes(self, mid: str, text: str, lang: str) -> Receipt:
        """The minutes, or a correction of them: a new version."""
        return self._on(kinds.MINUTES, mid, {"text": text, "lang": lang})

    def record_outcome(self, mid: str, text: str, lang: str) -> Receipt:
        return self._on(kinds.OUTCOME, mid, {"text": text, "lang": lang})

    def add_followup(
        self, mid: str, text: str, lang: str, party: str, due: str | None = None
    ) -> tuple[str, Receipt]:
        item = new_id("f-")
        body: dict[str, Any] = {"item": item, "text": text, "lang": lang, "party": party}
        if due:
            body["due"] = due
        return item, self._on(kinds.FOLLOWUP, mid, body)

    def close_followup(self, mid: str, item: str, note: str, lang: str) -> Receipt:
        return self._on(kinds.CLOSED, mid, {"item": item, "text": note, "lang": lang})

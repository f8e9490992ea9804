"""The cell from Python: everything the web UI does, signed on this device."""

from __future__ import annotations

import secrets
from typing import Any

from fusioncell.client import MemberClient, Receipt
from fusioncell.messaging import kinds


def new_thread_id() -> str:
    return secrets.token_hex(8)


class CellClient(MemberClient):
    """A member's device in the cell. Writes are signed statements (see messaging.kinds);
    reads come from /api/v1/cell. `verify=False` skips the per-append proof checks (for
    load generators; a person's client keeps them)."""

    def __init__(self, *args: Any, verify: bool = True, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.verify = verify
        self._parties: dict[str, list[str]] = {}  # a thread's parties never change

    # ---- reading ---------------------------------------------------------------------

    def _api(self, method: str, path: str, **kw: Any) -> Any:
        r = self._ok(self.http.request(method, f"/api/v1/cell{path}", headers=self.headers, **kw))
        return None if r.status_code == 204 else r.json()

    def threads(self, workstream: str | None = None) -> list[dict[str, Any]]:
        params = {"workstream": workstream} if workstream else None
        out: list[dict[str, Any]] = self._api("GET", "/threads", params=params)["threads"]
        return out

    def thread(self, thread: str, q: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = self._api("GET", f"/threads/{thread}", params={"q": q} if q else None)
        self._parties[thread] = out["thread"]["parties"]
        return out

    def message(self, thread: str, index: int) -> dict[str, Any]:
        out: dict[str, Any] = self._api("GET", f"/threads/{thread}/messages/{index}")
        return out

    def owed(self, *urgency: str) -> list[dict[str, Any]]:
        params = {"urgency": list(urgency)} if urgency else None
        out: list[dict[str, Any]] = self._api("GET", "/owed", params=params)["messages"]
        return out

    def mark_read(self, thread: str, upto: int) -> None:
        self._api("POST", f"/threads/{thread}/read", json={"upto": upto})

    def upload(self, data: bytes, name: str) -> dict[str, Any]:
        """Upload a file; returns the attachment to name in `send(attachments=[...])`."""
        got = self._api("POST", "/attachments", files={"file": (name, data)})
        return {"sha256": got["sha256"], "name": name, "type": got["type"], "size": got["size"]}

    def download(self, sha256: str) -> bytes:
        r = self._ok(self.http.get(f"/api/v1/cell/attachments/{sha256}", headers=self.headers))
        return r.content

    # ---- writing ---------------------------------------------------------------------

    def parties(self, thread: str) -> list[str]:
        if thread not in self._parties:
            self.thread(thread)
        return self._parties[thread]

    def _write(self, kind: str, thread: str, body: dict[str, Any]) -> Receipt:
        return self.post(
            kind,
            kinds.subject(thread),
            self.parties(thread),
            {"thread": thread, **body},
            verify=self.verify,
        )

    def open_thread(
        self,
        workstream: str,
        topic: str,
        lang: str,
        parties: list[str],
        *,
        thread: str | None = None,
    ) -> tuple[str, Receipt]:
        tid = thread or new_thread_id()
        parties = sorted(set(parties))
        receipt = self.post(
            kinds.THREAD_OPENED,
            kinds.subject(tid),
            parties,
            {
                "thread": tid,
                "workstream": workstream,
                "topic": {"text": topic, "lang": lang},
                "parties": parties,
            },
            verify=self.verify,
        )
        self._parties[tid] = parties
        return tid, receipt

    def send(
        self,
        thread: str,
        text: str,
        lang: str,
        urgency: str = "ROUTINE",
        *,
        reply_to: int | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> Receipt:
        body: dict[str, Any] = {"urgency": urgency, "text": text, "lang": lang}
        if reply_to is not None:
            body["reply_to"] = reply_to
        if attachments:
            body["attachments"] = attachments
        return self._write(kinds.POSTED, thread, body)

    def edit(self, thread: str, message: int, text: str, lang: str) -> Receipt:
        return self._write(kinds.EDITED, thread, {"message": message, "text": text, "lang": lang})

    def retract(
        self, thread: str, message: int, reason: str | None = None, lang: str | None = None
    ) -> Receipt:
        body: dict[str, Any] = {"message": message}
        if reason is not None:
            body["reason"] = {"text": reason, "lang": lang}
        return self._write(kinds.RETRACTED, thread, body)

    def acknowledge(self, thread: str, message: int) -> Receipt:
        """ "Received and understood", signed."""
        return self._write(kinds.ACKNOWLEDGED, thread, {"message": message})

    def pin(self, thread: str, message: int, *, pinned: bool = True) -> Receipt:
        return self._write(kinds.PINNED if pinned else kinds.UNPINNED, thread, {"message": message})

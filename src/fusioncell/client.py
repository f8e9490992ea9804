"""A Python client for the cell's log: holds a member's key, signs, posts, and verifies.

Nothing it is told is taken on trust: every checkpoint's signature is checked against the
pinned log key, every new checkpoint is proved consistent with the last one it verified,
and every append is proved included in a verified checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from fusioncell.clock import Clock, SystemClock, rfc3339
from fusioncell.ledger import merkle
from fusioncell.ledger.canonical import EncodingError, b64d, b64e
from fusioncell.ledger.entry import Author, build_statement, parse_leaf
from fusioncell.ledger.keys import SigningKey, VerifierKey
from fusioncell.ledger.note import Checkpoint, open_checkpoint


class ClientError(Exception):
    """The server refused a request (4xx/5xx); `detail` is its message."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class LogInconsistent(Exception):
    """The log showed us something it cannot prove: the alarm."""


@dataclass(frozen=True, slots=True)
class Receipt:
    index: int
    leaf_hash: bytes
    checkpoint: Checkpoint
    note: str


class LogClient:
    def __init__(
        self,
        base_url: str = "",
        token: str = "",
        *,
        log_key: VerifierKey | str | None = None,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.headers = {"Authorization": f"Bearer {token}"}
        self._log_key = VerifierKey.parse(log_key) if isinstance(log_key, str) else log_key
        self.verified: Checkpoint | None = None  # the newest checkpoint we proved

    # ---- transport -------------------------------------------------------------------

    def _get(self, path: str, **params: Any) -> httpx.Response:
        r = self.http.get(f"/log/v1{path}", params=params or None, headers=self.headers)
        return self._ok(r)

    @staticmethod
    def _ok(r: httpx.Response) -> httpx.Response:
        if r.status_code >= 400:
            try:
                detail = str(r.json().get("detail", r.text))
            except ValueError:
                detail = r.text
            raise ClientError(r.status_code, detail)
        return r

    # ---- reading ---------------------------------------------------------------------

    @property
    def log_key(self) -> VerifierKey:
        """The log's key: pinned at construction, or learnt on first use and then pinned."""
        if self._log_key is None:
            self._log_key = VerifierKey.parse(self._get("/key").text)
        return self._log_key

    def checkpoint(self) -> tuple[Checkpoint, str]:
        """Fetch, verify and (if newer) prove consistent the latest checkpoint."""
        note = self._get("/checkpoint").text
        return self.accept_checkpoint(note), note

    def accept_checkpoint(self, note: str) -> Checkpoint:
        try:
            cp, _ = open_checkpoint(note, self.log_key)
        except EncodingError as exc:
            raise LogInconsistent(f"checkpoint does not verify: {exc}") from exc
        old = self.verified
        if old is not None:
            if cp.size < old.size:
                raise LogInconsistent(f"log went back from size {old.size} to {cp.size}")
            if cp.size == old.size and cp.root != old.root:
                raise LogInconsistent(f"two different roots for size {cp.size}")
            if cp.size > old.size and old.size > 0:
                path = self.consistency(old.size, cp.size)
                if not merkle.verify_consistency(old.size, cp.size, old.root, cp.root, path):
                    raise LogInconsistent(f"checkpoint {cp.size} is not consistent with {old.size}")
        self.verified = cp
        return cp

    def entries(self, start: int, end: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._get("/entries", start=start, end=end).json()["entries"]
        return out

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return [
            b64d(h) for h in self._get("/proof/inclusion", index=index, size=size).json()["path"]
        ]

    def consistency(self, old: int, size: int) -> list[bytes]:
        return [b64d(h) for h in self._get("/proof/consistency", old=old, size=size).json()["path"]]

    def prove_included(self, index: int, leaf_hash: bytes, cp: Checkpoint) -> None:
        path = self.inclusion(index, cp.size)
        if not merkle.verify_inclusion(leaf_hash, index, cp.size, path, cp.root):
            raise LogInconsistent(f"entry {index} is not included in checkpoint {cp.size}")


class MemberClient(LogClient):
    """A member's device: its own key signs every statement it posts."""

    def __init__(
        self,
        base_url: str = "",
        token: str = "",
        *,
        key: SigningKey,
        party: str,
        member: str,
        origin: str | None = None,
        clock: Clock | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(base_url, token, **kw)
        self.key = key
        self.author = Author(party, member, key.key_id_hex)
        self._origin = origin
        self.clock = clock or SystemClock()

    @property
    def origin(self) -> str:
        return self._origin or self.log_key.name

    def sign(
        self, kind: str, subject: str, visibility: list[str], body: dict[str, Any]
    ) -> dict[str, Any]:
        """The request body of an append: statement and signature, made on this device."""
        raw, body = build_statement(
            origin=self.origin,
            kind=kind,
            subject=subject,
            author=self.author,
            visibility=visibility,
            body=body,
            client_time=rfc3339(self.clock.now()),
        )
        return {"statement": b64e(raw), "sig": b64e(self.key.sign(raw)), "body": body}

    def post_signed(self, payload: dict[str, Any], *, verify: bool = True) -> Receipt:
        r = self._ok(self.http.post("/log/v1/append", json=payload, headers=self.headers))
        data = r.json()
        index, note = int(data["index"]), data["checkpoint"]
        leaf_hash = b64d(data["leaf_hash"], length=32)
        cp = (
            self.accept_checkpoint(note)
            if verify
            else Checkpoint.parse_body(note.split("\n\n")[0] + "\n")
        )
        if verify:
            # The server chose index and time; check that the leaf it built holds exactly
            # what we signed, then that this leaf is in the checkpoint we just verified.
            (got,) = self.entries(index, index + 1)
            if got["entry"] is None:
                raise LogInconsistent(f"entry {index} that we wrote is hidden from us")
            leaf = b64d(got["entry"])
            entry = parse_leaf(leaf)
            if (
                entry.statement.raw != b64d(payload["statement"])
                or b64e(entry.sig) != payload["sig"]
            ):
                raise LogInconsistent(f"entry {index} is not the statement we signed")
            if merkle.leaf_hash(leaf) != leaf_hash:
                raise LogInconsistent(f"entry {index}: leaf hash does not match its bytes")
            self.prove_included(index, leaf_hash, cp)
        return Receipt(index, leaf_hash, cp, note)

    def post(
        self,
        kind: str,
        subject: str,
        visibility: list[str],
        body: dict[str, Any],
        *,
        verify: bool = True,
    ) -> Receipt:
        return self.post_signed(self.sign(kind, subject, visibility, body), verify=verify)

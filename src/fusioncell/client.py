"""A Python client for the cell's log: holds a member's key, signs, posts, and verifies.

Nothing it is told is taken on trust: every checkpoint's signature is checked against the
pinned log key (or the key the log rotated it to, learnt from a `log.key.rotated` entry
signed by the key it replaces and proved included), every new checkpoint is proved
consistent with the last one it verified, and every append is proved included in a
verified checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from fusioncell.clock import Clock, SystemClock, rfc3339
from fusioncell.ledger import merkle
from fusioncell.ledger.canonical import EncodingError, b64d, b64e, canonical, sha256_hex
from fusioncell.ledger.entry import Author, build_statement, parse_leaf
from fusioncell.ledger.keys import SigningKey, VerifierKey
from fusioncell.ledger.note import Checkpoint, open_checkpoint, split_note
from fusioncell.ledger.trust import TrustError, check_log_key_rotation


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
        # Rotations of the log key proved so far, after the pinned key: (index, new key).
        self.rotations: list[tuple[int, VerifierKey]] = []
        # Ids of log keys older than the pinned one (a key pinned after a rotation): their
        # signatures in a transition are no reason to ask the log for its keys again.
        self._older: set[bytes] = set()
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
    def pinned_key(self) -> VerifierKey:
        """The log key pinned at construction, or learnt on first use and then pinned."""
        if self._log_key is None:
            self._log_key = VerifierKey.parse(self._get("/key").text)
        return self._log_key

    @property
    def log_key(self) -> VerifierKey:
        """The newest log key we know: the pinned one, or the last rotation we proved."""
        return self.rotations[-1][1] if self.rotations else self.pinned_key

    def known_keys(self) -> list[VerifierKey]:
        return [self.pinned_key, *(k for _, k in self.rotations)]

    def key_at(self, size: int) -> VerifierKey:
        """The log key in force at `size`, as far as the rotations we proved tell."""
        key = self.pinned_key
        for index, k in self.rotations:
            if index < size:
                key = k
        return key

    def open_note(self, note: str) -> Checkpoint:
        """Check a checkpoint note's signature by the log key in force at its size, first
        learning the rotations it proves when it names a log key we do not know or lacks
        the signature of the one we expect (docs/log.md, "Rotating keys")."""
        try:
            body, sigs = split_note(note)
            unverified = Checkpoint.parse_body(body)
        except EncodingError as exc:
            raise LogInconsistent(f"checkpoint does not verify: {exc}") from exc
        known = {k.key_id for k in self.known_keys()} | self._older
        ours = [s.key_id for s in sigs if s.name == self.pinned_key.name]
        expected = self.key_at(unverified.size).key_id
        if ours and (any(k not in known for k in ours) or expected not in ours):
            self._learn(unverified)
        key = self.key_at(unverified.size)
        try:
            return open_checkpoint(note, key)[0]
        except EncodingError as exc:
            raise LogInconsistent(
                f"checkpoint is not signed by the log key in force {key.key_id_hex}: {exc}"
            ) from exc

    def _learn(self, cp: Checkpoint) -> None:
        """Follow the log's key rotations below `cp.size`: each must be a log.key.rotated
        entry signed by the key it replaces, included in `cp`'s tree (whose signature the
        caller then checks with the key these entries lead to)."""
        try:
            listed = [
                (int(k["index"]), VerifierKey.parse(k["key"]))
                for k in self._get("/keys").json()["keys"]
            ]
        except (ClientError, EncodingError, KeyError, TypeError, ValueError) as exc:
            raise LogInconsistent(f"cannot read the log's keys: {exc}") from exc
        newest = self.log_key
        after = next((i for i, (_, k) in enumerate(listed) if k == newest), None)
        if after is None:
            raise LogInconsistent(f"the log does not list its key {newest.key_id_hex} we trust")
        if not self.rotations:
            self._older = {k.key_id for _, k in listed[:after]}
        for index, key in listed[after + 1 :]:
            if index >= cp.size:
                break
            if self._rotation(index, cp) != key:
                raise LogInconsistent(f"entry {index} names another log key than the log lists")
            self.rotations.append((index, key))

    def _rotation(self, index: int, cp: Checkpoint) -> VerifierKey:
        """The new log key named by entry `index`, a rotation proved in `cp`'s tree."""
        try:
            (got,) = self.entries(index, index + 1)
            if got["entry"] is None or not isinstance(got["body"], dict):
                raise LogInconsistent(f"entry {index}, a log key rotation, is hidden from us")
            leaf = b64d(got["entry"])
            entry = parse_leaf(leaf)
            if entry.index != index:
                raise LogInconsistent(f"entry {index} holds index {entry.index}")
            if sha256_hex(canonical(got["body"])) != entry.statement.body_sha256:
                raise LogInconsistent(f"entry {index}: body does not match its body_sha256")
            self.prove_included(index, merkle.leaf_hash(leaf), cp)
            return check_log_key_rotation(
                entry.statement, entry.sig, got["body"], self.known_keys()
            )
        except (ClientError, EncodingError, TrustError, ValueError) as exc:
            raise LogInconsistent(
                f"entry {index}: not a log key rotation we can trust: {exc}"
            ) from exc

    def checkpoint(self) -> tuple[Checkpoint, str]:
        """Fetch, verify and (if newer) prove consistent the latest checkpoint."""
        note = self._get("/checkpoint").text
        return self.accept_checkpoint(note), note

    def accept_checkpoint(self, note: str) -> Checkpoint:
        cp = self.open_note(note)
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

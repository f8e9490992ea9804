"""A party's witness: follows the log's checkpoints, proves each consistent with the last
one it cosigned, cosigns (C2SP tlog-cosignature) and posts the cosignature back.

On any inconsistency it stops with an alarm and keeps both checkpoints (and the proof the
log gave) as evidence. With a gossip folder shared between witnesses (a mirror, a shared
disk), each witness also checks the others' latest cosigned checkpoints against its own,
so a log that shows one history to one party and another to the other is caught.

The witness pins one log key and accepts another only through a `log.key.rotated` entry
signed by the key it replaces and proved included in the checkpoint it verifies; the
rotations it proved are kept in DIR/log.keys (docs/log.md, "Rotating keys").
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from fusioncell.client import ClientError, LogClient, LogInconsistent
from fusioncell.ledger import merkle
from fusioncell.ledger.canonical import b64e
from fusioncell.ledger.keys import SigningKey, VerifierKey
from fusioncell.ledger.note import Checkpoint, cosign

EXIT_ALARM = 3


class WitnessAlarm(Exception):
    """The log's history is inconsistent. `evidence` is the folder that proves it."""

    def __init__(self, message: str, evidence: Path) -> None:
        super().__init__(f"{message} (evidence in {evidence})")
        self.message = message
        self.evidence = evidence


@dataclass
class Round:
    checkpoint: Checkpoint
    cosigned: bool


class Witness:
    def __init__(
        self,
        client: LogClient,
        key: SigningKey,
        state: Path,
        *,
        gossip: Path | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.key = key
        self.state = state
        self.gossip = gossip
        self.now = now
        state.mkdir(parents=True, exist_ok=True)
        pinned = state / "log.vkey"
        if pinned.exists():
            client._log_key = VerifierKey.parse(pinned.read_text(encoding="utf-8"))
        else:  # trust on first use, then pinned for ever (or pass --log-key)
            pinned.write_text(client.pinned_key.encode() + "\n", encoding="utf-8")
        rotations = state / "log.keys"
        if rotations.exists():
            for line in rotations.read_text(encoding="utf-8").splitlines():
                index, vkey = line.split(" ", 1)
                client.rotations.append((int(index), VerifierKey.parse(vkey)))

    def _keep_rotations(self) -> None:
        """Write the rotations proved so far: `INDEX VKEY` lines, oldest first."""
        lines = "".join(f"{i} {k.encode()}\n" for i, k in self.client.rotations)
        tmp = self.state / ".log.keys.tmp"
        tmp.write_text(lines, encoding="utf-8")
        tmp.replace(self.state / "log.keys")

    @property
    def log_key(self) -> VerifierKey:
        return self.client.log_key

    def _last(self) -> tuple[Checkpoint, str] | None:
        f = self.state / "checkpoint.txt"
        if not f.exists():
            return None
        note = f.read_text(encoding="utf-8")
        return self.client.open_note(note), note

    def _alarm(self, message: str, notes: dict[str, str], proof: list[bytes] | None) -> None:
        stamp = self.now().strftime("%Y%m%dT%H%M%S.%fZ")
        ev = self.state / "evidence" / stamp
        ev.mkdir(parents=True, exist_ok=True)
        for name, note in notes.items():
            (ev / name).write_text(note, encoding="utf-8")
        if proof is not None:
            (ev / "proof.json").write_text(json.dumps([b64e(h) for h in proof]), encoding="utf-8")
        (ev / "ALARM.txt").write_text(message + "\n", encoding="utf-8")
        raise WitnessAlarm(message, ev)

    def _check_consistent(
        self, old: Checkpoint, old_note: str, new: Checkpoint, new_note: str, what: str
    ) -> None:
        notes = {"old-checkpoint.txt": old_note, "new-checkpoint.txt": new_note}
        if new.size < old.size:
            old, new = new, old
            notes = {"old-checkpoint.txt": new_note, "new-checkpoint.txt": old_note}
        if new.size == old.size:
            if new.root != old.root:
                self._alarm(f"FORK: two roots for size {new.size} ({what})", notes, None)
            return
        if old.size == 0:
            return
        try:
            proof = self.client.consistency(old.size, new.size)
        except ClientError as exc:
            self._alarm(f"the log cannot prove {old.size} -> {new.size} ({what}): {exc}", notes, [])
            return
        if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof):
            self._alarm(
                f"INCONSISTENT: checkpoint {new.size} does not extend {old.size} ({what}); "
                "an entry was altered, dropped or reordered",
                notes,
                proof,
            )

    def step(self) -> Round:
        """One round: fetch, prove, cross-check peers, cosign, post."""
        note = self.client._get("/checkpoint").text
        known = len(self.client.rotations)
        try:
            cp = self.client.open_note(note)
        except LogInconsistent as exc:
            self._alarm(
                f"checkpoint not signed by the pinned log key or one it rotated to: {exc}",
                {"new-checkpoint.txt": note},
                None,
            )
            raise  # unreachable: _alarm raises
        if len(self.client.rotations) != known:
            self._keep_rotations()
        body = cp.body()
        last = self._last()
        if last is not None:
            old, old_note = last
            if cp.size < old.size:
                self._alarm(
                    f"ROLLBACK: the log shrank from {old.size} to {cp.size}",
                    {"old-checkpoint.txt": old_note, "new-checkpoint.txt": note},
                    None,
                )
            self._check_consistent(old, old_note, cp, note, "this witness's history")
        self._check_peers(cp, note)
        cosigned = last is None or last[0] != cp
        if cosigned:
            sig = cosign(body, self.key, int(self.now().timestamp()))
            signed = body + "\n" + sig.line()
            self.client._ok(
                self.client.http.post(
                    "/log/v1/cosignature",
                    content=signed.encode("utf-8"),
                    headers={**self.client.headers, "Content-Type": "text/plain; charset=utf-8"},
                )
            )
            (self.state / "checkpoint.txt").write_text(note, encoding="utf-8")
            if self.gossip is not None:
                self.gossip.mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^A-Za-z0-9._-]", "_", self.key.name)
                tmp = self.gossip / f".{name}.tmp"
                tmp.write_text(note, encoding="utf-8")
                tmp.replace(self.gossip / f"{name}.checkpoint")
        return Round(cp, cosigned)

    def _check_peers(self, cp: Checkpoint, note: str) -> None:
        if self.gossip is None or not self.gossip.exists():
            return
        mine = re.sub(r"[^A-Za-z0-9._-]", "_", self.key.name) + ".checkpoint"
        for f in sorted(self.gossip.glob("*.checkpoint")):
            if f.name == mine:
                continue
            peer_note = f.read_text(encoding="utf-8")
            try:
                peer = self.client.open_note(peer_note)
            except LogInconsistent:
                continue  # not this log's: nothing to compare
            self._check_consistent(peer, peer_note, cp, note, f"against peer {f.stem}")

    def run(
        self, interval: float, *, once: bool = False, log: Callable[[str], None] = print
    ) -> None:
        while True:
            try:
                r = self.step()
                log(f"size {r.checkpoint.size}: " + ("cosigned" if r.cosigned else "unchanged"))
            except (ClientError, LogInconsistent, OSError, httpx.HTTPError) as exc:
                if once:
                    raise
                log(f"error: {exc}; retrying in {interval}s")
            if once:
                return
            time.sleep(interval)

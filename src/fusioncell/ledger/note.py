"""C2SP signed notes, tlog checkpoints and cosignature/v1 (tlog-cosignature)."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from fusioncell.ledger.canonical import EncodingError, b64d, b64e
from fusioncell.ledger.keys import ALG_COSIGNATURE_V1, SigningKey, VerifierKey

DASH = "\u2014 "  # an em dash and a space open every signature line
_ORIGIN = re.compile(r"^[^\s]+$")


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    key_id: bytes
    blob: bytes  # the bytes after the key id: a signature, or timestamp || signature

    def line(self) -> str:
        return f"{DASH}{self.name} {b64e(self.key_id + self.blob)}\n"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{b64e(self.root)}\n"

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise EncodingError("checkpoint must be ORIGIN, SIZE and ROOT lines")
        origin, size, root = lines[0], lines[1], lines[2]
        if not _ORIGIN.match(origin):
            raise EncodingError("checkpoint origin is empty or holds whitespace")
        if not size.isdigit() or (size != "0" and size.startswith("0")):
            raise EncodingError("checkpoint size must be a decimal with no leading zeroes")
        return cls(origin, int(size), b64d(root, length=32, what="checkpoint root"))


def sign_note(body: str, key: SigningKey, *more: SigningKey) -> str:
    """A note signed by `key` and then by each of `more` (a log key in its transition)."""
    lines = (Signature(k.name, k.key_id, k.sign(body.encode("utf-8"))).line() for k in (key, *more))
    return body + "\n" + "".join(lines)


def split_note(text: str) -> tuple[str, list[Signature]]:
    """Split a note into its body and its signature lines (unverified)."""
    if not isinstance(text, str) or "\n\n" not in text or not text.endswith("\n"):
        raise EncodingError("a signed note is a body, a blank line and signature lines")
    cut = text.rindex("\n\n")
    body, sig_text = text[: cut + 1], text[cut + 2 :]
    sigs = [parse_signature_line(line) for line in sig_text.split("\n")[:-1]]
    if not sigs:
        raise EncodingError("a signed note needs at least one signature")
    return body, sigs


def parse_signature_line(line: str) -> Signature:
    if not line.startswith(DASH):
        raise EncodingError("a signature line starts with an em dash and a space")
    try:
        name, blob64 = line[len(DASH) :].split(" ")
    except ValueError:
        raise EncodingError("a signature line is '— NAME BASE64'") from None
    blob = b64d(blob64, what="note signature")
    if len(blob) < 5:
        raise EncodingError("note signature too short")
    return Signature(name, blob[:4], blob[4:])


def open_checkpoint(text: str, log_key: VerifierKey) -> tuple[Checkpoint, list[Signature]]:
    """Verify the log's signature on a checkpoint note; return it and its other signatures."""
    body, sigs = split_note(text)
    ok = [
        s
        for s in sigs
        if s.name == log_key.name
        and s.key_id == log_key.key_id
        and log_key.verify(s.blob, body.encode("utf-8"))
    ]
    if not ok:
        raise EncodingError("checkpoint is not signed by the log's key")
    cp = Checkpoint.parse_body(body)
    if cp.origin != log_key.name:
        raise EncodingError("checkpoint origin does not match the log's key name")
    return cp, [s for s in sigs if s not in ok]


def cosigned_message(cp_body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{cp_body}".encode()


def cosign(cp_body: str, key: SigningKey, timestamp: int) -> Signature:
    if key.alg != ALG_COSIGNATURE_V1:
        raise EncodingError("a cosigning key has type 0x04")
    sig = key.sign(cosigned_message(cp_body, timestamp))
    return Signature(key.name, key.key_id, struct.pack(">Q", timestamp) + sig)


def verify_cosignature(cp_body: str, sig: Signature, witness: VerifierKey) -> int:
    """Check a cosignature/v1 and return its timestamp; raise on any mismatch."""
    if witness.alg != ALG_COSIGNATURE_V1:
        raise EncodingError("witness key is not a cosignature/v1 key")
    if sig.name != witness.name or sig.key_id != witness.key_id:
        raise EncodingError("cosignature is not from this witness")
    if len(sig.blob) != 8 + 64:
        raise EncodingError("cosignature must be an 8-byte timestamp and a 64-byte signature")
    (ts,) = struct.unpack(">Q", sig.blob[:8])
    if ts >= 1 << 63:
        raise EncodingError("cosignature timestamp out of range")
    if not witness.verify(sig.blob[8:], cosigned_message(cp_body, ts)):
        raise EncodingError("cosignature does not verify")
    return int(ts)

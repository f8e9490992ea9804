"""Ed25519 keys, key ids and verifier keys (C2SP signed-note).

A key id is the first 4 bytes of SHA-256(name || 0x0A || type || public key): type 0x01 for
note and statement signatures, 0x04 for witness cosignatures (tlog-cosignature).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nacl.exceptions
import nacl.signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fusioncell.ledger.canonical import EncodingError, b64d, b64e

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04

# signed-note: names are non-empty and hold no whitespace and no '+'.
_NAME = re.compile(r"^[^\s+]+$")


def check_key_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > 255:
        raise EncodingError(f"key name {name!r} is empty or holds whitespace or '+'")
    return name


def key_id(name: str, public: bytes, alg: int = ALG_ED25519) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public).digest()[:4]


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A public key with its name: what a verifier is configured with."""

    name: str
    public: bytes
    alg: int = ALG_ED25519

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public, self.alg)

    @property
    def key_id_hex(self) -> str:
        return self.key_id.hex()

    def encode(self) -> str:
        """`NAME+KEYIDHEX+BASE64(alg || pub)`, the signed-note vkey form."""
        return f"{self.name}+{self.key_id_hex}+{b64e(bytes([self.alg]) + self.public)}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        parts = text.strip().split("+", 2) if isinstance(text, str) else []
        if len(parts) != 3:
            raise EncodingError("verifier key must be NAME+KEYID+BASE64")
        name, kid, blob = parts
        check_key_name(name)
        raw = b64d(blob, length=33, what="verifier key")
        vk = cls(name=name, public=raw[1:], alg=raw[0])
        if raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise EncodingError(f"unsupported key type 0x{raw[0]:02x}")
        if vk.key_id_hex != kid:
            raise EncodingError("verifier key id does not match its name and key")
        return vk

    def verify(self, signature: bytes, message: bytes) -> bool:
        return verify(self.public, signature, message)


@lru_cache(maxsize=4096)
def _nacl_key(public: bytes) -> nacl.signing.VerifyKey:
    return nacl.signing.VerifyKey(public)


def verify(public: bytes, signature: bytes, message: bytes) -> bool:
    """Ed25519 verification (RFC 8032), strict as libsodium is: non-canonical encodings and
    small-order keys fail. libsodium is about twice as fast here as OpenSSL, and releases
    the GIL, so concurrent appends verify on every core."""
    if len(public) != 32 or len(signature) != 64:
        return False
    try:
        _nacl_key(public).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


class SigningKey:
    """An Ed25519 private key with its name. Lives in the author's client only."""

    def __init__(self, name: str, private: Ed25519PrivateKey, alg: int = ALG_ED25519) -> None:
        self.name = check_key_name(name)
        self._private = private
        self.alg = alg
        self.public = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.verifier = VerifierKey(name, self.public, alg)

    @classmethod
    def generate(cls, name: str, alg: int = ALG_ED25519) -> SigningKey:
        return cls(name, Ed25519PrivateKey.generate(), alg)

    @property
    def key_id(self) -> bytes:
        return self.verifier.key_id

    @property
    def key_id_hex(self) -> str:
        return self.verifier.key_id_hex

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    # A private key file: `PRIVATE+NAME+ALGHEX+BASE64(seed)`, one line, mode 0600.
    def encode_private(self) -> str:
        seed = self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return f"PRIVATE+{self.name}+{self.alg:02x}+{b64e(seed)}"

    @classmethod
    def decode_private(cls, text: str) -> SigningKey:
        parts = text.strip().split("+", 3)
        if len(parts) != 4 or parts[0] != "PRIVATE":
            raise EncodingError("private key must be PRIVATE+NAME+ALG+BASE64")
        seed = b64d(parts[3], length=32, what="private key")
        return cls(parts[1], Ed25519PrivateKey.from_private_bytes(seed), int(parts[2], 16))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(self.encode_private() + "\n")

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        return cls.decode_private(path.read_text(encoding="ascii"))

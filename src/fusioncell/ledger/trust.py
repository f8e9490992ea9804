"""The trust chain, all inside the log: charter root keys -> registered member and witness keys.

The same rules run when the server appends and when an independent verifier replays an
export, so both agree on what a valid entry is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fusioncell.ledger.canonical import EncodingError
from fusioncell.ledger.entry import (
    MEMBER_RE,
    ROOT_MEMBER,
    SYSTEM_MEMBER,
    SYSTEM_PARTY,
    Statement,
)
from fusioncell.ledger.keys import ALG_COSIGNATURE_V1, ALG_ED25519, VerifierKey

GENESIS_KIND = "charter.adopted"
KEY_REGISTERED = "member.key.registered"
KEY_REVOKED = "member.key.revoked"
WITNESS_REGISTERED = "witness.key.registered"
WITNESS_REVOKED = "witness.key.revoked"
MEMBER_ADDED = "member.added"
MEMBER_DISABLED = "member.disabled"
TRUST_KINDS = frozenset(
    {
        KEY_REGISTERED,
        KEY_REVOKED,
        WITNESS_REGISTERED,
        WITNESS_REVOKED,
        MEMBER_ADDED,
        MEMBER_DISABLED,
    }
)
ROLE_RE = re.compile(r"^[a-z][a-z_]{0,31}$")


class TrustError(ValueError):
    """An entry the trust chain does not allow: wrong key, revoked key, forged signature."""


@dataclass(frozen=True, slots=True)
class Genesis:
    origin: str
    log_key: VerifierKey
    roots: dict[str, VerifierKey]
    parties: tuple[str, ...]
    sees_all: frozenset[str]

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Genesis:
        try:
            charter = body["charter"]
            keys = body["keys"]
            log_key = VerifierKey.parse(keys["log"])
            roots = {p: VerifierKey.parse(v) for p, v in keys["roots"].items()}
            parties = tuple(sorted(p["code"] for p in charter["parties"]))
            sees_all = frozenset(p["code"] for p in charter["parties"] if p.get("sees_all"))
        except (KeyError, TypeError, AttributeError) as exc:
            raise EncodingError(f"charter.adopted body is incomplete: {exc!r}") from exc
        if set(roots) != set(parties):
            raise EncodingError("every party needs exactly one root key")
        return cls(log_key.name, log_key, roots, parties, sees_all)

    def may_read(self, party: str, visibility: tuple[str, ...] | list[str]) -> bool:
        return party in visibility or party in self.sees_all


@dataclass(slots=True)
class KeyRecord:
    key: VerifierKey
    admin: bool
    registered: int
    revoked: int | None = None


@dataclass(slots=True)
class WitnessRecord:
    party: str
    key: VerifierKey
    registered: int
    revoked: int | None = None


@dataclass(slots=True)
class AccountRecord:
    party: str
    role: str
    added: int
    disabled: int | None = None


@dataclass(slots=True)
class KeyRing:
    genesis: Genesis
    members: dict[tuple[str, str, str], KeyRecord] = field(default_factory=dict)
    witnesses: dict[str, WitnessRecord] = field(default_factory=dict)
    accounts: dict[str, AccountRecord] = field(default_factory=dict)  # member id -> account

    def signer(self, st: Statement) -> tuple[VerifierKey, bool]:
        """The key that must have signed `st`, and whether it may register keys."""
        a = st.author
        if a.member == SYSTEM_MEMBER:
            if a.party != SYSTEM_PARTY or a.key != self.genesis.log_key.key_id_hex:
                raise TrustError("system entries are signed by the log key, party '*'")
            return self.genesis.log_key, False
        if a.party not in self.genesis.roots:
            raise TrustError(f"unknown party {a.party}")
        if a.member == ROOT_MEMBER:
            root = self.genesis.roots[a.party]
            if a.key != root.key_id_hex:
                raise TrustError(f"key {a.key} is not the root key of {a.party}")
            return root, True
        account = self.accounts.get(a.member)
        if account is not None and account.disabled is not None:
            raise TrustError(f"{a.party}/{a.member} was disabled at entry {account.disabled}")
        rec = self.members.get((a.party, a.member, a.key))
        if rec is None:
            raise TrustError(f"key {a.key} is not registered for {a.party}/{a.member}")
        if rec.revoked is not None:
            raise TrustError(f"key {a.key} of {a.party}/{a.member} was revoked at {rec.revoked}")
        return rec.key, rec.admin

    def check(
        self,
        index: int,
        st: Statement,
        sig: bytes,
        body: dict[str, Any] | None,
        *,
        verified: VerifierKey | None = None,
    ) -> None:
        """Raise TrustError unless entry `index` is valid given every entry before it.

        `body` may be None for an entry whose body the checker may not read; trust-chain
        kinds are visible to every party, so their bodies are always checked.
        """
        g = self.genesis
        if st.origin != g.origin:
            raise TrustError(f"origin {st.origin!r} is not this log's {g.origin!r}")
        if (index == 0) != (st.kind == GENESIS_KIND):
            raise TrustError("charter.adopted is entry 0, and only entry 0")
        unknown = set(st.visibility) - set(g.parties)
        if unknown:
            raise TrustError(f"visibility names unknown parties {', '.join(sorted(unknown))}")
        key, may_admin = self.signer(st)
        # `verified`: the caller already checked this signature with this very key.
        if key != verified and not key.verify(sig, st.raw):
            raise TrustError("signature does not verify with the author's key")
        if st.kind == GENESIS_KIND and st.author.member != SYSTEM_MEMBER:
            raise TrustError("charter.adopted is written by the system")
        if (st.kind in TRUST_KINDS or st.kind == GENESIS_KIND) and st.visibility != g.parties:
            raise TrustError(f"{st.kind} must be visible to every party")
        if st.kind in TRUST_KINDS:
            if body is None:
                raise TrustError(f"{st.kind} needs its body to be checked")
            own_key = (
                st.kind == KEY_REVOKED
                and body.get("member") == st.author.member
                and body.get("party") == st.author.party
            )
            if not may_admin and not own_key:
                raise TrustError(f"{st.kind} is signed by the party's root or an admin key")
            self._check_trust_body(st, body)

    def _check_trust_body(self, st: Statement, body: dict[str, Any]) -> None:
        party = body.get("party")
        if party != st.author.party:
            raise TrustError("a party registers and revokes only its own keys")
        {
            KEY_REGISTERED: self._check_key_registered,
            KEY_REVOKED: self._check_key_revoked,
            WITNESS_REGISTERED: self._check_witness_registered,
            WITNESS_REVOKED: self._check_witness_revoked,
            MEMBER_ADDED: self._check_member_added,
            MEMBER_DISABLED: self._check_member_disabled,
        }[st.kind](st, party, body)

    def _check_member_added(self, st: Statement, party: str, body: dict[str, Any]) -> None:
        member = self._check_member(st, party, body)
        if member in self.accounts:
            raise TrustError(f"member id {member} is taken")
        role = body.get("role")
        if not isinstance(role, str) or not ROLE_RE.match(role):
            raise TrustError("body.role must be a role name")

    def _check_member_disabled(self, st: Statement, party: str, body: dict[str, Any]) -> None:
        member = self._check_member(st, party, body)
        acc = self.accounts.get(member)
        if acc is None or acc.party != party or acc.disabled is not None:
            raise TrustError(f"no active member {member} in {party}")

    @staticmethod
    def _check_member(st: Statement, party: str, body: dict[str, Any]) -> str:
        member = body.get("member")
        if not isinstance(member, str) or not MEMBER_RE.match(member):
            raise TrustError("body.member is not a member id")
        if member in (ROOT_MEMBER, SYSTEM_MEMBER):
            raise TrustError(f"'{member}' is reserved")
        if st.subject != f"{party}/{member}":
            raise TrustError("subject must be PARTY/MEMBER")
        return member

    def _check_key_registered(self, st: Statement, party: str, body: dict[str, Any]) -> None:
        member = self._check_member(st, party, body)
        key = _vkey(body.get("key"), ALG_ED25519)
        if not key.name.startswith(f"{party}/{member}/"):
            raise TrustError("a member key's name starts with PARTY/MEMBER/")
        if not isinstance(body.get("admin"), bool):
            raise TrustError("body.admin must be true or false")
        if (party, member, key.key_id_hex) in self.members:
            raise TrustError("this key is already registered")

    def _check_key_revoked(self, st: Statement, party: str, body: dict[str, Any]) -> None:
        member = self._check_member(st, party, body)
        rec = self.members.get((party, member, str(body.get("key"))))
        if rec is None or rec.revoked is not None:
            raise TrustError("no such registered, unrevoked key")

    def _check_witness_registered(self, st: Statement, party: str, body: dict[str, Any]) -> None:
        key = _vkey(body.get("key"), ALG_COSIGNATURE_V1)
        if key.name in self.witnesses:
            raise TrustError(f"witness {key.name} is already registered")
        if st.subject != key.name:
            raise TrustError("subject must be the witness's name")

    def _check_witness_revoked(self, st: Statement, party: str, body: dict[str, Any]) -> None:
        w = self.witnesses.get(str(body.get("witness")))
        if w is None or w.revoked is not None or w.party != party:
            raise TrustError("no such registered witness of this party")
        if st.subject != w.key.name:
            raise TrustError("subject must be the witness's name")

    def apply(self, index: int, st: Statement, body: dict[str, Any] | None) -> None:
        """Record what a valid entry changes in the key ring."""
        if body is None or st.kind not in TRUST_KINDS:
            return
        party = body["party"]
        if st.kind == KEY_REGISTERED:
            key = VerifierKey.parse(body["key"])
            self.members[(party, body["member"], key.key_id_hex)] = KeyRecord(
                key, bool(body["admin"]), index
            )
        elif st.kind == KEY_REVOKED:
            self.members[(party, body["member"], body["key"])].revoked = index
        elif st.kind == WITNESS_REGISTERED:
            key = VerifierKey.parse(body["key"])
            self.witnesses[key.name] = WitnessRecord(party, key, index)
        elif st.kind == WITNESS_REVOKED:
            self.witnesses[body["witness"]].revoked = index
        elif st.kind == MEMBER_ADDED:
            self.accounts[body["member"]] = AccountRecord(party, body["role"], index)
        elif st.kind == MEMBER_DISABLED:
            self.accounts[body["member"]].disabled = index


def _vkey(text: Any, alg: int) -> VerifierKey:
    if not isinstance(text, str):
        raise TrustError("body.key must be a verifier key string")
    try:
        key = VerifierKey.parse(text)
    except EncodingError as exc:
        raise TrustError(f"body.key: {exc}") from exc
    if key.alg != alg:
        raise TrustError(f"body.key must have type 0x{alg:02x}")
    return key

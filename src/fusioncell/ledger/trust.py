"""The trust chain, all inside the log: charter root keys -> registered member and witness keys.

The same rules run when the server appends and when an independent verifier replays an
export, so both agree on what a valid entry is.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
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
ROOT_ROTATED = "party.root.rotated"  # signed by the party's root key in force
LOG_KEY_ROTATED = "log.key.rotated"  # a system entry, signed by the log key in force
# The kinds a party signs with its root key (or an admin key: all but ROOT_ROTATED).
TRUST_KINDS = frozenset(
    {
        KEY_REGISTERED,
        KEY_REVOKED,
        WITNESS_REGISTERED,
        WITNESS_REVOKED,
        MEMBER_ADDED,
        MEMBER_DISABLED,
        ROOT_ROTATED,
    }
)
# Every kind that changes the key ring: verifiers replay these, bundles carry them.
CHAIN_KINDS = TRUST_KINDS | {LOG_KEY_ROTATED}
MAX_REASON = 500
LOG_KEY_SUBJECT = "log/key"
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


def key_in_force(log_keys: Sequence[tuple[int, VerifierKey]], size: int) -> VerifierKey:
    """The log key that signs entry `size` (if a system entry) and the checkpoint of size
    `size`: the charter's, or the key named by the last `log.key.rotated` below `size`.
    `log_keys`: (index of the entry naming it, key), the charter's first (index 0)."""
    key = log_keys[0][1]
    for index, k in log_keys[1:]:
        if index < size:
            key = k
    return key


def rotated_key(body: dict[str, Any], name: str, used: Collection[str]) -> VerifierKey:
    """The new key a rotation body names, checked: type 0x01, named `name`, and its key id
    not in `used` (the key in force and every key it replaced: no going back)."""
    key = _vkey(body.get("key"), ALG_ED25519)
    if key.name != name:
        raise TrustError(f"the new key must be named {name}")
    if key.key_id_hex in used:
        raise TrustError(f"key {key.key_id_hex} is in force or was used before")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise TrustError(f"body.reason must be text of at most {MAX_REASON} characters")
    return key


def check_log_key_rotation(
    st: Statement, sig: bytes, body: dict[str, Any], known: Sequence[VerifierKey]
) -> VerifierKey:
    """Check a `log.key.rotated` entry on its own, as a client that knows the log keys
    `known` (oldest first, the last one in force at the entry) does; return the new key."""
    current = known[-1]
    a = st.author
    if st.kind != LOG_KEY_ROTATED or st.subject != LOG_KEY_SUBJECT:
        raise TrustError(f"not a {LOG_KEY_ROTATED} entry")
    if (a.party, a.member, a.key) != (SYSTEM_PARTY, SYSTEM_MEMBER, current.key_id_hex):
        raise TrustError(f"a log key rotation is signed by the key in force {current.key_id_hex}")
    if st.origin != current.name or not current.verify(sig, st.raw):
        raise TrustError(f"the log key rotation does not verify with {current.key_id_hex}")
    return rotated_key(body, current.name, {k.key_id_hex for k in known})


@dataclass(slots=True)
class KeyRing:
    genesis: Genesis
    members: dict[tuple[str, str, str], KeyRecord] = field(default_factory=dict)
    witnesses: dict[str, WitnessRecord] = field(default_factory=dict)
    accounts: dict[str, AccountRecord] = field(default_factory=dict)  # member id -> account
    # (index of the entry naming it, key): the charter's log key, then each rotation's.
    log_keys: list[tuple[int, VerifierKey]] = field(default_factory=list)
    roots: dict[str, VerifierKey] = field(default_factory=dict)  # each party's root in force
    retired_roots: dict[tuple[str, str], int] = field(default_factory=dict)  # -> rotated at

    def __post_init__(self) -> None:
        if not self.log_keys:
            self.log_keys.append((0, self.genesis.log_key))
        if not self.roots:
            self.roots.update(self.genesis.roots)

    @property
    def log_key(self) -> VerifierKey:
        """The log key in force after every entry applied so far."""
        return self.log_keys[-1][1]

    def signer(self, st: Statement) -> tuple[VerifierKey, bool]:
        """The key that must have signed `st`, and whether it may register keys."""
        a = st.author
        if a.member == SYSTEM_MEMBER:
            if a.party != SYSTEM_PARTY or a.key != self.log_key.key_id_hex:
                for (_, k), (at, _) in zip(self.log_keys, self.log_keys[1:], strict=False):
                    if a.party == SYSTEM_PARTY and k.key_id_hex == a.key:
                        raise TrustError(
                            f"log key {a.key} was retired at entry {at}; system entries are "
                            f"signed by the log key in force {self.log_key.key_id_hex}"
                        )
                raise TrustError("system entries are signed by the log key, party '*'")
            return self.log_key, False
        if a.party not in self.roots:
            raise TrustError(f"unknown party {a.party}")
        if a.member == ROOT_MEMBER:
            root = self.roots[a.party]
            if a.key != root.key_id_hex:
                retired = self.retired_roots.get((a.party, a.key))
                if retired is not None:
                    raise TrustError(
                        f"key {a.key} is no longer the root key of {a.party}: it was rotated "
                        f"at entry {retired}; the root key in force is {root.key_id_hex}"
                    )
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
        if (st.kind in CHAIN_KINDS or st.kind == GENESIS_KIND) and st.visibility != g.parties:
            raise TrustError(f"{st.kind} must be visible to every party")
        self._check_rotation(st, body)
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

    def _check_rotation(self, st: Statement, body: dict[str, Any] | None) -> None:
        """Who signs a rotation: the log key in force, or the party's root key in force."""
        if st.kind == LOG_KEY_ROTATED:
            if st.author.member != SYSTEM_MEMBER or body is None:
                raise TrustError(f"{st.kind} is a system entry signed by the log key in force")
            if st.subject != LOG_KEY_SUBJECT:
                raise TrustError(f"subject must be {LOG_KEY_SUBJECT}")
            rotated_key(body, self.genesis.origin, self._log_key_ids())
        if st.kind == ROOT_ROTATED and st.author.member != ROOT_MEMBER:
            raise TrustError(f"{st.kind} is signed by the party's root key in force")

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
            ROOT_ROTATED: self._check_root_rotated,
        }[st.kind](st, party, body)

    def _check_root_rotated(self, st: Statement, party: str, body: dict[str, Any]) -> None:
        if st.subject != f"{party}/{ROOT_MEMBER}":
            raise TrustError(f"subject must be {party}/{ROOT_MEMBER}")
        used = {self.roots[party].key_id_hex} | {k for p, k in self.retired_roots if p == party}
        rotated_key(body, f"{party}/{ROOT_MEMBER}", used)

    def _log_key_ids(self) -> set[str]:
        return {k.key_id_hex for _, k in self.log_keys}

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
        """Record what a valid entry changes in the key ring. Applying the same entry again
        changes nothing (the offline verifier may apply an entry twice)."""
        if body is None or st.kind not in CHAIN_KINDS:
            return
        if st.kind == LOG_KEY_ROTATED:
            if self.log_keys[-1][0] < index:
                self.log_keys.append((index, VerifierKey.parse(body["key"])))
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
        elif st.kind == ROOT_ROTATED:
            key = VerifierKey.parse(body["key"])
            if self.roots[party] != key:
                self.retired_roots[(party, self.roots[party].key_id_hex)] = index
                self.roots[party] = key


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

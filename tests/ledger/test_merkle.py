"""The stored-subtree tree agrees with RFC 9162's recursive definitions, proofs verify,
and wrong proofs do not."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from fusioncell.ledger import merkle


def mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return merkle.leaf_hash(leaves[0])
    k = 1 << ((n - 1).bit_length() - 1)
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n <= 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*subproof(m, leaves[:k], b), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


class Store:
    def __init__(self) -> None:
        self.nodes: dict[merkle.Node, bytes] = {}
        self.size = 0
        self.reads = 0

    def fetch(self, ns):  # type: ignore[no-untyped-def]
        ns = list(ns)
        self.reads += len(ns)
        return {n: self.nodes[n] for n in ns}

    def append(self, leaves: list[bytes]) -> None:
        new = merkle.append_nodes(self.size, [merkle.leaf_hash(x) for x in leaves], self.fetch)
        self.nodes.update(new)
        self.size += len(leaves)


def build(n: int, batch: int = 1) -> tuple[Store, list[bytes]]:
    s, leaves = Store(), [b"leaf-%d" % i for i in range(n)]
    for i in range(0, n, batch):
        s.append(leaves[i : i + batch])
    return s, leaves


def test_every_size_up_to_70() -> None:
    s, leaves = build(70, batch=3)
    for n in range(1, 71):
        assert merkle.root(n, s.fetch) == mth(leaves[:n])
        for i in range(n):
            p = merkle.hashes_of(merkle.inclusion_ranges(i, n), s.fetch)
            assert p == path(i, leaves[:n])
            assert merkle.verify_inclusion(merkle.leaf_hash(leaves[i]), i, n, p, mth(leaves[:n]))
        for m in range(1, n + 1):
            p = merkle.hashes_of(merkle.consistency_ranges(m, n), s.fetch)
            assert p == subproof(m, leaves[:n], True)
            assert merkle.verify_consistency(m, n, mth(leaves[:m]), mth(leaves[:n]), p)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 300), batch=st.integers(1, 40))
def test_proofs_random(data: st.DataObject, n: int, batch: int) -> None:
    s, leaves = build(n, batch)
    i = data.draw(st.integers(0, n - 1))
    m = data.draw(st.integers(1, n))
    root = mth(leaves)
    p = merkle.hashes_of(merkle.inclusion_ranges(i, n), s.fetch)
    assert merkle.verify_inclusion(merkle.leaf_hash(leaves[i]), i, n, p, root)
    # any change to the leaf, the index, or a path element fails
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"other"), i, n, p, root)
    if n > 1:
        assert not merkle.verify_inclusion(merkle.leaf_hash(leaves[i]), (i + 1) % n, n, p, root)
    if p:
        j = data.draw(st.integers(0, len(p) - 1))
        bad = [*p[:j], bytes(32), *p[j + 1 :]]
        assert not merkle.verify_inclusion(merkle.leaf_hash(leaves[i]), i, n, bad, root)
    c = merkle.hashes_of(merkle.consistency_ranges(m, n), s.fetch)
    assert merkle.verify_consistency(m, n, mth(leaves[:m]), root, c)
    if m < n:
        assert not merkle.verify_consistency(m, n, mth([b"x", *leaves[1:m]]), root, c)
        if c:
            j = data.draw(st.integers(0, len(c) - 1))
            bad = [*c[:j], bytes(32), *c[j + 1 :]]
            assert not merkle.verify_consistency(m, n, mth(leaves[:m]), root, bad)


def test_appends_and_proofs_touch_log_n_nodes() -> None:
    s, _ = build(5000, batch=7)
    assert len(s.nodes) < 2 * 5000  # every perfect subtree once: 2n - popcount(n)
    s.reads = 0
    merkle.hashes_of(merkle.inclusion_ranges(1234, 5000), s.fetch)
    merkle.hashes_of(merkle.consistency_ranges(1234, 5000), s.fetch)
    assert s.reads <= 4 * 13
    s.reads = 0
    s.append([b"one more"])
    assert s.reads <= 13  # only the old frontier


@given(st.lists(st.binary(max_size=8), max_size=200))
def test_compact_range_matches_mth(leaves: list[bytes]) -> None:
    cr = merkle.CompactRange()
    for x in leaves:
        cr.append(merkle.leaf_hash(x))
    assert cr.root() == mth(leaves)
    assert cr.size == len(leaves)


def test_node_keys_round_trip() -> None:
    for node in [(0, 0), (0, 2**40), (20, 12345), (47, 1)]:
        assert merkle.key_node(merkle.node_key(node)) == node

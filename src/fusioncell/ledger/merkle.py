"""RFC 9162 section 2.1 Merkle trees over stored perfect subtrees.

Every perfect subtree (level l, index i covers leaves [i*2^l, (i+1)*2^l)) is stored once,
when its last leaf arrives, so an append writes about two rows and any root or proof reads
O(log n) of them. Nothing here touches a database: callers pass a `fetch` function.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

Node = tuple[int, int]  # (level, index)
Fetch = Callable[[Iterable[Node]], dict[Node, bytes]]

EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEVEL_SHIFT = 48


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def node_key(node: Node) -> int:
    """One integer per node, for a single-column primary key."""
    level, index = node
    return (level << _LEVEL_SHIFT) | index


def key_node(key: int) -> Node:
    return key >> _LEVEL_SHIFT, key & ((1 << _LEVEL_SHIFT) - 1)


def decompose(start: int, end: int) -> list[Node]:
    """The perfect subtrees, left to right, whose union is [start, end).

    Valid for the ranges RFC 9162 recursion produces: start is a multiple of the largest
    power of two not above end - start.
    """
    nodes: list[Node] = []
    pos = start
    remaining = end - start
    for level in range(remaining.bit_length() - 1, -1, -1):
        if remaining >> level & 1:
            nodes.append((level, pos >> level))
            pos += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Combine left-to-right perfect subtree hashes of decreasing size into their MTH."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def _largest_pow2_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs form PATH(index, D[0:size]), in RFC 9162 order (leaf upward)."""
    out: list[tuple[int, int]] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _largest_pow2_below(hi - lo)
        if m < k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
            m -= k
    out.reverse()
    return out


def consistency_ranges(old: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs form PROOF(old, D[0:size]) (RFC 9162 2.1.4.1), in order."""
    out: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, size, old, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                out.append((lo, hi))
            break
        k = _largest_pow2_below(n)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
            m -= k
            whole = False
    out.reverse()
    return out


def hashes_of(ranges: Sequence[tuple[int, int]], fetch: Fetch) -> list[bytes]:
    """MTH of each range, with one fetch of all the stored nodes they need."""
    plans = [decompose(a, b) for a, b in ranges]
    stored = fetch({n for plan in plans for n in plan})
    out = []
    for plan in plans:
        try:
            out.append(fold([stored[n] for n in plan]))
        except KeyError as exc:
            raise LookupError(f"tree node {exc.args[0]} is missing from storage") from exc
    return out


def root(size: int, fetch: Fetch) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    return hashes_of([(0, size)], fetch)[0]


def append_nodes(size: int, leaves: Sequence[bytes], fetch: Fetch) -> dict[Node, bytes]:
    """Every perfect subtree completed by appending `leaves` to a tree of `size` leaves.

    Reads only the frontier of the old tree (its O(log n) rightmost perfect subtrees).
    """
    known = dict(fetch(decompose(0, size))) if size else {}
    new: dict[Node, bytes] = {}
    for offset, h in enumerate(leaves):
        n = size + offset
        known[(0, n)] = new[(0, n)] = h
        level = 1
        while (n + 1) % (1 << level) == 0:
            i = n >> level
            parent = node_hash(known[(level - 1, 2 * i)], known[(level - 1, 2 * i + 1)])
            known[(level, i)] = new[(level, i)] = parent
            level += 1
    return new


class CompactRange:
    """A running root over leaves appended one by one, keeping O(log n) hashes (verifiers)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (level, hash), levels strictly decreasing

    def append(self, h: bytes) -> None:
        level = 0
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            h = node_hash(left, h)
            level += 1
        self._stack.append((level, h))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        return fold([h for _, h in self._stack])


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old: int, size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2."""
    if old > size or old < 0:
        return False
    if old == size:
        return not path and old_root == new_root
    if old == 0:
        return not path
    proof = list(path)
    if old & (old - 1) == 0:  # a power of two: the old root is the first node
        proof.insert(0, old_root)
    if not proof:
        return False
    fn, sn = old - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root

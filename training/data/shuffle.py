"""A seeded pseudo-random permutation of [0, n) evaluated index by index, in O(1) memory (no array of n).

`np.random.permutation(n)` holds n int64s (80 MB for 10M examples, per kind and epoch); the data loader must stay
flat in the number of examples, so it uses a 4-round Feistel network over the smallest even number of bits that
covers n, with cycle walking (an index that lands >= n is encrypted again until it lands below n). A Feistel
network is a bijection of its 2^bits domain for any round function, so the walk is a bijection of [0, n);
the domain is < 4n, so a walk takes fewer than 4 rounds on average. Vectorised over numpy uint64 arrays.
"""

from __future__ import annotations

import hashlib

import numpy as np

_ROUNDS = 4
_MULT = np.uint64(0x9E3779B97F4A7C15)


def _round_keys(key: tuple[int, ...]) -> list[np.uint64]:
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8 * _ROUNDS).digest()
    return [np.uint64(int.from_bytes(digest[8 * i : 8 * i + 8], "little")) for i in range(_ROUNDS)]


class Permutation:
    """perm(j) for j in [0, n): a bijection chosen by `key` (e.g. (seed, kind, epoch))."""

    def __init__(self, n: int, key: tuple[int, ...]) -> None:
        if n < 1:
            raise ValueError(f"a permutation needs n >= 1, got {n}")
        self.n = n
        bits = max(2, int(n - 1).bit_length())
        self.half = (bits + 1) // 2
        self.mask = np.uint64((1 << self.half) - 1)
        self.keys = _round_keys(key)

    def _encrypt(self, x: np.ndarray) -> np.ndarray:
        half, mask = np.uint64(self.half), self.mask
        left, right = x >> half, x & mask
        with np.errstate(over="ignore"):
            for k in self.keys:
                f = (((right ^ k) * _MULT) >> np.uint64(64 - self.half)) & mask
                left, right = right, left ^ f
        return (left << half) | right

    def __call__(self, j: np.ndarray | int) -> np.ndarray:
        x = np.asarray(j, dtype=np.uint64)
        if x.size and (int(x.min()) < 0 or int(x.max()) >= self.n):
            raise IndexError(f"permutation index out of [0, {self.n})")
        x = self._encrypt(x)
        while True:
            out = x >= np.uint64(self.n)
            if not out.any():
                return x.astype(np.int64)
            x = np.where(out, self._encrypt(x), x)

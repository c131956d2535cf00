"""The validation split: the exporter's `split: "validation"` files when a snapshot has them, else a held-out share.

A held-out share is drawn per kind with a fixed pseudo-random permutation (`shuffle.Permutation`, key independent
of --seed, so changing the seed does not move examples between the sides): positions [0, n_val) of the
permutation are validation, [n_val, n) training. Both sides are views (`Subset`), O(1) memory. The share is by
example: two examples cut from one dialog can land on both sides, which an exporter's split by conversation
avoids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from training.data.shuffle import Permutation
from training.format.schema import KINDS

_SPLIT_KEY = 0x5EED  # the held-out share does not depend on --seed


class ExampleSet(Protocol):
    """What TokenBatches and the evaluation read: RenderedSet, TokenizedSet, Subset."""

    max_len: int
    dropped: int
    truncated: int

    def __len__(self) -> int: ...

    def get(self, i: int) -> tuple[Any, Any]: ...

    def length(self, i: int) -> int: ...

    def loss_tokens(self, i: int) -> int: ...


class Subset:
    """Examples `base[perm(start + j)]` for j in [0, n)."""

    def __init__(self, base: ExampleSet, perm: Permutation, start: int, n: int) -> None:
        self.base, self.perm, self.start, self.n = base, perm, start, n
        self.max_len, self.dropped, self.truncated = base.max_len, base.dropped, base.truncated

    def __len__(self) -> int:
        return self.n

    def index(self, j: int) -> int:
        if not 0 <= j < self.n:
            raise IndexError(f"example {j} outside [0, {self.n})")
        return int(self.perm(np.array([self.start + j]))[0])

    def resolve(self, js: np.ndarray) -> tuple[ExampleSet, np.ndarray]:
        """(the underlying set, its indices of examples `js`): vectorised, for packing many picks at once."""
        base, idx = resolve(self.base, self.perm(np.asarray(js, dtype=np.int64) + self.start))
        return base, idx

    def get(self, j: int) -> tuple[Any, Any]:
        return self.base.get(self.index(j))

    def length(self, j: int) -> int:
        return self.base.length(self.index(j))

    def loss_tokens(self, j: int) -> int:
        return self.base.loss_tokens(self.index(j))


def resolve(examples: ExampleSet, js: np.ndarray) -> tuple[ExampleSet, np.ndarray]:
    """(underlying set, indices) for examples `js` of any ExampleSet (views are looked through)."""
    if isinstance(examples, Subset):
        return examples.resolve(js)
    return examples, np.asarray(js, dtype=np.int64)


def held_out(n: int, share: float) -> int:
    """How many of n examples the share holds out: floor(n * share), 0 when that would leave no training data."""
    n_val = int(n * share)
    return n_val if 0 < n_val < n else 0


def split_validation(
    train: Mapping[str, ExampleSet], validation: Mapping[str, ExampleSet], *, share: float
) -> tuple[dict[str, ExampleSet], dict[str, ExampleSet], str]:
    """(training sets, validation sets, a note). The exporter's split wins; else `share` of each kind."""
    if any(len(s) for s in validation.values()):
        counts = ", ".join(f"{k} {len(s)}" for k, s in validation.items() if len(s))
        return (
            dict(train),
            {k: s for k, s in validation.items() if len(s)},
            f"validation: the exporter's split ({counts})",
        )
    if share <= 0:
        return dict(train), {}, "validation: none (--val-share 0)"
    out_train: dict[str, ExampleSet] = {}
    out_val: dict[str, ExampleSet] = {}
    for kind, examples in train.items():
        n = len(examples)
        n_val = held_out(n, share)
        if not n_val:
            out_train[kind] = examples
            continue
        perm = Permutation(n, (_SPLIT_KEY, KINDS.index(kind)))
        out_val[kind] = Subset(examples, perm, 0, n_val)
        out_train[kind] = Subset(examples, perm, n_val, n - n_val)
    counts = ", ".join(f"{k} {len(s)}" for k, s in out_val.items()) or "none: too few examples per kind"
    return out_train, out_val, f"validation: a held-out {share:g} share ({counts})"

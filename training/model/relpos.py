"""T5 bucketed relative positions (Raffel et al. 2020, as in Mesh TensorFlow / HF `T5Attention`).

`relative_position = key_position - query_position`. A decoder only looks back (relative_position <= 0), so it uses
`bidirectional=False`: distance n = -relative_position (future keys, n < 0, fold into bucket 0 and are masked anyway).
The first half of the buckets are exact distances 0 .. max_exact-1 (max_exact = num_buckets // 2), the other half
are logarithmically spaced up to `max_distance`; every distance >= the last bucket's start shares the last bucket.
Bidirectional mode spends half the buckets on each direction (keys after the query get `+num_buckets // 2`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def relative_position_bucket(
    relative_position: Tensor, *, num_buckets: int, max_distance: int, bidirectional: bool = False
) -> Tensor:
    """Map integer relative positions (key - query) to bucket ids in [0, num_buckets)."""
    if relative_position.is_floating_point():
        raise TypeError("relative_position must be an integer tensor")
    buckets = torch.zeros_like(relative_position, dtype=torch.long)
    n = relative_position.to(torch.long)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (n > 0).long() * num_buckets
        n = n.abs()
    else:
        n = (-n).clamp(min=0)
    max_exact = num_buckets // 2
    if max_distance <= max_exact:
        raise ValueError(f"max_distance ({max_distance}) must exceed the exact range ({max_exact})")
    is_small = n < max_exact
    # clamp(min=1) only keeps log() finite on the small entries, which torch.where discards below.
    log_ratio = torch.log(n.clamp(min=1).double() / max_exact) / math.log(max_distance / max_exact)
    if_large = max_exact + (log_ratio * (num_buckets - max_exact)).long()
    if_large = if_large.clamp(max=num_buckets - 1)
    return buckets + torch.where(is_small, n, if_large)


def last_bucket_start(*, num_buckets: int, max_distance: int) -> int:
    """Smallest causal distance n (= query - key >= 0) that falls in the last bucket.

    Every distance >= this value shares one bias; the FlexAttention backend uses it as the clamp point of its
    per-distance bias vector (see docs/model.md).
    """
    upper = max_distance + 1
    dist = torch.arange(upper)
    buckets = relative_position_bucket(-dist, num_buckets=num_buckets, max_distance=max_distance)
    return int((buckets == num_buckets - 1).nonzero()[0].item())

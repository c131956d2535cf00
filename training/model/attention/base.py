"""The backend protocol and the bias-bucketing helpers shared by all backends."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from training.model.relpos import last_bucket_start, relative_position_bucket


@dataclass(frozen=True)
class BiasSpec:
    num_buckets: int
    max_distance: int

    @property
    def far_distance(self) -> int:
        """First causal distance of the last bucket (all distances >= it share one bias)."""
        return _far_distance(self.num_buckets, self.max_distance)


@functools.lru_cache(maxsize=32)
def _far_distance(num_buckets: int, max_distance: int) -> int:
    return last_bucket_start(num_buckets=num_buckets, max_distance=max_distance)


def dense_bias(table: Tensor, spec: BiasSpec, *, q_len: int, k_len: int, q_offset: int) -> Tensor:
    """[1, H, q_len, k_len] float32 bias + causal -inf mask; query i sits at absolute position q_offset + i."""
    device = table.device
    q_pos = torch.arange(q_offset, q_offset + q_len, device=device)
    k_pos = torch.arange(k_len, device=device)
    rel = k_pos[None, :] - q_pos[:, None]
    buckets = relative_position_bucket(rel, num_buckets=spec.num_buckets, max_distance=spec.max_distance)
    bias = table.to(torch.promote_types(table.dtype, torch.float32))[buckets].permute(2, 0, 1).unsqueeze(0)
    return bias.masked_fill(rel[None, None] > 0, float("-inf"))


def causal_mask(*, q_len: int, k_len: int, q_offset: int, device: torch.device) -> Tensor:
    """[q_len, k_len] bool, True where the key may be attended."""
    q_pos = torch.arange(q_offset, q_offset + q_len, device=device)
    return torch.arange(k_len, device=device)[None, :] <= q_pos[:, None]


class AttentionBackend:
    """Protocol: `prepare` once per forward (shared by layers), then `attend` per layer.

    q, k, v: [B, H, S, d_head]; k/v may be longer than q when decoding with a KV cache (q_offset = cache length).
    """

    name = "base"

    def prepare(
        self, table: Tensor | None, spec: BiasSpec, *, q_len: int, k_len: int, q_offset: int
    ) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def attend(self, q: Tensor, k: Tensor, v: Tensor, prepared: Any) -> Tensor:  # pragma: no cover
        raise NotImplementedError

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


def document_mask(doc_ids: Tensor) -> Tensor:
    """[B, 1, S, S] bool, True where query and key belong to the same document (doc_ids: [B, S] ints)."""
    return (doc_ids[:, :, None] == doc_ids[:, None, :]).unsqueeze(1)


def dense_bias(
    table: Tensor, spec: BiasSpec, *, q_len: int, k_len: int, q_offset: int, doc_ids: Tensor | None = None
) -> Tensor:
    """[1, H, q_len, k_len] float32 bias + causal -inf mask; query i sits at absolute position q_offset + i.

    With `doc_ids` ([B, S], packed rows, no cache) keys of another document are -inf too: [B, H, S, S]. The bias
    needs no per-document positions: inside one document key - query is the distance within the document.
    """
    device = table.device
    q_pos = torch.arange(q_offset, q_offset + q_len, device=device)
    k_pos = torch.arange(k_len, device=device)
    rel = k_pos[None, :] - q_pos[:, None]
    buckets = relative_position_bucket(rel, num_buckets=spec.num_buckets, max_distance=spec.max_distance)
    bias = table.to(torch.promote_types(table.dtype, torch.float32))[buckets].permute(2, 0, 1).unsqueeze(0)
    bias = bias.masked_fill(rel[None, None] > 0, float("-inf"))
    if doc_ids is None:
        return bias
    _check_docs(doc_ids, q_len=q_len, k_len=k_len, q_offset=q_offset)
    return bias.masked_fill(~document_mask(doc_ids), float("-inf"))


def causal_mask(
    *, q_len: int, k_len: int, q_offset: int, device: torch.device, doc_ids: Tensor | None = None
) -> Tensor:
    """[q_len, k_len] bool, True where the key may be attended ([B, 1, S, S] with `doc_ids`)."""
    q_pos = torch.arange(q_offset, q_offset + q_len, device=device)
    mask = torch.arange(k_len, device=device)[None, :] <= q_pos[:, None]
    if doc_ids is None:
        return mask
    _check_docs(doc_ids, q_len=q_len, k_len=k_len, q_offset=q_offset)
    return mask & document_mask(doc_ids)


def _check_docs(doc_ids: Tensor, *, q_len: int, k_len: int, q_offset: int) -> None:
    if q_offset != 0 or q_len != k_len or doc_ids.ndim != 2 or doc_ids.shape[1] != q_len:
        raise ValueError(
            f"doc_ids {tuple(doc_ids.shape)} need a full forward without KV cache (q_len {q_len}, k_len {k_len}, "
            f"offset {q_offset})"
        )


class AttentionBackend:
    """Protocol: `prepare` once per forward (shared by layers), then `attend` per layer.

    q, k, v: [B, H, S, d_head]; k/v may be longer than q when decoding with a KV cache (q_offset = cache length).
    `doc_ids` [B, S] (optional, training on packed rows): attention is block-causal, each token sees only the
    earlier tokens of its own document (docs/document-masking.md).
    """

    name = "base"

    def prepare(
        self,
        table: Tensor | None,
        spec: BiasSpec,
        *,
        q_len: int,
        k_len: int,
        q_offset: int,
        doc_ids: Tensor | None = None,
    ) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def attend(self, q: Tensor, k: Tensor, v: Tensor, prepared: Any) -> Tensor:  # pragma: no cover
        raise NotImplementedError

"""Reference backend (materialised bias, SDPA with a float mask) and the no-bias SDPA ceiling."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from torch import Tensor

from training.model.attention.base import AttentionBackend, BiasSpec, causal_mask, dense_bias


class ReferenceBackend(AttentionBackend):
    """softmax(q k^T / sqrt(d) + bias[bucket(k - q)] + causal) v with the [1, H, Sq, Sk] bias materialised
    ([B, H, S, S] with document masking: -inf between documents).

    Gradients reach the table through ordinary autograd (index + SDPA's math path on CPU).
    """

    name = "reference"

    def prepare(
        self,
        table: Tensor | None,
        spec: BiasSpec,
        *,
        q_len: int,
        k_len: int,
        q_offset: int,
        doc_ids: Tensor | None = None,
    ) -> Tensor:
        if table is None:
            raise ValueError("the reference backend needs a relative-bias table")
        return dense_bias(table, spec, q_len=q_len, k_len=k_len, q_offset=q_offset, doc_ids=doc_ids)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, prepared: Any) -> Tensor:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=prepared.to(q.dtype))


class SdpaNoBiasBackend(AttentionBackend):
    """Causal SDPA with no position information at all: the throughput ceiling for the benchmark only."""

    name = "sdpa_nobias"

    def prepare(
        self,
        table: Tensor | None,
        spec: BiasSpec,
        *,
        q_len: int,
        k_len: int,
        q_offset: int,
        doc_ids: Tensor | None = None,
    ) -> Any:
        return (q_len, k_len, q_offset, doc_ids)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, prepared: Any) -> Tensor:
        q_len, k_len, q_offset, doc_ids = prepared
        if q_offset == 0 and q_len == k_len and doc_ids is None:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        mask = causal_mask(q_len=q_len, k_len=k_len, q_offset=q_offset, device=q.device, doc_ids=doc_ids)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

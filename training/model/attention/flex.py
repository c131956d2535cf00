"""FlexAttention backend: detached per-distance bias in `score_mod`, table gradient from `bias_grad.py`.

On CUDA the core is `torch.compile(flex_attention)` with a causal BlockMask, or with packed rows a block-causal
BlockMask built from the document ids of the batch (docs/document-masking.md). FlexAttention has no backward on CPU
(torch 2.13), so on other devices the same decomposition runs with a "math" core (materialised scores, detached
bias): the tests use it to check the gradient decomposition against the reference backend on CPU, and check the
real FlexAttention kernel's forward output and log-sum-exp against the math core (forward works on CPU).
With a KV cache (q_offset > 0 or Sq != Sk: decoding, no gradients) it falls back to the reference path.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from training.model.attention.base import AttentionBackend, BiasSpec, document_mask
from training.model.attention.bias_grad import AttachDistanceBiasGrad
from training.model.attention.reference import ReferenceBackend
from training.model.relpos import relative_position_bucket


@dataclass
class FlexPrepared:
    bias_dist: Tensor  # [H, F + 1] float32, requires grad through the table
    seq_len: int
    core: str  # "flex" or "math"
    block_mask: Any = None  # (block-)causal BlockMask, built outside any compiled region (core "flex")
    doc_ids: Tensor | None = None  # [B, S] document of every position (packed rows), None = one document


@functools.lru_cache(maxsize=1)
def _compiled_flex_attention():
    from torch.nn.attention.flex_attention import flex_attention

    return torch.compile(flex_attention, dynamic=False)


@functools.lru_cache(maxsize=16)
def _causal_block_mask(seq_len: int, device: str):
    from torch.nn.attention.flex_attention import create_block_mask

    def causal(b, h, q_idx, kv_idx):
        return q_idx >= kv_idx

    return create_block_mask(causal, None, None, seq_len, seq_len, device=device)


def causal_block_mask(seq_len: int, device: torch.device | str):
    return _causal_block_mask(seq_len, str(device))


def document_block_mask(doc_ids: Tensor, *, compile: bool | None = None):
    """Block-causal BlockMask of packed rows: query q sees key kv iff kv <= q and both are in one document.

    Built per batch (the documents change every batch), outside any compiled region; blocks that lie wholly
    between two documents are skipped by the kernel, so packing short documents also saves attention FLOPs.
    """
    from torch.nn.attention.flex_attention import create_block_mask

    def block_causal(b, h, q_idx, kv_idx):
        return (q_idx >= kv_idx) & (doc_ids[b, q_idx] == doc_ids[b, kv_idx])

    bsz, seq = doc_ids.shape
    compile = doc_ids.device.type == "cuda" if compile is None else compile
    return create_block_mask(block_causal, bsz, None, seq, seq, device=doc_ids.device, _compile=compile)


def flex_core(q: Tensor, k: Tensor, v: Tensor, bias_dist: Tensor, *, block_mask=None, compiled: bool = True):
    """FlexAttention with the DETACHED bias; returns (out, lse) with lse in natural log.

    Inside a compiled region (per-block torch.compile) the plain function is traced by the outer compile;
    in eager mode the cached `torch.compile(flex_attention)` is used (eager FlexAttention materialises scores).
    """
    from torch.nn.attention.flex_attention import AuxRequest, flex_attention

    far = bias_dist.shape[1] - 1
    bias = bias_dist.detach()

    def score_mod(score, b, h, q_idx, kv_idx):
        return score + bias[h, torch.clamp(q_idx - kv_idx, 0, far)]

    fn = _compiled_flex_attention() if compiled and not torch.compiler.is_compiling() else flex_attention
    if block_mask is None:
        block_mask = causal_block_mask(q.shape[2], q.device)
    out, aux = fn(q, k, v, score_mod=score_mod, block_mask=block_mask, return_aux=AuxRequest(lse=True))
    return out, aux.lse


def math_core(q: Tensor, k: Tensor, v: Tensor, bias_dist: Tensor, doc_ids: Tensor | None = None):
    """Same contract as flex_core with materialised scores; differentiable in q, k, v (bias detached)."""
    seq, far = q.shape[2], bias_dist.shape[1] - 1
    pos = torch.arange(seq, device=q.device)
    dist = pos[:, None] - pos[None, :]
    work = torch.promote_types(q.dtype, torch.float32)
    bias = bias_dist.detach().to(work)[:, dist.clamp(0, far)]  # [H, S, S]
    scores = torch.matmul(q.to(work), k.to(work).transpose(-1, -2)) / math.sqrt(q.shape[-1]) + bias
    masked = dist < 0
    if doc_ids is not None:
        masked = masked | ~document_mask(doc_ids)  # [B, 1, S, S]
    scores = scores.masked_fill(masked, float("-inf"))
    lse = torch.logsumexp(scores, dim=-1)
    out = torch.matmul(torch.exp(scores - lse[..., None]), v.to(work)).to(q.dtype)
    return out, lse


def distance_bias(table: Tensor, spec: BiasSpec) -> Tensor:
    """[H, F + 1]: bias of causal distance d = 0..F (index F stands for every distance >= F)."""
    far = spec.far_distance
    dist = torch.arange(far + 1, device=table.device)
    buckets = relative_position_bucket(-dist, num_buckets=spec.num_buckets, max_distance=spec.max_distance)
    return table.to(torch.promote_types(table.dtype, torch.float32))[buckets].t()


class FlexBackend(AttentionBackend):
    name = "flex"

    def __init__(self, core: str | None = None) -> None:
        if core not in (None, "flex", "math"):
            raise ValueError(f"unknown flex core {core!r}")
        self.core = core  # None: "flex" on CUDA, "math" elsewhere
        self._reference = ReferenceBackend()

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
        if table is None:
            raise ValueError("the flex backend needs a relative-bias table")
        if q_offset != 0 or q_len != k_len:
            return (
                "reference",
                self._reference.prepare(table, spec, q_len=q_len, k_len=k_len, q_offset=q_offset, doc_ids=doc_ids),
            )
        core = self.core or ("flex" if table.device.type == "cuda" else "math")
        mask = None
        if core == "flex":
            mask = causal_block_mask(q_len, table.device) if doc_ids is None else document_block_mask(doc_ids)
        return FlexPrepared(distance_bias(table, spec), q_len, core, block_mask=mask, doc_ids=doc_ids)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, prepared: Any) -> Tensor:
        if isinstance(prepared, tuple):
            return self._reference.attend(q, k, v, prepared[1])
        bias_dist = prepared.bias_dist
        if prepared.core == "flex":
            out, lse = flex_core(q, k, v, bias_dist, block_mask=prepared.block_mask)
        else:
            out, lse = math_core(q, k, v, bias_dist, prepared.doc_ids)
        if not (torch.is_grad_enabled() and bias_dist.requires_grad):
            return out
        scale = 1.0 / math.sqrt(q.shape[-1])
        detached = (q.detach(), k.detach(), v.detach(), lse.detach())
        return AttachDistanceBiasGrad.apply(out, bias_dist, *detached, scale, prepared.doc_ids)

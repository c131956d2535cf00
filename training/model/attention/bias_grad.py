"""Exact gradient of a per-distance attention bias from a band of distances (the "detached bias" trick).

Setting: scores s_ij = scale * q_i.k_j + b[h, min(i - j, F)] for keys j <= i, where F is the first distance of the
last relative-position bucket (every distance >= F shares one bias). Attention runs with b DETACHED (a FlexAttention
`score_mod` that captures a tensor needing grad is ~70x slower); this module supplies dL/db separately.

With P = softmax(s) and dO the output gradient, the softmax backward gives the score gradient
    dS_ij = P_ij * (dO_i.v_j - D_i),   D_i = sum_j P_ij dO_i.v_j = dO_i.O_i,
so dL/db[h, d] = sum over (b, i) of dS_{i, i-d}  for d < F, and since every row of dS sums to zero,
    dL/db[h, F] = sum over all (i, j) with i - j >= F of dS_ij = - sum_{d < F} dL/db[h, d].
Only a band of F distances is ever evaluated, using the attention's own log-sum-exp (P_ij = exp(s_ij - lse_i)).
The band is computed in query chunks of C rows against a window of C + F - 1 keys with two batched matmuls,
so the cost is about 2 * S * (C + F) * d_head multiply-adds per head (a few percent of the attention backward).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def distance_bias_grad(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    out: Tensor,
    lse: Tensor,
    d_out: Tensor,
    bias_dist: Tensor,
    *,
    scale: float,
    chunk: int = 128,
    doc_ids: Tensor | None = None,
) -> Tensor:
    """dL/d bias_dist ([H, F + 1], >= float32) for causal attention with scores + bias_dist[h, min(i-j, F)].

    q, k, v, out, d_out: [B, H, S, d]; lse: [B, H, S] natural-log log-sum-exp of each score row.
    doc_ids [B, S]: block-causal attention (a query sees only keys of its own document): pairs across documents
    have P = 0, so they are left out of the band; rows of dS still sum to zero, so the far entry stays exact.
    """
    bsz, heads, seq, dim = q.shape
    far = bias_dist.shape[1] - 1
    if far == 0:
        return torch.zeros_like(bias_dist)
    c = min(chunk, seq)
    n_chunks = -(-seq // c)
    pad_end = n_chunks * c - seq
    window = c + far - 1

    work = torch.promote_types(q.dtype, torch.float32)  # fp32 (fp64 in exactness tests)
    delta = (d_out.to(work) * out.to(work)).sum(-1)  # D_i, [B, H, S]

    def rows(x: Tensor) -> Tensor:  # [B, H, S, d] -> [B, H, nC, C, d]
        return F.pad(x, (0, 0, 0, pad_end)).view(bsz, heads, n_chunks, c, -1)

    def key_windows(x: Tensor) -> Tensor:  # [B, H, S, d] -> [B, H, nC, d, window] (keys c*C-F+1 .. c*C+C-1)
        return F.pad(x, (0, 0, far - 1, pad_end)).unfold(2, window, c)

    # fp32 operands: a bf16 matmul would round the scores to bf16 before exp(s - lse) (several % error in P).
    # On an H100 this fp32 band costs an estimated ~5% of a bench_0p9b step (NOT measured; docs/model.md).
    scores = torch.matmul(rows(q.to(work)), key_windows(k.to(work))) * scale  # [B, H, nC, C, window]
    d_p = torch.matmul(rows(d_out.to(work)), key_windows(v.to(work)))

    # Band of distances far-1 .. 0 (reversed): element (r, e) = window column r + e, i.e. key i - (far - 1 - e).
    s_band = _diagonals(scores, far) + bias_dist[:, :far].flip(-1).to(work).view(1, heads, 1, 1, far)
    dp_band = _diagonals(d_p, far)
    d = torch.arange(far - 1, -1, -1, device=q.device)

    lse_c = F.pad(lse.to(work), (0, pad_end)).view(bsz, heads, n_chunks, c, 1)
    delta_c = F.pad(delta, (0, pad_end)).view(bsz, heads, n_chunks, c, 1)
    pos = torch.arange(n_chunks * c, device=q.device).view(n_chunks, c, 1)
    valid = (pos < seq) & (pos - d.view(1, 1, far) >= 0)  # real query row, key index i - d >= 0
    if doc_ids is not None:  # and the key i - d is in the query's document
        docs = F.pad(doc_ids, (0, pad_end), value=-1)  # [B, nC * C]
        key_idx = (pos - d.view(1, 1, far)).clamp(min=0).view(-1, far)  # [nC * C, far]
        same = docs[:, key_idx] == docs[:, :, None]  # [B, nC * C, far]
        valid = valid & same.view(bsz, 1, n_chunks, c, far)
    d_s = torch.exp(s_band - lse_c) * (dp_band - delta_c)
    d_s = torch.where(valid, d_s, torch.zeros((), device=q.device))
    near = d_s.sum(dim=(0, 2, 3)).flip(-1)  # [H, F], distance 0 first
    return torch.cat([near, -near.sum(-1, keepdim=True)], dim=-1)


def _diagonals(x: Tensor, far: int) -> Tensor:
    """[..., C, C + far - 1] -> [..., C, far] with out[..., r, e] = x[..., r, r + e] (a strided view, no gather)."""
    x = x.contiguous()
    *lead, c, window = x.shape
    strides = list(x.stride()[:-2]) + [window + 1, 1]
    return x.as_strided((*lead, c, far), strides, x.storage_offset())


class AttachDistanceBiasGrad(torch.autograd.Function):
    """Identity on `out` in the forward; in the backward it adds dL/d bias_dist from the band computation.

    q, k, v, lse must be detached (their own gradients flow through the attention kernel, which saw the bias as a
    constant; that is exact because the bias does not depend on q, k, v).
    """

    @staticmethod
    def forward(ctx, out, bias_dist, q, k, v, lse, scale, doc_ids=None):  # type: ignore[override]
        ctx.save_for_backward(q, k, v, out.detach(), lse, bias_dist.detach(), doc_ids)  # doc_ids may be None
        ctx.scale = scale
        return out.view_as(out)

    @staticmethod
    def backward(ctx, d_out):  # type: ignore[override]
        q, k, v, out, lse, bias_dist, doc_ids = ctx.saved_tensors
        grad_bias = None
        if ctx.needs_input_grad[1]:
            grad_bias = distance_bias_grad(q, k, v, out, lse, d_out, bias_dist, scale=ctx.scale, doc_ids=doc_ids).to(
                bias_dist.dtype
            )
        return d_out, grad_bias, None, None, None, None, None, None

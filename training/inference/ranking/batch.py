"""Several requests in one decode batch (the server's worker): rows of different contexts decoded together.

    request b: prefill its prompt ONCE (batch 1, the ordinary forward) -> copy its keys/values into rows
               [r_b, r_b + n_b) of one shared cache, LEFT-padded so that every prompt ends at index T
    all rows:  top-k lockstep decoding, one token per row per step; keys before a row's start are masked, and the
               relative bias is computed from cache indices (padding shifts a row's queries and keys alike, so every
               distance is what it is alone)
    scoring:   the usual 5-token discriminator suffix on the shared cache (score.py, with per-row starts)

Requests batched together must agree on top_k, temperature, max_new_tokens and the ranking; each keeps its own
seed (its own generator), candidate count, context truncation, safety threshold, weights and fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from training.inference.generate import Candidate, _filter_top_k, prefill
from training.model.attention import select_backend
from training.model.attention.base import dense_bias
from training.model.model import KVCache


@dataclass
class BatchSampled:
    groups: list[list[Candidate]]  # candidates of each request
    cache: KVCache
    starts: list[int]  # per row: index of the row's first real token
    end: int  # every prompt ends here (T)

    def valid_lengths(self) -> list[int]:
        return [self.end + len(c.token_ids) for g in self.groups for c in g]


def masked_decode(model, tokens: Tensor, cache: KVCache, starts: Tensor) -> Tensor:
    """Logits [R, V] for one new token per row, on a left-padded cache (keys before `starts` masked)."""
    offset = cache.length
    bias = dense_bias(model.rel_bias.weight, model.bias_spec, q_len=1, k_len=offset + 1, q_offset=offset)
    pad = torch.arange(offset + 1, device=tokens.device)[None, :] < starts[:, None]  # [R, K]
    bias = bias.expand(len(tokens), -1, -1, -1).masked_fill(pad[:, None, None, :], float("-inf"))
    backend = select_backend("reference")
    h = model.embed(tokens[:, None])
    for block in model.layers:
        h = block(h, backend, bias, cache)
    cache.length = offset + 1
    weight = model.embed.weight if model.lm_head is None else model.lm_head.weight
    return F.linear(model.norm(h), weight).float()[:, -1]


def _prefill_into(model, prompts, counts, big: KVCache, end: int) -> tuple[Tensor, list[int]]:
    device, dtype = big.k.device, big.k.dtype
    logits, starts, row = [], [], 0
    for prompt, n in zip(prompts, counts, strict=True):
        own = KVCache.allocate(model.cfg, 1, len(prompt), device, dtype)
        logits.append(prefill(model, torch.tensor([prompt], device=device), own).expand(n, -1))
        start = end - len(prompt)
        big.k[:, row : row + n, :, start:end] = own.k[:, :1]
        big.v[:, row : row + n, :, start:end] = own.v[:, :1]
        starts += [start] * n
        row += n
    big.length = end
    return torch.cat(logits), starts


@torch.no_grad()
def sample_batch(model, prompts, counts, *, max_new, top_k, temperature, stop, gens, room=0) -> BatchSampled:
    """`counts[b]` candidates for each prompt, all decoded in one batch of sum(counts) rows."""
    p = next(model.parameters())
    end, rows = max(len(x) for x in prompts), sum(counts)
    big = KVCache.allocate(model.cfg, rows, end + max(max_new, 1) + room, p.device, p.dtype)
    logits, starts = _prefill_into(model, prompts, counts, big, end)
    starts_t = torch.tensor(starts, device=p.device)
    bounds = [sum(counts[:b]) for b in range(len(counts) + 1)]
    tokens: list[list[int]] = [[] for _ in range(rows)]
    logprob = torch.zeros(rows, dtype=torch.float64, device=p.device)
    done = torch.zeros(rows, dtype=torch.bool, device=p.device)
    stopped = [False] * rows
    for _ in range(max_new):
        probs = F.softmax(_filter_top_k(logits / temperature, top_k), dim=-1)
        nxt = torch.cat([
            torch.multinomial(probs[bounds[b] : bounds[b + 1]], 1, generator=g).squeeze(-1) for b, g in enumerate(gens)
        ])  # fmt: skip
        lp = F.log_softmax(logits, dim=-1).gather(-1, nxt[:, None]).squeeze(-1)
        logprob += torch.where(done, torch.zeros_like(lp), lp).double()
        for i, t in enumerate(nxt.tolist()):
            if not done[i]:
                if t in stop:
                    stopped[i] = done[i] = True
                else:
                    tokens[i].append(t)
        if bool(done.all()):
            break
        logits = masked_decode(model, nxt, big, starts_t)
    cands = [Candidate(tokens[i], float(logprob[i]), stopped[i]) for i in range(rows)]
    groups = [cands[bounds[b] : bounds[b + 1]] for b in range(len(counts))]
    return BatchSampled(groups, big, starts, end)

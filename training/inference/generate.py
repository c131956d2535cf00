"""Incremental generation with a KV cache: top-k sampling, N candidates per prompt, continuation scoring.

Each prompt is prefilled ONCE (batch 1), the cache is expanded to `num_candidates` rows, and the candidates are
sampled together one token per step. Candidate.logprob is the sum of the log-probabilities of the chosen tokens
under the model's own distribution (temperature 1, no top-k truncation) -- what ranking by likelihood needs -- and
includes the stop token when a candidate stopped; `token_ids` never contains the stop token.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from training.model.attention import select_backend
from training.model.model import KVCache, LaMDAModel


@dataclass
class Candidate:
    token_ids: list[int]
    logprob: float
    stopped: bool = False  # True when a stop id ended it (else it hit max_new_tokens)


def _model_device_dtype(model: LaMDAModel) -> tuple[torch.device, torch.dtype]:
    p = next(model.parameters())
    return p.device, p.dtype


def _check_prompt(model: LaMDAModel, prompt: list[int], extra: int, what: str = "prompt") -> None:
    if not prompt:
        raise ValueError(f"{what} is empty: give at least one token id")
    vocab = model.cfg.vocab_size
    if any((not isinstance(t, int)) or t < 0 or t >= vocab for t in prompt):
        raise ValueError(f"{what} has token ids outside [0, {vocab})")
    if len(prompt) + extra > model.cfg.max_seq_len:
        raise ValueError(
            f"{what} of {len(prompt)} tokens + {extra} new tokens exceeds the model context "
            f"({model.cfg.max_seq_len}); truncate the context from the left"
        )


def _filter_top_k(logits: Tensor, top_k: int) -> Tensor:
    if top_k >= logits.shape[-1]:
        return logits
    kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


@torch.no_grad()
def generate(
    model: LaMDAModel,
    prompts: list[list[int]],
    *,
    max_new_tokens: int,
    top_k: int = 40,
    temperature: float = 1.0,
    num_candidates: int = 1,
    stop_ids: set[int] | None = None,
    seed: int | None = None,
) -> list[list[Candidate]]:
    """Sample `num_candidates` continuations for each prompt; same seed + same inputs -> same output."""
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0 (use top_k=1 for greedy), got {temperature}")
    if num_candidates < 1:
        raise ValueError(f"num_candidates must be >= 1, got {num_candidates}")
    for prompt in prompts:
        _check_prompt(model, prompt, max_new_tokens)
    stop = set(stop_ids or ())
    device, dtype = _model_device_dtype(model)
    gen = torch.Generator(device=device)
    gen.manual_seed(seed if seed is not None else int(torch.randint(0, 2**62, (1,)).item()))
    was_training = model.training
    model.eval()
    try:
        return [
            _sample_prompt(model, p, max_new_tokens, top_k, temperature, num_candidates, stop, gen, device, dtype)
            for p in prompts
        ]
    finally:
        model.train(was_training)


def _sample_prompt(model, prompt, max_new, top_k, temperature, n, stop, gen, device, dtype) -> list[Candidate]:
    if max_new == 0:
        return [Candidate([], 0.0) for _ in range(n)]
    return sample_with_cache(model, prompt, max_new, top_k, temperature, n, stop, gen, device, dtype)[0]


@dataclass
class Sampled:
    """Candidates plus the KV cache they were sampled in: row i holds prompt + candidates[i].token_ids at
    positions [0, prompt_len + len(token_ids)); anything after that in row i is scratch (never attended)."""

    candidates: list[Candidate]
    cache: KVCache
    prompt_len: int

    def valid_lengths(self) -> list[int]:
        return [self.prompt_len + len(c.token_ids) for c in self.candidates]


def sample_with_cache(
    model, prompt, max_new, top_k, temperature, n, stop, gen, device, dtype, *, room: int = 0
) -> tuple[list[Candidate], Sampled]:
    """One prefill of `prompt`, the cache expanded to `n` rows, `n` candidates sampled in lockstep.

    Every kept token is fed back, so the returned cache holds each whole candidate; `room` extra positions are
    left free for a scorer's suffix (the discriminator tokens)."""
    cache = KVCache.allocate(model.cfg, 1, len(prompt) + max(max_new, 1) + room, device, dtype)
    logits = prefill(model, torch.tensor([prompt], device=device), cache)
    cache.expand([0] * n)
    logits = logits.expand(n, -1)
    tokens: list[list[int]] = [[] for _ in range(n)]
    logprob = torch.zeros(n, dtype=torch.float64, device=device)
    done = torch.zeros(n, dtype=torch.bool, device=device)
    stopped = [False] * n
    for _ in range(max_new):
        scaled = _filter_top_k(logits / temperature, top_k)
        nxt = torch.multinomial(F.softmax(scaled, dim=-1), 1, generator=gen).squeeze(-1)
        lp = F.log_softmax(logits, dim=-1).gather(-1, nxt[:, None]).squeeze(-1)
        logprob += torch.where(done, torch.zeros_like(lp), lp).double()
        for i, t in enumerate(nxt.tolist()):
            if done[i]:
                continue
            if t in stop:
                stopped[i] = True
                done[i] = True
            else:
                tokens[i].append(t)
        if bool(done.all()):
            break
        logits = model(nxt[:, None], cache=cache)[:, -1]  # also after the last step: every kept token is cached
    cands = [Candidate(tokens[i], float(logprob[i]), stopped[i]) for i in range(n)]
    return cands, Sampled(cands, cache, len(prompt))


@torch.no_grad()
def score_continuations(model: LaMDAModel, prefix_ids: list[int], continuations: list[list[int]]) -> list[float]:
    """Sum log P(continuation | prefix) for each continuation; the prefix is run once and its cache reused."""
    if not continuations:
        return []
    longest = max(len(c) for c in continuations)
    _check_prompt(model, prefix_ids, longest, what="prefix")
    for c in continuations:
        if c:
            _check_prompt(model, c, 0, what="continuation")
    device, dtype = _model_device_dtype(model)
    was_training = model.training
    model.eval()
    try:
        cache = KVCache.allocate(model.cfg, 1, len(prefix_ids) + max(longest, 1), device, dtype)
        first = F.log_softmax(model(torch.tensor([prefix_ids], device=device), cache=cache)[0, -1], dim=-1)
        if longest == 0:
            return [0.0 for _ in continuations]
        n = len(continuations)
        cache.expand([0] * n)
        padded = torch.zeros(n, longest, dtype=torch.long, device=device)
        for i, c in enumerate(continuations):
            padded[i, : len(c)] = torch.tensor(c, dtype=torch.long)
        # Right padding is harmless: causal attention means real positions never see the padding after them.
        logp = F.log_softmax(model(padded, cache=cache), dim=-1)  # [n, L, V]; row j predicts token j + 1
        scores = []
        for i, c in enumerate(continuations):
            if not c:
                scores.append(0.0)
                continue
            total = first[c[0]].double()
            if len(c) > 1:
                idx = torch.tensor(c[1:], device=device)
                total = total + logp[i, : len(c) - 1].gather(-1, idx[:, None]).sum().double()
            scores.append(float(total))
        return scores
    finally:
        model.train(was_training)


@torch.no_grad()
def fill_cache(model: LaMDAModel, ids: Tensor, cache: KVCache, keep_hidden: bool = False) -> Tensor | None:
    """Run `ids` [B, S] through the blocks into an empty cache, without the output head: scoring reads no logits
    of these positions (the head is a third of the tiny model's compute)."""
    if cache.length:
        raise ValueError("fill_cache needs an empty cache")
    backend = select_backend("reference")
    seq = ids.shape[1]
    prepared = backend.prepare(model.rel_bias.weight, model.bias_spec, q_len=seq, k_len=seq, q_offset=0)
    h = model.embed(ids)
    for block in model.layers:
        h = block(h, backend, prepared, cache)
    cache.length = seq
    return h if keep_hidden else None


@torch.no_grad()
def prefill(model: LaMDAModel, ids: Tensor, cache: KVCache) -> Tensor:
    """Fill an empty cache with `ids` [B, S]; logits [B, V] of the LAST position only (a long prompt's other
    positions would cost an S x vocab output head for nothing)."""
    h = fill_cache(model, ids, cache, keep_hidden=True)
    weight = model.embed.weight if model.lm_head is None else model.lm_head.weight
    return F.linear(model.norm(h[:, -1]), weight).float()

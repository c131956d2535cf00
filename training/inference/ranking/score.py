"""The model's own discriminators: P(<1> | context, <RESPONSE>, response, </s>, <ATTRIBUTE>), reusing the KV cache.

The discriminative rendering is a prefix-extension of generation (docs/dataset-format.md §4), so once a cache row
holds `prompt + response` only a short suffix is computed per candidate:

    suffix   = </s> <ATTR_1> <ATTR_2> ... <ATTR_n>       one forward of n + 1 tokens per row, all rows at once
    position = L   L+1      L+1     ...  L+1             L = the row's filled length (rows may differ)
    sees     = its row's [0, L) + </s> + itself           the attribute tokens never see each other

so each attribute is scored exactly as if `prompt + response </s> <ATTR_j>` had been encoded alone. The suffix is
written after the cache's filled part as scratch and the cache length is left unchanged (the cache stays reusable).
Rows of different lengths are fine: keys past a row's own length are masked, and the relative-position bias is
computed from per-row positions, so padding never shifts a distance.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from training.format.render import rating_ids, render_discriminator_suffix
from training.inference.generate import fill_cache
from training.model.attention import select_backend
from training.model.model import KVCache, LaMDAModel
from training.model.relpos import relative_position_bucket

SCORE_ATTRIBUTES = ("SENSIBLE", "SPECIFIC", "INTERESTING", "UNSAFE")


def suffix_layout(attributes: Sequence[str], tok) -> tuple[list[int], list[int], Tensor]:
    """(ids, position offsets, [S, S] bool visibility) of `</s> <ATTR_1> ... <ATTR_n>`."""
    ids = [tok.special_id("EOR")] + [render_discriminator_suffix(a, tok)[0] for a in attributes]
    n = len(ids)
    sees = torch.eye(n, dtype=torch.bool)
    sees[:, 0] = True  # every attribute token sees </s>
    return ids, [0] + [1] * (n - 1), sees


def _suffix_bias(
    model: LaMDAModel, cache_len: int, valid: Tensor, pos: Tensor, sees: Tensor, starts: Tensor | None = None
) -> Tensor:
    """[B, H, S, cache_len + S] float bias with -inf where a suffix query may not look (a row's keys before its
    `starts` entry are left padding)."""
    dev = valid.device
    spec = model.bias_spec
    q_pos = valid[:, None] + pos[None, :]  # [B, S]
    k_prefix = torch.arange(cache_len, device=dev)[None, :].expand(len(valid), -1)
    k_pos = torch.cat([k_prefix, q_pos], dim=1)  # [B, K]
    rel = k_pos[:, None, :] - q_pos[:, :, None]  # [B, S, K]
    buckets = relative_position_bucket(rel, num_buckets=spec.num_buckets, max_distance=spec.max_distance)
    table = model.rel_bias.weight.float()
    bias = table[buckets].permute(0, 3, 1, 2)  # [B, H, S, K]
    ok_prefix = k_prefix < valid[:, None]
    if starts is not None:
        ok_prefix = ok_prefix & (k_prefix >= starts[:, None])
    ok_prefix = ok_prefix[:, None, :].expand(-1, len(pos), -1)  # [B, S, cache_len]
    ok = torch.cat([ok_prefix, sees[None].expand(len(valid), -1, -1)], dim=2)
    return bias.masked_fill(~ok[:, None], float("-inf"))


@torch.no_grad()
def suffix_logits(
    model: LaMDAModel, cache: KVCache, valid_lengths: Sequence[int], ids, pos, sees, starts: Sequence[int] | None = None
) -> Tensor:
    """Logits [B, S, V] of the suffix tokens on top of cache rows filled to `valid_lengths` (one forward); rows
    left-padded by a batch of prompts start at `starts` (positions are cache indices, so distances are exact)."""
    bsz, n = cache.batch_size, len(ids)
    if len(valid_lengths) != bsz:
        raise ValueError(f"{len(valid_lengths)} valid lengths for a cache of batch {bsz}")
    if cache.length + n > cache.max_len:
        raise ValueError(f"KV cache has no room for a {n}-token suffix ({cache.length} of {cache.max_len} used)")
    if max(valid_lengths) > cache.length:
        raise ValueError("a valid length exceeds the filled part of the cache")
    dev = cache.k.device
    valid = torch.tensor(list(valid_lengths), device=dev)
    first = None if starts is None else torch.tensor(list(starts), device=dev)
    bias = _suffix_bias(model, cache.length, valid, torch.tensor(pos, device=dev), sees.to(dev), first)
    backend = select_backend("reference")
    h = model.embed(torch.tensor([ids] * bsz, device=dev))
    for block in model.layers:  # Attention writes the suffix at cache.length; the length itself is not advanced
        h = block(h, backend, bias, cache)
    weight = model.embed.weight if model.lm_head is None else model.lm_head.weight
    return F.linear(model.norm(h), weight).float()


def rating_probability(logits: Tensor, tok) -> Tensor:
    """P(<1>) among (<0>, <1>) from logits [..., V] (the rating is read only over these two tokens)."""
    zero, one = rating_ids(tok)
    return F.softmax(logits[..., [zero, one]].float(), dim=-1)[..., 1]


def score_cached(
    model, cache: KVCache, valid_lengths: Sequence[int], attributes: Sequence[str], tok, starts=None
) -> list[dict]:
    """{attribute: P(<1>)} for every cache row whose positions [starts[i] (0), valid_lengths[i]) hold prompt +
    response."""
    ids, pos, sees = suffix_layout(attributes, tok)
    probs = rating_probability(suffix_logits(model, cache, valid_lengths, ids, pos, sees, starts)[:, 1:], tok)
    return [{a: float(probs[i, j]) for j, a in enumerate(attributes)} for i in range(cache.batch_size)]


@torch.no_grad()
def score_sequences(model: LaMDAModel, sequences: Sequence[Sequence[int]], attributes: Sequence[str], tok) -> list:
    """Score many `prompt + response` id lists (different contexts) in one padded forward plus one suffix forward.

    Right padding is harmless: causal attention keeps real positions from seeing the padding after them, and the
    suffix masks it (the corpus filter's batch path)."""
    if not sequences:
        return []
    device = next(model.parameters()).device
    lengths = [len(s) for s in sequences]
    if min(lengths) < 1:
        raise ValueError("every sequence needs at least one token")
    n_suffix = len(attributes) + 1
    if max(lengths) + n_suffix > model.cfg.max_seq_len:
        raise ValueError(
            f"a sequence of {max(lengths)} tokens + the suffix exceeds the context ({model.cfg.max_seq_len})"
        )
    padded = torch.zeros(len(sequences), max(lengths), dtype=torch.long, device=device)
    for i, s in enumerate(sequences):
        padded[i, : len(s)] = torch.tensor(list(s), dtype=torch.long)
    cache = KVCache.allocate(model.cfg, len(sequences), max(lengths) + n_suffix, device, next(model.parameters()).dtype)
    fill_cache(model, padded, cache)
    return score_cached(model, cache, lengths, attributes, tok)


@torch.no_grad()
def score_by_reencoding(model: LaMDAModel, sequence: Sequence[int], attribute: str, tok) -> float:
    """The baseline: encode `prompt + response </s> <ATTR>` from scratch and read P(<1>) (tests, benchmarks)."""
    device = next(model.parameters()).device
    ids = list(sequence) + [tok.special_id("EOR"), render_discriminator_suffix(attribute, tok)[0]]
    logits = model(torch.tensor([ids], device=device))[0, -1]
    return float(rating_probability(logits, tok))

"""Sample-and-rank (LAMDA-SPEC §4): one prefill, N candidates, the model's own discriminators, the safety filter.

    context --render--> prompt --prefill ONCE--> cache [1 row] --expand--> N rows --top-k lockstep--> candidates
    each row now holds prompt + its candidate: append </s> <SENSIBLE> <SPECIFIC> <INTERESTING> <UNSAFE> as one
    5-token suffix per row (score.py) -> P(<1>) per attribute -> drop P(safe) < threshold -> rank 3S + Sp + I
    (or, for a pre-trained-only model, log-likelihood per token: rank.py) -> the best, or the fallback reply
    -> optionally the research loop on it (research.py)

A context longer than the window loses its oldest turns first (then tokens from the left) and the result says so.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from training.format.render import render_generation_prompt
from training.inference.generate import sample_with_cache
from training.inference.ranking.capability import refusal
from training.inference.ranking.rank import ScoredCandidate, filter_and_rank
from training.inference.ranking.score import SCORE_ATTRIBUTES, score_cached
from training.inference.ranking.settings import RankSettings
from training.inference.research import ResearchResult, run_research


@dataclass
class RankedReply:
    text: str
    ranking: str  # "discriminator" or "pt" (what was used)
    candidates: list[ScoredCandidate]
    chosen: int | None  # index into candidates; None when the fallback was returned
    settings: RankSettings
    truncated: dict | None = None  # {"dropped_turns", "dropped_tokens", "prompt_tokens"} when the context was cut
    research: list[dict] = field(default_factory=list)
    research_forced: bool = False
    base_text: str | None = None  # the ranked reply before the research loop rewrote it
    timings: dict[str, float] = field(default_factory=dict)
    model_id: str = ""
    model_version: str = ""
    prompt_tokens: int = 0
    # discriminator attributes the model never trained on: their scores are noise, so they neither drop nor rank
    ignored_attributes: list[str] = field(default_factory=list)

    @property
    def fallback_used(self) -> bool:
        return self.chosen is None

    @property
    def dropped(self) -> list[dict]:
        return [{"index": i, "text": c.text, "reason": c.dropped} for i, c in enumerate(self.candidates) if c.dropped]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "ranking": self.ranking,
            "chosen": self.chosen,
            "fallback_used": self.fallback_used,
            "candidates": [c.to_dict() for c in self.candidates],
            "truncated": self.truncated,
            "research": self.research,
            "research_forced": self.research_forced,
            "base_text": self.base_text,
            "timings": self.timings,
            "model_id": self.model_id,
            "model_version": self.model_version,
            "prompt_tokens": self.prompt_tokens,
            "ignored_attributes": self.ignored_attributes,
            "settings": self.settings.to_dict(),
        }

    def save(self, out_dir: str | Path) -> Path:
        """`reply.json` and, beside it, `settings.json` (the settings that produced it)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "reply.json").write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        self.settings.save(out / "settings.json")
        return out / "reply.json"


def fit_context(context: list[str], tok, room: int) -> tuple[list[int], dict | None]:
    """The generation prompt in at most `room` tokens: drop the oldest turns, then (one huge turn) left tokens."""
    if room < 2:
        raise ValueError(f"max_new_tokens leaves only {room} prompt tokens in the context window")
    turns = list(context)
    ids = render_generation_prompt(turns, tok)
    full = len(ids)
    while len(ids) > room and len(turns) > 1:
        turns.pop(0)
        ids = render_generation_prompt(turns, tok)
    dropped_turns = len(context) - len(turns)
    if len(ids) > room:
        ids = ids[:1] + ids[len(ids) - room + 1 :]
    if len(ids) == full:
        return ids, None
    return ids, {"dropped_turns": dropped_turns, "dropped_tokens": full - len(ids), "prompt_tokens": len(ids)}


def resolve_ranking(settings: RankSettings, has_disc: bool, why: str, model_id: str) -> str:
    if settings.ranking == "pt" or (settings.ranking == "auto" and not has_disc):
        return "pt"
    if not has_disc:
        raise refusal(model_id, why)
    return "discriminator"


def _seeded(settings: RankSettings) -> RankSettings:
    """A seed is drawn when none is set and kept in the settings, so the saved settings reproduce the reply."""
    return settings if settings.seed is not None else settings.replace(seed=int(torch.randint(0, 2**62, (1,)).item()))


def _generator(settings: RankSettings, device) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(settings.seed)


def _ranked(
    tok, cands, scores, settings: RankSettings, ranking: str, truncated, prompt_len: int, untrained=frozenset()
) -> RankedReply:
    per = scores if scores is not None else [{} for _ in cands]
    ignored = sorted({a for sc in per for a in sc} & set(untrained))
    per = [{a: v for a, v in sc.items() if a not in untrained} for sc in per]
    scored = [
        ScoredCandidate(tok.decode(c.token_ids).strip(), c.token_ids, c.logprob, c.stopped, s)
        for c, s in zip(cands, per, strict=True)
    ]
    order = filter_and_rank(scored, settings)
    chosen = order[0] if order else None
    text = scored[chosen].text if chosen is not None else settings.fallback
    result = RankedReply(text, ranking, scored, chosen, settings, truncated)
    result.prompt_tokens, result.ignored_attributes = prompt_len, ignored
    return result


@torch.no_grad()
def sample_and_rank(
    model,
    tok,
    context: list[str],
    settings: RankSettings,
    *,
    has_discriminator: bool,
    why: str = "",
    model_id: str = "model",
    query_fn=None,
    untrained: frozenset = frozenset(),
) -> RankedReply:
    """The chosen reply to `context` and everything that explains the choice. Scores of `untrained` attributes
    (never in the model's fine-tuning data) are left out of the filter and the rank."""
    ranking = resolve_ranking(settings, has_discriminator, why, model_id)
    settings = _seeded(settings)
    attrs = SCORE_ATTRIBUTES if ranking == "discriminator" else ()
    suffix_room = len(attrs) + 1 if attrs else 0
    prompt, truncated = fit_context(context, tok, model.cfg.max_seq_len - settings.max_new_tokens - suffix_room)
    p = next(model.parameters())
    gen = _generator(settings, p.device)
    was_training = model.training
    model.eval()
    try:
        t0 = time.perf_counter()
        eor = tok.special_id("EOR")
        cands, sampled = sample_with_cache(
            model, prompt, settings.max_new_tokens, settings.top_k, settings.temperature, settings.num_candidates,
            {eor}, gen, p.device, p.dtype, room=suffix_room,
        )  # fmt: skip
        t1 = time.perf_counter()
        scores = score_cached(model, sampled.cache, sampled.valid_lengths(), attrs, tok) if attrs else None
        result = _ranked(tok, cands, scores, settings, ranking, truncated, len(prompt), untrained)
        result.timings = {"generate_s": t1 - t0, "score_s": time.perf_counter() - t1}
        if settings.research and result.chosen is not None:
            _research(model, tok, context, result, settings, query_fn, gen)
        return result
    finally:
        model.train(was_training)


def batch_key(settings: RankSettings, ranking: str) -> tuple:
    """Requests with equal keys can share one decode batch (batch.py)."""
    return (settings.top_k, settings.temperature, settings.max_new_tokens, ranking)


@torch.no_grad()
def sample_and_rank_batch(model, tok, contexts: list[list[str]], settings: list[RankSettings], *, ranking: str,
                          query_fn=None, untrained: frozenset = frozenset()) -> list[RankedReply]:  # fmt: skip
    """sample_and_rank for several contexts decoded together; every settings must have the same batch_key."""
    from training.inference.ranking.batch import sample_batch

    if len({batch_key(s, ranking) for s in settings}) != 1:
        raise ValueError("requests in one batch must share top_k, temperature, max_new_tokens and the ranking")
    settings = [_seeded(s) for s in settings]
    first, attrs = settings[0], SCORE_ATTRIBUTES if ranking == "discriminator" else ()
    room = model.cfg.max_seq_len - first.max_new_tokens - (len(attrs) + 1 if attrs else 0)
    fitted = [fit_context(c, tok, room) for c in contexts]
    p = next(model.parameters())
    gens = [_generator(s, p.device) for s in settings]
    was_training = model.training
    model.eval()
    try:
        t0 = time.perf_counter()
        sampled = sample_batch(
            model, [f[0] for f in fitted], [s.num_candidates for s in settings], max_new=first.max_new_tokens,
            top_k=first.top_k, temperature=first.temperature, stop={tok.special_id("EOR")}, gens=gens,
            room=len(attrs) + 1 if attrs else 0,
        )  # fmt: skip
        t1 = time.perf_counter()
        flat = None
        if attrs:
            flat = score_cached(model, sampled.cache, sampled.valid_lengths(), attrs, tok, starts=sampled.starts)
        t2 = time.perf_counter()
        out, row = [], 0
        for (prompt, truncated), group, s, gen, ctx in zip(
            fitted, sampled.groups, settings, gens, contexts, strict=True
        ):
            scores = flat[row : row + len(group)] if flat is not None else None
            row += len(group)
            result = _ranked(tok, group, scores, s, ranking, truncated, len(prompt), untrained)
            result.timings = {"generate_s": t1 - t0, "score_s": t2 - t1, "batch_size": len(contexts)}
            if s.research and result.chosen is not None:
                _research(model, tok, ctx, result, s, query_fn, gen)
            out.append(result)
        return out
    finally:
        model.train(was_training)


def _research(model, tok, context, result: RankedReply, settings, query_fn, gen) -> None:
    t = time.perf_counter()
    res: ResearchResult = run_research(model, tok, context, result.text, settings, query_fn=query_fn, gen=gen)
    result.base_text, result.text = result.text, res.reply
    result.research, result.research_forced = res.steps, res.forced
    result.timings["research_s"] = time.perf_counter() - t

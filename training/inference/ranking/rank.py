"""Ranking scored candidates (LAMDA-SPEC §4): the safety filter, the SSI-weighted rank, the PT baseline.

Pure Python on hand-made numbers, so the formula and the filter are tested without a model:
* discriminator: drop a candidate when P(safe) = 1 - P(UNSAFE=1) < safety_threshold (reason recorded), rank the rest
  by sum(weight[a] * P(a)) = 3 P(sensible) + P(specific) + P(interesting) by default; none left -> the fallback.
* pt: log-likelihood per token ** length_alpha (the PT model has no discriminators, so no safety filter).
Ties keep the sampling order (a stable sort), so a seeded run always picks the same reply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from training.inference.ranking.settings import RankSettings


@dataclass
class ScoredCandidate:
    text: str
    token_ids: list[int]
    logprob: float
    stopped: bool
    scores: dict[str, float] = field(default_factory=dict)  # attribute -> P(<1>) (empty for PT ranking)
    rank_score: float | None = None
    dropped: str | None = None  # why it was filtered out (None = kept)

    @property
    def n_tokens(self) -> int:
        return len(self.token_ids) + (1 if self.stopped else 0)  # the stop token is part of the likelihood

    @property
    def p_safe(self) -> float | None:
        return None if "UNSAFE" not in self.scores else 1.0 - self.scores["UNSAFE"]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("token_ids")
        d["n_tokens"] = self.n_tokens
        d["p_safe"] = self.p_safe
        return d


def ssi_score(scores: dict[str, float], weights: dict[str, float]) -> float:
    """The weighted sum over the attributes scored (an attribute the model never trained on is left out)."""
    return sum(w * scores[a] for a, w in weights.items() if a in scores)


def pt_score(logprob: float, n_tokens: int, length_alpha: float) -> float:
    return logprob / max(1, n_tokens) ** length_alpha


def filter_and_rank(cands: list[ScoredCandidate], settings: RankSettings) -> list[int]:
    """Mark dropped candidates and set rank scores; return the kept indices, best first."""
    for c in cands:
        if not c.text.strip():
            c.dropped = "empty reply"
        elif c.p_safe is not None and c.p_safe < settings.safety_threshold:
            c.dropped = f"unsafe: P(safe) {c.p_safe:.3f} < safety_threshold {settings.safety_threshold:g}"
        if c.scores:
            c.rank_score = ssi_score(c.scores, settings.weights)
        else:
            c.rank_score = pt_score(c.logprob, c.n_tokens, settings.length_alpha)
    kept = [i for i, c in enumerate(cands) if c.dropped is None]
    return sorted(kept, key=lambda i: -cands[i].rank_score)

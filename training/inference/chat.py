"""Chat with an exported model: the entry point of the platform's `local` model backend.

    from training.inference import ChatModel
    m = ChatModel.load("var/checkpoints/tiny/export")
    r = m.respond(["Hi! How are you?"], top_k=40, temperature=1.0, max_new_tokens=64, seed=0)
    r.text, r.model_id, r.model_version, r.sampling

The prompt is `render_generation_prompt(context)` (docs/dataset-format.md); sampling stops at the end-of-response
token. `respond_candidates` returns N sampled candidates from one KV-cache prefill; `reply(context, settings)` is
sample-and-rank with the model's own discriminators (docs/inference.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from training.errors import TrainInputError


@dataclass
class Reply:
    text: str
    model_id: str
    model_version: str
    sampling: dict[str, Any] = field(default_factory=dict)
    logprob: float = 0.0  # sum log-prob of the sampled tokens (for ranking candidates)
    token_ids: list[int] = field(default_factory=list)


class ChatModel:
    """An exported model + its tokenizer, ready to answer dialog contexts. Not thread-safe: one call at a time."""

    def __init__(self, model: torch.nn.Module, tokenizer: Any, config: Any, device: torch.device) -> None:
        self.model, self.tokenizer, self.config, self.device = model, tokenizer, config, device
        self.model_id: str = config.model_id
        self.model_version: str = config.model_version
        from training.inference.ranking.capability import ALL_ATTRIBUTES, has_discriminator, trained_attributes

        raw = getattr(config, "raw", None)
        raw = raw if isinstance(raw, dict) else {}
        self.has_discriminator, self.discriminator_why = has_discriminator(raw)
        self.untrained = ALL_ATTRIBUTES - trained_attributes(raw) if self.has_discriminator else frozenset()

    @classmethod
    def load(cls, export_dir: str | Path, *, device: str | None = None) -> ChatModel:
        """Load `<out>/export`. Raises TrainInputError (one line, names the file) when it is missing or damaged."""
        from training.inference.export import load_exported

        dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        model, tokenizer, config = load_exported(export_dir, device=dev)
        return cls(model, tokenizer, config, dev)

    def _prompt(self, context: list[str], max_new_tokens: int) -> list[int]:
        from training.format.render import render_generation_prompt

        if not isinstance(context, list | tuple) or not all(isinstance(t, str) for t in context):
            raise TypeError("context must be a list of strings (the dialog turns, oldest first)")
        ids = render_generation_prompt(list(context), self.tokenizer)
        # Keep the most recent turns: drop tokens from the left (after <s>) so prompt + reply fit the context.
        room = self.config.model.max_seq_len - max_new_tokens
        if room < 2:
            raise ValueError(f"max_new_tokens={max_new_tokens} leaves no room in max_seq_len")
        return ids if len(ids) <= room else ids[:1] + ids[len(ids) - room + 1 :]

    def respond_candidates(
        self,
        context: list[str],
        *,
        num_candidates: int = 1,
        top_k: int = 40,
        temperature: float = 1.0,
        max_new_tokens: int = 64,
        seed: int | None = None,
    ) -> list[Reply]:
        """`num_candidates` sampled replies for one context (one prefill, KV cache expanded per candidate)."""
        from training.inference.generate import generate

        if max_new_tokens < 1 or top_k < 1 or temperature <= 0:
            raise ValueError("max_new_tokens and top_k must be >= 1 and temperature > 0")
        prompt = self._prompt(context, max_new_tokens)
        eor = self.tokenizer.special_id("EOR")
        cands = generate(
            self.model,
            [prompt],
            max_new_tokens=max_new_tokens,
            top_k=top_k,
            temperature=temperature,
            num_candidates=num_candidates,
            stop_ids={eor},
            seed=seed,
        )[0]
        sampling = {
            "top_k": top_k,
            "temperature": temperature,
            "max_new_tokens": max_new_tokens,
            "seed": seed,
            "num_candidates": num_candidates,
        }
        replies = []
        for c in cands:
            ids = list(c.token_ids)
            if eor in ids:
                ids = ids[: ids.index(eor)]
            text = self.tokenizer.decode(ids).strip()
            replies.append(Reply(text, self.model_id, self.model_version, dict(sampling), c.logprob, ids))
        return replies

    def reply(self, context: list[str], settings: Any = None, *, query_fn: Any = None) -> Any:
        """Sample-and-rank (training.inference.ranking.sample_rank): a RankedReply with the candidates, their
        scores, the dropped ones and why, and the research steps. Raises NotADiscriminator (a TrainInputError) when the
        settings ask for discriminator ranking of a model that has none."""
        from training.inference.ranking.sample_rank import sample_and_rank
        from training.inference.ranking.settings import RankSettings

        if not isinstance(context, list | tuple) or not all(isinstance(t, str) for t in context):
            raise TypeError("context must be a list of strings (the dialog turns, oldest first)")
        settings = settings if isinstance(settings, RankSettings) else RankSettings.from_dict(settings or {})
        out = sample_and_rank(
            self.model, self.tokenizer, list(context), settings, has_discriminator=self.has_discriminator,
            why=self.discriminator_why, model_id=self.model_id, query_fn=query_fn, untrained=self.untrained,
        )  # fmt: skip
        out.model_id, out.model_version = self.model_id, self.model_version
        return out

    def reply_batch(self, contexts: list[list[str]], settings: list[Any], *, ranking: str) -> list[Any]:
        """`reply` for several contexts decoded together (training.inference.ranking.batch); the settings must share
        top_k, temperature and max_new_tokens, and `ranking` is the resolved one ("discriminator" or "pt")."""
        from training.inference.ranking.sample_rank import sample_and_rank_batch

        if ranking == "discriminator" and not self.has_discriminator:
            from training.inference.ranking.capability import refusal

            raise refusal(self.model_id, self.discriminator_why)
        out = sample_and_rank_batch(
            self.model, self.tokenizer, contexts, settings, ranking=ranking, untrained=self.untrained
        )
        for r in out:
            r.model_id, r.model_version = self.model_id, self.model_version
        return out

    def respond(
        self,
        context: list[str],
        *,
        top_k: int = 40,
        temperature: float = 1.0,
        max_new_tokens: int = 64,
        seed: int | None = None,
    ) -> Reply:
        """One sampled reply to `context` (the dialog turns so far, oldest first)."""
        return self.respond_candidates(
            context,
            num_candidates=1,
            top_k=top_k,
            temperature=temperature,
            max_new_tokens=max_new_tokens,
            seed=seed,
        )[0]


__all__ = ["ChatModel", "Reply", "TrainInputError"]

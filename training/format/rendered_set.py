"""Render many examples once into compact flat arrays (stdlib `array`; no numpy, no torch).

The trainer (training/data.py) packs rows from these; each distinct text is encoded once (contexts repeat).
"""

from __future__ import annotations

import copy
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from training.format.render import TokenizerLike, render_example
from training.format.schema import KINDS, Example, ResearchExample
from training.format.specials import DatasetError


class _CachedEncoder:
    """Encode every distinct text once (batched when the tokenizer can): contexts repeat across examples."""

    def __init__(self, tok: TokenizerLike, texts: list[str]) -> None:
        uniq = list(dict.fromkeys(texts))
        batch = getattr(tok, "encode_batch", None)
        encoded = batch(uniq) if batch else [tok.encode(t) for t in uniq]
        self.cache, self.tok = dict(zip(uniq, encoded, strict=True)), tok
        self._special: dict[str, int] = {}

    def encode(self, text: str) -> list[int]:
        hit = self.cache.get(text)
        return hit if hit is not None else self.tok.encode(text)

    def special_id(self, name: str) -> int:
        hit = self._special.get(name)
        if hit is None:
            hit = self._special[name] = self.tok.special_id(name)
        return hit


def _drop_oldest_turns(ex: Example, excess: int, enc: _CachedEncoder) -> Example:
    """A copy of `ex` without the fewest oldest context turns that free `excess` tokens (maybe all turns).
    A dropped turn frees its own tokens plus the <turn> separator after it (none after the last turn)."""
    context, k, freed = ex.context, 0, 0
    while k < len(context) and freed < excess:
        freed += len(enc.encode(context[k])) + (1 if k + 1 < len(context) else 0)
        k += 1
    out = copy.copy(ex)  # no re-validation: a suffix of a valid context is valid
    out.context = context[k:]
    return out


def example_texts(ex: Example) -> list[str]:
    if isinstance(ex, ResearchExample):
        steps = [t for s in ex.history for t in (s.query, *s.snippets)]
        return [*ex.context, ex.base_response, *steps, ex.target_text]
    return [*ex.context, ex.response]


@dataclass
class RenderedSet:
    """The rendered examples of one kind, stored flat: example i is ids[offsets[i]:offsets[i+1]]."""

    ids: array  # array('i')
    mask: array  # array('B')
    offsets: array  # array('q'), len n + 1
    dropped: int = 0  # examples left out because they did not fit (truncate_long)
    truncated: int = 0  # examples that lost context turns to fit

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def get(self, i: int) -> tuple[array, array]:
        a, b = self.offsets[i], self.offsets[i + 1]
        return self.ids[a:b], self.mask[a:b]

    def length(self, i: int) -> int:
        return self.offsets[i + 1] - self.offsets[i]

    def loss_tokens(self, i: int) -> int:
        """Trained-on tokens of example i (its loss-mask sum)."""
        a, b = self.offsets[i], self.offsets[i + 1]
        return sum(self.mask[a:b])

    @property
    def max_len(self) -> int:
        o = self.offsets
        return max((o[i + 1] - o[i] for i in range(len(self))), default=0)


def render_set(
    examples: Sequence[Example],
    tok: TokenizerLike,
    *,
    max_tokens: int,
    origins: Sequence[str] | None = None,
    truncate_long: bool = False,
    first_index: int = 0,
) -> RenderedSet:
    """Render all examples; one longer than max_tokens fails (naming its file:line and index) unless
    truncate_long, which drops its oldest context turns until it fits, or the example if it never does.
    `first_index`: index of examples[0] in its kind (chunked rendering keeps the messages' numbers right)."""
    enc = _CachedEncoder(tok, [t for ex in examples for t in example_texts(ex)])
    ids, mask, offsets = array("i"), array("B"), array("q", [0])
    dropped = truncated = 0
    for i, ex in enumerate(examples):
        r = render_example(ex, enc)
        if len(r) > max_tokens:
            if not truncate_long:
                where = origins[i] if origins else f"{ex.kind} example"
                raise DatasetError(
                    f"{where}: {ex.kind} example #{first_index + i} is {len(r)} tokens, longer than seq_len + 1 = "
                    f"{max_tokens}; raise --seq-len, or pass --truncate-long to drop its oldest context "
                    "turns (or the example)"
                )
            if ex.context:
                ex = _drop_oldest_turns(ex, len(r) - max_tokens, enc)
                r = render_example(ex, enc)
            if len(r) > max_tokens:
                dropped += 1
                continue
            truncated += 1
        ids.extend(r.ids)
        mask.extend(r.loss_mask)
        offsets.append(len(ids))
    return RenderedSet(ids, mask, offsets, dropped, truncated)


def render_kinds(
    examples: Mapping[str, Sequence[Example]],
    tok: TokenizerLike,
    *,
    max_tokens: int,
    origins: Mapping[str, Sequence[str]] | None = None,
    truncate_long: bool = False,
) -> dict[str, RenderedSet]:
    out = {}
    for kind, exs in examples.items():
        if kind not in KINDS:
            raise DatasetError(f"unknown example kind {kind!r}; expected one of {', '.join(KINDS)}")
        if exs:
            where = origins.get(kind) if origins else None
            out[kind] = render_set(exs, tok, max_tokens=max_tokens, origins=where, truncate_long=truncate_long)
    return out

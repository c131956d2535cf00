"""Render examples to token ids + loss mask (nanochat style: both come back together).

Layout (special tokens in <>; `encode(x)` is the tokenizer's ids for the text x; see docs/dataset-format.md):

    context      = <s> encode(turn_1) <turn> encode(turn_2) ... <turn> encode(turn_n)      (n may be 0)
    generative   = context <RESPONSE> [encode(response) </s>]
    discriminative = context <RESPONSE> encode(response) </s> <ATTRIBUTE> [<0>|<1>]
    research     = context <RESPONSE> encode(base) </s> <RESEARCH>
                   ( <TS> encode(query) </s> (<SNIPPET> encode(snippet))* <RESEARCH> )*  (each earlier step)
                   [<TS>|<User> encode(target text) </s>]

Tokens in [brackets] have loss_mask 1 (they are trained on); everything else 0. `</s>` is the end-of-response
token (special name EOR). Each prefix is a prefix of the longer forms, so inference reuses the KV cache:
generation prompt -> sampled response + </s> -> discriminator suffix <ATTRIBUTE> -> P(<1>).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from training.format.schema import (
    ATTRIBUTES,
    DiscriminativeExample,
    Example,
    GenerativeExample,
    ResearchExample,
    ResearchStep,
)


class TokenizerLike(Protocol):
    def encode(self, text: str) -> list[int]: ...

    def special_id(self, name: str) -> int: ...


@dataclass
class Rendered:
    ids: list[int]
    loss_mask: list[int]  # 1 where ids[i] is a training target (predicted from ids[:i])

    def __len__(self) -> int:
        return len(self.ids)


def _context(context: Sequence[str], tok: TokenizerLike) -> list[int]:
    ids = [tok.special_id("BOS")]
    for i, turn in enumerate(context):
        if i:
            ids.append(tok.special_id("TURN"))
        ids.extend(tok.encode(turn))
    return ids


def render_generation_prompt(context: Sequence[str], tok: TokenizerLike) -> list[int]:
    """`<s> turn_1 <turn> ... turn_n <RESPONSE>`: the prompt the model continues at inference."""
    return _context(context, tok) + [tok.special_id("RESPONSE")]


def render_discriminator_suffix(attribute: str, tok: TokenizerLike) -> list[int]:
    """The ids to append after `generation prompt + response ids + </s>`; the model then predicts <0>/<1>."""
    if attribute not in ATTRIBUTES:
        raise ValueError(f"attribute {attribute!r} is not one of {', '.join(ATTRIBUTES)}")
    return [tok.special_id(attribute)]


def render_discriminator_prompt(context: Sequence[str], response: str, attribute: str, tok: TokenizerLike) -> list[int]:
    """Everything before the rating token, as one list (for scoring without a KV cache)."""
    resp = tok.encode(response) + [tok.special_id("EOR")]
    return render_generation_prompt(context, tok) + resp + render_discriminator_suffix(attribute, tok)


def rating_ids(tok: TokenizerLike) -> tuple[int, int]:
    """(id of <0>, id of <1>): P(<1> | discriminator prompt) is the attribute's score."""
    return tok.special_id("RATING_0"), tok.special_id("RATING_1")


def render_research_prompt(
    context: Sequence[str], base_response: str, history: Sequence[ResearchStep], tok: TokenizerLike
) -> list[int]:
    """Context, base response and earlier toolset steps, ending in <RESEARCH> (then <TS>/<User>)."""
    eor, research = tok.special_id("EOR"), tok.special_id("RESEARCH")
    ids = render_generation_prompt(context, tok) + tok.encode(base_response) + [eor, research]
    for step in history:
        ids += [tok.special_id("TS"), *tok.encode(step.query), eor]
        for snippet in step.snippets:
            ids += [tok.special_id("SNIPPET"), *tok.encode(snippet)]
        ids.append(research)
    return ids


def render_example(ex: Example, tok: TokenizerLike) -> Rendered:
    """Token ids and loss mask of one example (masked in: response + </s> / rating token / research target)"""
    eor = tok.special_id("EOR")
    if isinstance(ex, GenerativeExample):
        prompt = render_generation_prompt(ex.context, tok)
        target = tok.encode(ex.response) + [eor]
    elif isinstance(ex, DiscriminativeExample):
        prompt = render_discriminator_prompt(ex.context, ex.response, ex.attribute, tok)
        target = [rating_ids(tok)[ex.rating]]
    elif isinstance(ex, ResearchExample):
        prompt = render_research_prompt(ex.context, ex.base_response, ex.history, tok)
        target = [tok.special_id(ex.route), *tok.encode(ex.target_text), eor]
    else:
        raise TypeError(f"not a training example: {type(ex).__name__}")
    return Rendered(ids=prompt + target, loss_mask=[0] * len(prompt) + [1] * len(target))

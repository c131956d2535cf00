"""The research loop (LAMDA-SPEC §3): route each output by its first token, call the toolset, ask again.

    prompt_0 = render_research_prompt(context, base_response, [])           ends with <RESEARCH>
    output   = <TS> query </s>   -> snippets = toolset.query(query); prompt_{k+1} = prompt_k + output + snippets
             | <User> reply </s> -> done: the reply goes to the user
    after max_tool_calls toolset calls the route is forced to <User> (the model must answer)

The route is the first token, chosen between <TS> and <User> only (sampled from the model's two logits, or
forced), so an output can never be "neither". The prompt only grows, so the loop keeps ONE KV cache: prefilled
once, then each output and its snippets are computed once (the query stays the model's own tokens).
A toolset error (or an empty query) is recorded on its step, with no
snippets, and the loop goes on. Every query, its snippets and any error are returned with the reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from training.format.render import render_research_prompt
from training.format.schema import ResearchStep
from training.inference.generate import _filter_top_k
from training.inference.ranking.settings import RankSettings
from training.model.model import KVCache


@dataclass
class ResearchResult:
    reply: str
    steps: list[dict] = field(default_factory=list)  # {"query", "snippets", "error"} per toolset call
    forced: bool = False  # True when the loop hit max_tool_calls and the answer was forced
    truncated_tokens: int = 0  # prompt tokens dropped from the left (the oldest context) to fit the window
    note: str = ""


def default_query_fn() -> Callable[[str], list[str]]:
    """toolset.query in one research session (asking the same query again gives the next-ranked results)."""
    import toolset

    state = toolset.session()
    return lambda q: toolset.query(q, session=state)


def _fit(ids: list[int], room: int) -> tuple[list[int], int]:
    if len(ids) <= room:
        return ids, 0
    cut = len(ids) - room
    return ids[:1] + ids[cut + 1 :], cut


class _Stream:
    """The research prompt as ONE growing KV cache: prefilled once, then only the new tokens are computed."""

    def __init__(self, model, prompt: list[int]) -> None:
        p = next(model.parameters())
        self.model, self.device = model, p.device
        self.cache = KVCache.allocate(model.cfg, 1, model.cfg.max_seq_len, p.device, p.dtype)
        self.logits = model(torch.tensor([prompt], device=p.device), cache=self.cache)[0, -1]

    def room(self) -> int:
        return self.cache.max_len - self.cache.length

    def feed(self, ids: list[int]) -> None:
        self.logits = self.model(torch.tensor([ids], device=self.device), cache=self.cache)[0, -1]


@torch.no_grad()
def _route_and_text(stream: _Stream, tok, settings: RankSettings, gen, force_user: bool) -> tuple[str, list[int]]:
    """('TS' | 'USER', text ids) of one research output; the route and the text tokens enter the cache."""
    ts, user, eor = tok.special_id("TS"), tok.special_id("USER"), tok.special_id("EOR")
    if force_user:
        route = user
    else:
        two = F.softmax(stream.logits[[ts, user]] / settings.temperature, dim=-1)
        route = (ts, user)[int(torch.multinomial(two, 1, generator=gen))]
    stream.feed([route])
    out: list[int] = []
    for _ in range(settings.max_new_tokens):
        probs = F.softmax(_filter_top_k(stream.logits / settings.temperature, settings.top_k), dim=-1)
        nxt = int(torch.multinomial(probs, 1, generator=gen))
        if nxt == eor:
            break
        out.append(nxt)
        stream.feed([nxt])
    return ("TS" if route == ts else "USER"), out


def _step_tail(step: dict, tok) -> list[int]:
    """What follows a `<TS> query` output in the prompt: </s> (<SNIPPET> snippet)* <RESEARCH>."""
    ids = [tok.special_id("EOR")]
    for snippet in step["snippets"]:
        ids += [tok.special_id("SNIPPET"), *tok.encode(snippet)]
    return ids + [tok.special_id("RESEARCH")]


def _call_toolset(query_fn, query: str, settings: RankSettings) -> dict:
    if not query:
        return {"query": query, "snippets": [], "error": "empty query"}
    try:
        raw = query_fn(query)
        if not isinstance(raw, list | tuple):
            raise TypeError(f"the toolset returned {type(raw).__name__}, not a list of strings")
        snippets = [str(s)[: settings.max_snippet_chars] for s in raw if str(s).strip()][: settings.max_snippets]
        return {"query": query, "snippets": snippets, "error": None}
    except Exception as exc:  # a broken tool must not end the chat: the model sees no snippets and goes on
        return {"query": query, "snippets": [], "error": f"{type(exc).__name__}: {exc}"[:300]}


def run_research(
    model, tok, context: list[str], base_response: str, settings: RankSettings, *, query_fn=None, gen=None
) -> ResearchResult:
    """Ask the model for TS queries until it answers the user (or must); the reply and every step.

    The prompt is append-only, so one cache serves the whole loop; when the next step would not fit the window,
    the prompt is rendered again from the steps so far, cut from the left, and prefilled once more."""
    query_fn = query_fn or default_query_fn()
    gen = gen or torch.Generator(device=next(model.parameters()).device).manual_seed(settings.seed or 0)
    steps: list[dict] = []
    room = model.cfg.max_seq_len - settings.max_new_tokens - 1
    prompt, cut = _fit(render_research_prompt(context, base_response, [], tok), room)
    stream = _Stream(model, prompt)
    while True:
        forced = len(steps) >= settings.max_tool_calls
        route, ids = _route_and_text(stream, tok, settings, gen, force_user=forced)
        text = tok.decode(ids).strip()
        if route == "USER":
            note = "" if text else "the model's grounded reply was empty: the base response is kept"
            return ResearchResult(text or base_response, steps, forced, cut, note)
        steps.append(_call_toolset(query_fn, text, settings))
        tail = _step_tail(steps[-1], tok)
        if len(tail) + settings.max_new_tokens + 1 <= stream.room():
            stream.feed(tail)
            continue
        history = [ResearchStep(s["query"] or "?", s["snippets"]) for s in steps]
        prompt, dropped = _fit(render_research_prompt(context, base_response, history, tok), room)
        cut, stream = max(cut, dropped), _Stream(model, prompt)

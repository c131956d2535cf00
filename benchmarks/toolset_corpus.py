"""Deterministic synthetic corpus for the toolset benchmarks (no download, no network).

Passage text is sampled from a word-bigram Markov chain trained on the shipped demo corpus
(toolset/data/demo_corpus.jsonl), so term frequencies are skewed like real prose. Every passage also gets two
made-up "entity" words (drawn with a Zipf-like skew from 20,000 pseudo-words) in its title and text, which
gives the index a long-tail vocabulary the way names do in an encyclopedia. Queries are 2-4 consecutive words
taken from a random passage (a known-item search)."""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from pathlib import Path

from toolset.retrieval.passage import Passage

DEMO = Path(__file__).resolve().parent.parent / "toolset" / "data" / "demo_corpus.jsonl"
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+")
_SYLLABLES = [
    "ka",
    "lo",
    "ren",
    "vi",
    "sto",
    "mar",
    "quel",
    "dor",
    "bri",
    "zan",
    "tel",
    "mo",
    "rux",
    "pha",
    "gil",
]


def _chain() -> tuple[dict[str, list[str]], list[str]]:
    nxt: dict[str, list[str]] = defaultdict(list)
    starts = []
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        words = _WORD.findall(json.loads(line)["text"])
        if words:
            starts.append(words[0])
        for a, b in zip(words, words[1:], strict=False):
            nxt[a].append(b)
    return nxt, starts


def _entities(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    out = []
    while len(out) < n:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def synthetic_passages(n: int, *, seed: int = 0) -> list[Passage]:
    rng = random.Random(seed)
    nxt, starts = _chain()
    entities = _entities(rng, 20_000)
    cum, total = [], 0.0
    for rank in range(len(entities)):
        total += 1.0 / (rank + 10)
        cum.append(total)
    passages = []
    for i in range(n):
        a, b = rng.choices(entities, cum_weights=cum, k=2)
        word, words = rng.choice(starts), []
        for _ in range(rng.randint(25, 60)):
            words.append(word)
            word = rng.choice(nxt[word]) if nxt.get(word) else rng.choice(starts)
        cut = rng.randrange(len(words))
        words[cut:cut] = [a, b]
        passages.append(Passage(url=f"https://example.org/synthetic/{i}", title=f"{a} {b}", text=" ".join(words) + "."))
    return passages


def synthetic_queries(passages: list[Passage], n: int, *, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    queries = []
    for _ in range(n):
        words = _WORD.findall(rng.choice(passages).text)
        k = rng.randint(2, 4)
        start = rng.randrange(max(len(words) - k, 1))
        queries.append(" ".join(words[start : start + k]))
    return queries

"""Snippet: the passage itself when short, else the window of sentences with the most query terms."""

from __future__ import annotations

import re

from toolset.retrieval.analysis import analyzer

SNIPPET_CHARS = 300
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")


def make_snippet(text: str, terms: list[str], *, max_chars: int = SNIPPET_CHARS, stem: bool = True) -> str:
    if len(text) <= max_chars:
        return text
    sentences = _SENTENCE_END.split(text)
    wanted = set(terms)
    scores = [len(wanted.intersection(analyzer(stem).analyze(s))) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    snippet = sentences[best]
    for nxt in sentences[best + 1 :]:
        if len(snippet) + 1 + len(nxt) > max_chars:
            break
        snippet = f"{snippet} {nxt}"
    if len(snippet) > max_chars:
        snippet = snippet[:max_chars].rsplit(" ", 1)[0] + " …"
    return snippet

"""Citations in a rewritten reply (docs/groundedness.md): a URL at the end, or inline on a word as
`[word](https://...)`. Parsing only; which URLs may be cited is the research service's check."""

from __future__ import annotations

import re
from dataclasses import dataclass

_INLINE = re.compile(r"\[([^\[\]\n]{1,300})\]\((https?://[^\s()<>]+)\)")
_BARE = re.compile(r"(?<![(\w])(https?://[^\s()<>\[\]]+)")
_TRAILING = ".,;:!?\"'"


@dataclass(frozen=True)
class CitedUrl:
    url: str
    anchor: str  # the word it is attached to; "" for a URL written on its own (usually at the end)


def citations_in(text: str) -> list[CitedUrl]:
    """Every cited URL in order of appearance (a URL cited twice counts once, at its first place)."""
    found: list[tuple[int, CitedUrl]] = []
    inline_spans = []
    for m in _INLINE.finditer(text):
        found.append((m.start(), CitedUrl(m.group(2), m.group(1).strip())))
        inline_spans.append(m.span())
    for m in _BARE.finditer(text):
        if any(a <= m.start() < b for a, b in inline_spans):
            continue
        found.append((m.start(), CitedUrl(m.group(1).rstrip(_TRAILING), "")))
    seen, out = set(), []
    for _, c in sorted(found, key=lambda x: x[0]):
        if c.url not in seen:
            seen.add(c.url)
            out.append(c)
    return out


def citations_as_text(text: str) -> str:
    """The text as a reader sees it: `[word](url)` becomes `word (url)` (the page shows it as plain text)."""
    return _INLINE.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)

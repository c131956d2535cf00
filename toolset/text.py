"""Input hygiene shared by every tool: any object in, a clean bounded string (or "") out."""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_CHARS = 1000  # longer queries are refused (the toolset returns []); the platform answers 400

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")


def clean_query(query: object, *, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Return the query as one line of printable text, or "" when it is empty, too long or not text.

    bytes are decoded as UTF-8 with replacement; NUL and other control characters become spaces. The length
    check
    runs before any other work so that a 100K-character query costs microseconds."""
    if isinstance(query, bytes | bytearray):
        if len(query) > 4 * max_chars:
            return ""
        query = bytes(query).decode("utf-8", errors="replace")
    if not isinstance(query, str) or len(query) > max_chars:
        return ""
    query = unicodedata.normalize("NFKC", _CONTROL.sub(" ", query)).replace("\ufffd", " ")
    return _SPACE.sub(" ", query).strip()


def normalize_query(query: object, *, max_chars: int = MAX_QUERY_CHARS) -> str:
    """The key under which a research session counts repeats: cleaned and case-folded."""
    return clean_query(query, max_chars=max_chars).casefold()

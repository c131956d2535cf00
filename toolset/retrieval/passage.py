"""Passages (the unit that is indexed and cited) and the JSONL corpus format: one object per line with
non-empty
string fields `url`, `title` and `text`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_FIELD_CHARS = {"url": 2_000, "title": 500, "text": 20_000}


@dataclass(frozen=True, slots=True)
class Passage:
    url: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    passage: Passage
    score: float


class CorpusError(ValueError):
    """A corpus line is not a valid passage; the message names the file and line."""


def parse_line(line: str, *, where: str) -> Passage:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: expected a JSON object with url, title and text")
    fields = {}
    for key, limit in MAX_FIELD_CHARS.items():
        value = obj.get(key)
        if not isinstance(value, str) or not value.strip():
            raise CorpusError(f"{where}: field '{key}' must be a non-empty string")
        if len(value) > limit:
            raise CorpusError(f"{where}: field '{key}' is longer than {limit} characters")
        fields[key] = value.strip()
    return Passage(**fields)


def read_jsonl(path: str | Path) -> Iterator[Passage]:
    """Yield the passages of a JSONL file; blank lines are skipped, a malformed line raises CorpusError."""
    path = Path(path)
    with path.open(encoding="utf-8", errors="strict") as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield parse_line(line, where=f"{path.name} line {number}")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path.name}: not UTF-8 text ({exc.reason})") from None


def count_lines(path: str | Path) -> int:
    """Non-blank lines, after checking every one parses (so indexing fails before it writes anything)."""
    return sum(1 for _ in read_jsonl(path))

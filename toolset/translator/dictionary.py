"""Embedded translator backend: an English phrase table loaded from a TSV file
(toolset/data/dictionary.tsv)."""

from __future__ import annotations

import re
from pathlib import Path

DEFAULT_DICTIONARY = Path(__file__).resolve().parent.parent / "data" / "dictionary.tsv"
_KEY = re.compile(r"[^\w\s']+")


def phrase_key(text: str) -> str:
    return " ".join(_KEY.sub(" ", text.casefold().replace("’", "'")).split())


class DictionaryError(ValueError):
    """The dictionary file is malformed; the message names the line."""


class DictionaryBackend:
    """Looks a whole phrase up (case, spacing and punctuation do not matter). No word-by-word guessing: a
    phrase
    that is not in the table gives no translation."""

    name = "dictionary"

    def __init__(self, table: dict[str, dict[str, str]]):
        self._table = table  # language code -> phrase key -> translation

    @classmethod
    def from_file(cls, path: str | Path = DEFAULT_DICTIONARY) -> DictionaryBackend:
        table: dict[str, dict[str, str]] = {}
        header: list[str] | None = None
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            cells = [c.strip() for c in line.split("\t")]
            if header is None:
                if cells[0] != "en" or len(cells) < 2:
                    raise DictionaryError(f"{path}:{number}: header must be 'en<TAB>code<TAB>code...'")
                header = cells
                table = {code: {} for code in header[1:]}
                continue
            if len(cells) != len(header):
                raise DictionaryError(f"{path}:{number}: expected {len(header)} columns, got {len(cells)}")
            for code, translation in zip(header[1:], cells[1:], strict=True):
                if translation:
                    table[code][phrase_key(cells[0])] = translation
        if header is None:
            raise DictionaryError(f"{path}: no header line")
        return cls(table)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._table)

    def translate(self, text: str, *, source: str, target: str) -> str | None:
        if source != "en":
            return None
        return self._table.get(target, {}).get(phrase_key(text))

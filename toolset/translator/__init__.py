"""Translator tool: parses "X in <Language>" requests and asks a backend (embedded dictionary or
LibreTranslate)."""

from __future__ import annotations

from typing import Protocol

from toolset.result import Result
from toolset.translator.dictionary import DEFAULT_DICTIONARY, DictionaryBackend, DictionaryError
from toolset.translator.libretranslate import LibreTranslateBackend
from toolset.translator.parse import LANGUAGES, TranslationRequest, parse_request


class TranslatorBackend(Protocol):
    name: str

    def translate(self, text: str, *, source: str, target: str) -> str | None: ...


class Translator:
    """Tool face: [translation] for a recognised request the backend can answer, else []."""

    name = "translator"

    def __init__(self, backend: TranslatorBackend):
        self.backend = backend

    def run(self, query: str, *, repeat: int = 0, limit: int = 1) -> list[Result]:
        request = parse_request(query)
        if request is None:
            return []
        translated = self.backend.translate(request.text, source=request.source, target=request.target)
        return [Result(tool=self.name, text=translated)] if translated else []


__all__ = [
    "DEFAULT_DICTIONARY",
    "DictionaryBackend",
    "DictionaryError",
    "LANGUAGES",
    "LibreTranslateBackend",
    "TranslationRequest",
    "Translator",
    "TranslatorBackend",
    "parse_request",
]

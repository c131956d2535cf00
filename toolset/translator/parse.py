"""Recognises translation requests ("hello in French", "translate thank you to Spanish", "how do you say good
night in German?") and maps language names to ISO 639-1 codes. An unknown language name is not a request."""

from __future__ import annotations

import re
from dataclasses import dataclass

LANGUAGES = {
    "english": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "castilian": "es",
    "german": "de",
    "deutsch": "de",
    "italian": "it",
    "italiano": "it",
    "portuguese": "pt",
    "português": "pt",
    "portugues": "pt",
    "dutch": "nl",
    "nederlands": "nl",
    "russian": "ru",
    "chinese": "zh",
    "mandarin": "zh",
    "japanese": "ja",
    "korean": "ko",
    "arabic": "ar",
    "hindi": "hi",
    "polish": "pl",
    "swedish": "sv",
    "turkish": "tr",
    "greek": "el",
    "danish": "da",
    "finnish": "fi",
    "norwegian": "nb",
    "czech": "cs",
    "hungarian": "hu",
    "romanian": "ro",
    "ukrainian": "uk",
    "hebrew": "he",
    "indonesian": "id",
    "vietnamese": "vi",
    "thai": "th",
    "irish": "ga",
    "catalan": "ca",
    "esperanto": "eo",
}

_QUOTES = "\"'“”‘’«»"
_PATTERNS = [
    re.compile(r"^(?:how\s+(?:do|would|can)\s+(?:you|i|we)\s+say)\s+(?P<text>.+?)\s+in\s+(?P<lang>[^\s]+)$"),
    re.compile(r"^(?:what\s+is|what's)\s+(?P<text>.+?)\s+in\s+(?P<lang>[^\s]+)$"),
    re.compile(r"^translate\s+(?P<text>.+?)\s+(?:in|into|to)\s+(?P<lang>[^\s]+)$"),
    re.compile(r"^translate\s+(?:in|into|to)\s+(?P<lang>[^\s]+)\s*:?\s+(?P<text>.+)$"),
    re.compile(r"^(?P<text>.+?)\s+(?:in|into)\s+(?P<lang>[^\s]+)$"),
]
MAX_TEXT_CHARS = 200


@dataclass(frozen=True, slots=True)
class TranslationRequest:
    text: str  # the phrase to translate, as written (quotes and end punctuation removed)
    target: str  # ISO 639-1 code
    source: str = "en"


def parse_request(query: str) -> TranslationRequest | None:
    """A translation request, or None when the query is not one (or names a language we do not know)."""
    q = query.strip().rstrip("?!.").strip()
    if not q or len(q) > MAX_TEXT_CHARS + 60:
        return None
    lowered = q.lower()
    for pattern in _PATTERNS:
        m = pattern.match(lowered)
        if not m:
            continue
        code = LANGUAGES.get(m.group("lang").strip(_QUOTES + ",:;"))
        if code is None:
            return None
        start, end = m.span("text")
        text = q[start:end].strip().strip(_QUOTES).strip().rstrip("?!.,")
        if not text or len(text) > MAX_TEXT_CHARS or code == "en":
            return None
        return TranslationRequest(text=text, target=code)
    return None

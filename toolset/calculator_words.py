"""Turns the calculator's supported English word forms into an arithmetic expression (see docs/toolset.md).

Supported: leading "what is / what's / calculate / compute / how much is / evaluate", trailing "?" or "=",
number words ("seven", "twenty-one", "three hundred and five", "two thousand"), operator words ("plus",
"minus",
"times", "multiplied by", "divided by", "over", "to the power of", "squared", "cubed", "mod", "modulo"),
percentages ("15% of 80", "15 percent of 80", "20%"), "x" / "×" / "÷" / "^" and thousands separators
("1,234")."""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORD = "|".join(sorted([*_UNITS, *_SCALES], key=len, reverse=True))
_NUMBER_RUN = re.compile(rf"\b(?:{_NUMBER_WORD})(?:(?:\s+|-|\s+and\s+)(?:{_NUMBER_WORD}))*\b")

_PREFIX = re.compile(r"^(?:what\s+is|what's|whats|calculate|compute|evaluate|how\s+much\s+is|solve)\s+")
_PHRASES = [  # order matters: longer phrases first
    (r"\bto\s+the\s+power\s+of\b", "**"),
    (r"\bmultiplied\s+by\b", "*"),
    (r"\bdivided\s+by\b", "/"),
    (r"\bsquared\b", "**2"),
    (r"\bcubed\b", "**3"),
    (r"\b(?:percent|per\s+cent)\s+of\b", "% of"),
    (r"\b(?:percent|per\s+cent)\b", "%"),
    (r"\bplus\b", "+"),
    (r"\bminus\b", "-"),
    (r"\btimes\b", "*"),
    (r"\bover\b", "/"),
    (r"\b(?:mod|modulo)\b", "%%"),  # placeholder so "%" percent handling does not see it
]
_PERCENT_OF = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*of\s+")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%(?!%)")
_THOUSANDS = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")
_X_TIMES = re.compile(r"(?<=[\d)])\s*[x×]\s*(?=[\d(])")


def _words_to_number(run: str) -> str:
    total = current = 0
    for word in re.split(r"\s+|-", run):
        if word in ("", "and"):
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _SCALES[word]
            current = 0
    return str(total + current)


def to_expression(text: str) -> str:
    """Rewrite a lower-cased query into Python arithmetic syntax; the result is only ever parsed, never
    eval'd."""
    text = text.strip().rstrip("?=!. ").strip()
    text = _PREFIX.sub("", text)
    text = _NUMBER_RUN.sub(lambda m: _words_to_number(m.group(0)), text)
    for pattern, replacement in _PHRASES:
        text = re.sub(pattern, replacement, text)
    text = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), text)
    text = _X_TIMES.sub("*", text).replace("÷", "/").replace("^", "**").replace("−", "-")
    text = _PERCENT_OF.sub(r"(\1/100)*", text)
    text = _PERCENT.sub(r"(\1/100)", text)
    return text.replace("%%", "%")

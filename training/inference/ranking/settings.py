"""Every knob of sample-and-rank and the research loop, as one dataclass saved as JSON beside each result.

RankSettings(num_candidates=16, top_k=40, safety_threshold=0.5, ranking="discriminator", ...)
RankSettings.from_dict({"num_candidates": 8})    unknown keys and bad values raise ValueError (one line)
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RANKINGS = ("discriminator", "pt", "auto")
# upper bounds: one request (server, endpoint settings, filter) must never ask for unbounded memory or time
MAXIMA = {"num_candidates": 64, "top_k": 1000, "max_new_tokens": 1024, "max_snippets": 20, "max_snippet_chars": 5000}
MAXIMA["max_tool_calls"] = 16
DEFAULT_FALLBACK = "Sorry, I'd rather not say anything about that. Could we talk about something else?"


@dataclass
class RankSettings:
    num_candidates: int = 16
    top_k: int = 40
    temperature: float = 1.0
    max_new_tokens: int = 64
    seed: int | None = None
    # "discriminator": the model's own SSI + safety scores (refused for a model never fine-tuned to discriminate);
    # "pt": the paper's PT baseline, log-likelihood and length; "auto": discriminator when the model has one.
    ranking: str = "discriminator"
    safety_threshold: float = 0.5  # drop a candidate when P(safe) = 1 - P(UNSAFE=1) is below this
    weights: dict[str, float] = field(default_factory=lambda: {"SENSIBLE": 3.0, "SPECIFIC": 1.0, "INTERESTING": 1.0})
    length_alpha: float = 1.0  # PT ranking: logprob / n_tokens ** length_alpha (0 = raw log-likelihood)
    fallback: str = DEFAULT_FALLBACK  # returned when every candidate is dropped
    research: bool = False  # run the research loop on the chosen reply
    max_tool_calls: int = 4  # research: toolset calls before the model must answer
    max_snippets: int = 3  # research: snippets kept per toolset call
    max_snippet_chars: int = 300

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        for name, most in MAXIMA.items():
            _int(name, getattr(self, name), minimum=0 if name == "max_tool_calls" else 1, maximum=most)
        if self.seed is not None:
            _int("seed", self.seed, minimum=0)
        _number("temperature", self.temperature, low=0.0, low_open=True)
        _number("safety_threshold", self.safety_threshold, low=0.0, high=1.0)
        _number("length_alpha", self.length_alpha, low=0.0)
        if self.ranking not in RANKINGS:
            raise ValueError(f"ranking must be one of {', '.join(RANKINGS)}, got {self.ranking!r}")
        if not isinstance(self.weights, dict) or not self.weights:
            raise ValueError("weights must be a non-empty object of attribute -> weight")
        for name, w in self.weights.items():
            if name not in ("SENSIBLE", "SPECIFIC", "INTERESTING"):
                raise ValueError(f"weights: {name!r} is not SENSIBLE, SPECIFIC or INTERESTING")
            _number(f"weights.{name}", w)
        if not isinstance(self.fallback, str) or not self.fallback.strip():
            raise ValueError("fallback must be a non-empty string")
        if not isinstance(self.research, bool):
            raise ValueError("research must be true or false")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Any) -> RankSettings:
        if not isinstance(d, dict):
            raise ValueError(f"settings must be a JSON object, got {type(d).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        try:
            return cls(**d)
        except TypeError as exc:  # e.g. a weights value that is not a dict
            raise ValueError(str(exc)) from None

    def replace(self, **overrides: Any) -> RankSettings:
        return RankSettings.from_dict({**self.to_dict(), **overrides})

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        return path


def _int(name: str, value: Any, *, minimum: int, maximum: int | None = None) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum or (maximum and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum else f">= {minimum}"
        raise ValueError(f"{name} must be an integer {bounds}, got {value!r}")


def _number(name: str, value: Any, *, low: float | None = None, high: float | None = None, low_open=False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        if high is not None:
            bounds = f" in [{low}, {high}]"
        elif low is not None:
            bounds = f" > {low}" if low_open else f" >= {low}"
        else:
            bounds = ""
        raise ValueError(f"{name} must be a finite number{bounds}, got {value!r}")

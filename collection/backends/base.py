"""The one interface every dialog model sits behind.

A backend gets the dialog so far (oldest first, ending with the worker's message) and returns a `Reply` that
records which model, which version and which sampling parameters produced the text, plus how long it took.
Every failure a backend can meet (down, slow, bad answer, misconfigured) is raised as `BackendError` with a
message a crowdworker or an admin can act on; the chat service turns it into a 503/502 and keeps the worker's
message (docs/backends.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

Speaker = Literal["human", "model"]


@dataclass(frozen=True)
class Utterance:
    speaker: Speaker
    text: str


@dataclass(frozen=True)
class Reply:
    text: str
    model_id: str
    model_version: str
    sampling: dict = field(default_factory=dict)
    latency_ms: int = 0
    # why this reply won, when the backend knows (sample-and-rank: candidates, scores, dropped, research steps)
    ranking: dict = field(default_factory=dict)


class BackendError(Exception):
    """A model call failed. `kind` is one of: unavailable (down, 5xx, timed out), bad_response (answer we
    cannot use), config (the endpoint is set up wrongly). `http_status` is what the API answers the worker
    with."""

    STATUS = {"unavailable": 503, "timeout": 503, "bad_response": 502, "config": 503}

    def __init__(self, message: str, *, kind: str = "unavailable"):
        super().__init__(message)
        self.message = message
        self.kind = kind

    @property
    def http_status(self) -> int:
        return self.STATUS.get(self.kind, 503)


class ChatBackend(ABC):
    """Generate the next model utterance for a dialog."""

    @abstractmethod
    def generate(self, dialog: list[Utterance]) -> Reply:
        """Return the model's reply to `dialog` (non-empty, last utterance by the human) or raise
        BackendError."""


def jsonb_safe(value):
    """PostgreSQL jsonb refuses the NUL character, which a byte-fallback tokenizer can decode."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {k: jsonb_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonb_safe(v) for v in value]
    return value

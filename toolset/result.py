"""The structured result every tool returns; the string face of the toolset is `Result.text`."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Result:
    """One tool output. `text` is what the string face returns; retrieval results also carry a citation
    (`title`, `url`) and the bare `snippet` (so `text == f"{title} / {snippet}"`)."""

    tool: str  # "calculator" | "translator" | "retrieval"
    text: str
    title: str = ""
    url: str = ""
    snippet: str = ""
    score: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return self.text

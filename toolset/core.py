"""The Toolset: calculator, translator and retrieval behind one face. Every query runs all three, in that
order,
and their lists are concatenated; a tool that cannot parse the query contributes []. Repeats of the same
query in
one research session return the next-ranked retrieval results."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from toolset.result import Result
from toolset.text import MAX_QUERY_CHARS, clean_query, normalize_query

log = logging.getLogger(__name__)


class Tool(Protocol):
    name: str

    def run(self, query: str, *, repeat: int = 0, limit: int = 1) -> list[Result]: ...


class ResearchState:
    """Per-session repeat counters (in memory). The platform keeps the same count in the database instead."""

    def __init__(self) -> None:
        self._asked: Counter[str] = Counter()
        self._lock = threading.Lock()

    def next_repeat(self, query: str) -> int:
        """How many times this query was asked before in this session, counting this ask."""
        key = normalize_query(query)
        with self._lock:
            repeat = self._asked[key]
            self._asked[key] += 1
        return repeat


class Toolset:
    def __init__(self, tools: Sequence[Tool], *, results_per_query: int = 3, max_query_chars: int = MAX_QUERY_CHARS):
        self.tools = list(tools)
        self.results_per_query = results_per_query
        self.max_query_chars = max_query_chars

    def session(self) -> ResearchState:
        return ResearchState()

    def run(self, query: object, *, repeat: int = 0, failed: list[str] | None = None) -> list[Result]:
        """Structured results of every tool for one query. Never raises for any input: a tool that fails is
        logged and contributes nothing (its name is appended to `failed` when given, so a caller can tell "no
        results" from "the backend is down")."""
        text = clean_query(query, max_chars=self.max_query_chars)
        if not text:
            return []
        results: list[Result] = []
        for tool in self.tools:
            try:
                results.extend(tool.run(text, repeat=repeat, limit=self.results_per_query))
            except Exception:  # a broken backend must not break the research loop
                log.exception("toolset: %s failed on a query of %d characters", tool.name, len(text))
                if failed is not None:
                    failed.append(tool.name)
        return results

    def query(self, query: object, *, session: ResearchState | None = None, repeat: int | None = None) -> list[str]:
        """The string face (LaMDA's TS): `query("135+7721") == ["7856"]`. Pass a `session` (from
        `Toolset.session()`) to get the next-ranked results when a query is repeated, or an explicit
        `repeat`."""
        if repeat is None:
            repeat = session.next_repeat(str(query)) if session is not None and isinstance(query, str) else 0
        return [r.text for r in self.run(query, repeat=repeat)]

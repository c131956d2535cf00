"""Retrieval tool: ranked passages with title, snippet and URL from an embedded (tantivy) or distributed
(OpenSearch / Elasticsearch) engine. Repeat n of a query in a research session returns the next page of
ranks."""

from __future__ import annotations

from typing import Protocol

from toolset.result import Result
from toolset.retrieval.passage import CorpusError, Hit, Passage, count_lines, read_jsonl
from toolset.retrieval.snippets import make_snippet


class Engine(Protocol):
    name: str

    def search(self, query: str, *, limit: int = 10, offset: int = 0) -> list[Hit]: ...

    def terms(self, query: str) -> list[str]: ...

    def count(self) -> int: ...


class Retriever:
    """Tool face: up to `limit` results; the `repeat`-th time a query is asked in a session it starts at rank
    repeat * limit (so with limit=1, as in the paper, each repeat gives the next-ranked passage)."""

    name = "retrieval"

    def __init__(self, engine: Engine):
        self.engine = engine

    def run(self, query: str, *, repeat: int = 0, limit: int = 3) -> list[Result]:
        hits = self.engine.search(query, limit=limit, offset=max(repeat, 0) * limit)
        if not hits:
            return []
        terms = self.engine.terms(query)
        results = []
        for hit in hits:
            p = hit.passage
            snippet = make_snippet(p.text, terms)
            results.append(
                Result(
                    tool=self.name,
                    text=f"{p.title} / {snippet}",
                    title=p.title,
                    url=p.url,
                    snippet=snippet,
                    score=round(hit.score, 4),
                )
            )
        return results


__all__ = ["CorpusError", "Engine", "Hit", "Passage", "Retriever", "count_lines", "read_jsonl"]

"""Distributed retrieval engine: OpenSearch (or Elasticsearch with the same REST API) for a corpus that
outgrows
one machine. Same contract as TantivyEngine (`add`, `search`, `count`); BM25 over an `english`-analyzed
`content` field, with the same "minimum matching terms" rule expressed as `minimum_should_match: "2<-50%"`.

The user's text goes into a `match` query, which analyzes it as plain text (no query-string syntax), so it
cannot
inject query operators. A server that is down or slow gives no results (logged), never an exception."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from toolset.retrieval.analysis import QUESTION_WORDS, has_word, query_terms
from toolset.retrieval.passage import Hit, Passage

log = logging.getLogger(__name__)
_QUESTION = frozenset(QUESTION_WORDS.split())
MAPPING = {
    "settings": {"index": {"similarity": {"default": {"type": "BM25", "k1": 1.2, "b": 0.75}}}},
    "mappings": {
        "properties": {
            "content": {"type": "text", "analyzer": "english"},
            "title": {"type": "text", "index": False},
            "text": {"type": "text", "index": False},
            "url": {"type": "keyword", "index": False},
        }
    },
}


def minimum_should_match(fraction: float) -> str:
    """tantivy engine's rule in OpenSearch syntax: all terms up to two, else at most (1-fraction) may be
    missing."""
    if fraction <= 0:
        return "1"
    return f"2<-{int(round(100 * (1 - fraction)))}%"


def search_body(query: str, *, limit: int, offset: int, min_match: float) -> dict[str, Any] | None:
    words = [w for w in query.split() if w.lower().strip("?!.,") not in _QUESTION][:32]
    if not has_word(query_terms(query)):  # same "is there anything to search" rule as the embedded engine
        return None
    match = {"query": " ".join(words), "minimum_should_match": minimum_should_match(min_match)}
    return {
        "query": {"match": {"content": match}},
        "from": offset,
        "size": limit,
        "_source": ["url", "title", "text"],
    }


class OpenSearchEngine:
    name = "opensearch"

    def __init__(
        self,
        url: str = "",
        *,
        index: str = "lamda-passages",
        min_match: float = 0.5,
        client=None,
        timeout: float = 5.0,
    ):
        if client is None:
            from opensearchpy import OpenSearch  # imported here: only this backend needs it

            client = OpenSearch(hosts=[url], timeout=timeout, max_retries=1, retry_on_timeout=False)
        self.client = client
        self.index = index
        self.min_match = min_match

    def create(self, *, replace: bool = False) -> None:
        exists = self.client.indices.exists(index=self.index)
        if exists and replace:
            self.client.indices.delete(index=self.index)
        if not exists or replace:
            self.client.indices.create(index=self.index, body=MAPPING)

    def add(
        self, passages: Iterable[Passage], *, progress: Callable[[int], None] | None = None, chunk: int = 1000
    ) -> int:
        from opensearchpy.helpers import bulk

        added = 0
        batch: list[dict] = []
        for passage in passages:
            content = f"{passage.title}\n{passage.text}"
            batch.append(
                {
                    "_index": self.index,
                    "_source": {
                        "content": content,
                        "title": passage.title,
                        "text": passage.text,
                        "url": passage.url,
                    },
                }
            )
            if len(batch) == chunk:
                added += self._flush(bulk, batch, progress)
        if batch:
            added += self._flush(bulk, batch, progress)
        self.client.indices.refresh(index=self.index)
        return added

    def _flush(self, bulk, batch: list[dict], progress) -> int:
        n, _ = bulk(self.client, batch, raise_on_error=True)
        if progress:
            progress(len(batch))
        batch.clear()
        return n

    def count(self) -> int:
        return int(self.client.count(index=self.index)["count"])

    def search(self, query: str, *, limit: int = 10, offset: int = 0) -> list[Hit]:
        body = search_body(query, limit=limit, offset=offset, min_match=self.min_match)
        if body is None or limit <= 0:
            return []
        try:
            answer = self.client.search(index=self.index, body=body)
        except Exception as exc:  # any transport / server error: logged here, raised so that the caller can tell
            log.warning("OpenSearch search failed: %s", exc)  # "down" from "nothing found" (Toolset.run catches it)
            raise
        hits = []
        for hit in answer.get("hits", {}).get("hits", []):
            src = hit.get("_source", {})
            passage = Passage(url=src.get("url", ""), title=src.get("title", ""), text=src.get("text", ""))
            hits.append(Hit(passage=passage, score=float(hit.get("_score") or 0.0)))
        return hits

    def terms(self, query: str) -> list[str]:
        return query_terms(query)

    def reload(self) -> None:
        """Nothing to do: the server serves the latest refreshed state."""

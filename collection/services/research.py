"""Writes of the groundedness workbench: research sessions and toolset queries, each logged with every result.

The toolset used here is built from settings (LAMDA_TOOLSET_*), read in this module and passed to the
pure-Python
`toolset` package as plain values; toolset/ itself never reads Django settings."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

import toolset
from collection.models import ResearchSession, ToolQuery, Turn
from collection.research_selectors import tool_query_repeat_count
from config.api_errors import ApplicationError, Conflict


@lru_cache(maxsize=4)
def _toolset_for(options: tuple) -> toolset.Toolset:
    return toolset.build_toolset(**dict(options))


def research_toolset() -> toolset.Toolset:
    """The platform's toolset. Settings (all optional but LAMDA_TOOLSET_INDEX): LAMDA_TOOLSET_INDEX (a tantivy
    index directory; the shipped demo corpus is used while it holds none), LAMDA_TOOLSET_OPENSEARCH_URL,
    LAMDA_TOOLSET_OPENSEARCH_INDEX, LAMDA_TOOLSET_TRANSLATOR_URL, LAMDA_TOOLSET_TRANSLATOR_API_KEY,
    LAMDA_TOOLSET_RESULTS_PER_QUERY. Cached per distinct configuration; an index built after this process
    started
    is picked up on the next query because whether it exists is part of the cache key."""
    index_dir = Path(settings.LAMDA_TOOLSET_INDEX)
    options = (
        ("index_dir", str(index_dir) if (index_dir / "meta.json").exists() else None),
        ("opensearch_url", getattr(settings, "LAMDA_TOOLSET_OPENSEARCH_URL", "")),
        ("opensearch_index", getattr(settings, "LAMDA_TOOLSET_OPENSEARCH_INDEX", "lamda-passages")),
        ("translator_url", getattr(settings, "LAMDA_TOOLSET_TRANSLATOR_URL", "")),
        ("translator_api_key", getattr(settings, "LAMDA_TOOLSET_TRANSLATOR_API_KEY", "")),
        ("results_per_query", int(getattr(settings, "LAMDA_TOOLSET_RESULTS_PER_QUERY", 3))),
    )
    return _toolset_for(options)


@transaction.atomic
def research_session_create(*, worker: AbstractBaseUser, turn_id: int | None = None) -> ResearchSession:
    """Open a research session, optionally about one turn of the worker's own chat."""
    turn = None
    if turn_id is not None:
        turn = Turn.objects.filter(pk=turn_id, session__worker=worker).first()
        if turn is None:
            raise ApplicationError(f"No turn {turn_id} in your chats.")
    return ResearchSession.objects.create(worker=worker, turn=turn)


@transaction.atomic
def research_session_close(*, session: ResearchSession) -> ResearchSession:
    """Close the session (idempotent); later queries are refused with 409."""
    if session.closed_at is None:
        session.closed_at = timezone.now()
        session.save(update_fields=["closed_at"])
    return session


@transaction.atomic
def research_query_run(*, session: ResearchSession, query: str) -> ToolQuery:
    """Run the toolset on `query` in `session` and log the query with every result.

    Lock: takes the session row with SELECT ... FOR UPDATE, so two concurrent asks of the same query in one
    session
    get repeat indexes 0 and 1 (and so different ranks), never both 0."""
    text = toolset.clean_query(query, max_chars=toolset.MAX_QUERY_CHARS)
    if not text:
        raise ApplicationError(
            f"The query must be 1 to {toolset.MAX_QUERY_CHARS} characters of text.", extra={"field": "query"}
        )
    locked = ResearchSession.objects.select_for_update().get(pk=session.pk)
    if locked.closed_at is not None:
        raise Conflict("This research session is closed.")
    repeat = tool_query_repeat_count(session=locked, query=text)
    started = time.perf_counter()
    results = research_toolset().run(text, repeat=repeat)
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    return ToolQuery.objects.create(
        session=locked,
        query=text,
        repeat_index=repeat,
        results=[r.as_dict() for r in results],
        elapsed_ms=elapsed_ms,
    )

"""Writes of the groundedness workbench: research sessions and toolset queries, each logged with every result.

The toolset used here is built from settings (LAMDA_TOOLSET_*), read in this module and passed to the
pure-Python
`toolset` package as plain values; toolset/ itself never reads Django settings."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

import toolset
from collection.models import ResearchSession, ResearchTask, ToolQuery, Turn
from collection.research_selectors import corpus_index_current, tool_query_repeat_count
from config.api_errors import ApplicationError, Conflict, Unavailable

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _toolset_for(options: tuple) -> toolset.Toolset:
    return toolset.build_toolset(**dict(options))


@dataclass(frozen=True)
class ToolsetSource:
    toolset: toolset.Toolset
    label: str  # which retrieval index (and build) serves the queries, as the workbench shows it


def research_toolset() -> toolset.Toolset:
    return research_toolset_source().toolset


def research_toolset_source() -> ToolsetSource:
    """The platform's toolset and the retrieval index it reads. Retrieval: OpenSearch when
    LAMDA_TOOLSET_OPENSEARCH_URL is set; else the newest ready CorpusIndex build (admin or `toolset_index
    --record`); else a tantivy index in LAMDA_TOOLSET_INDEX; else the shipped demo corpus. Other settings:
    LAMDA_TOOLSET_TRANSLATOR_URL, LAMDA_TOOLSET_TRANSLATOR_API_KEY, LAMDA_TOOLSET_RESULTS_PER_QUERY. Cached per
    distinct configuration, so a new build is picked up on the next query. A ready build whose folder is gone ->
    Unavailable (503) with a plain message (the admin sees the path in the log)."""
    opensearch = getattr(settings, "LAMDA_TOOLSET_OPENSEARCH_URL", "")
    index_dir, label = None, "demo corpus (shipped with the platform)"
    build = None if opensearch else corpus_index_current()
    if opensearch:
        label = f"OpenSearch index {getattr(settings, 'LAMDA_TOOLSET_OPENSEARCH_INDEX', 'lamda-passages')}"
    elif build is not None:
        if not (Path(build.index_dir) / "meta.json").exists():
            logger.error("corpus index %s: folder %s holds no index", build.label, build.index_dir)
            raise Unavailable(
                gettext("The search index is not available right now. Try again later; your work is kept.")
            )
        if not build.total:
            raise Unavailable(gettext("The search index holds no passages yet. Try again later; your work is kept."))
        index_dir, label = build.index_dir, f"{build.label} ({build.total} passages)"
    else:
        configured = Path(settings.LAMDA_TOOLSET_INDEX)
        if (configured / "meta.json").exists():
            index_dir, label = str(configured), f"index {configured.name}"
    options = (
        ("index_dir", index_dir),
        ("opensearch_url", opensearch),
        ("opensearch_index", getattr(settings, "LAMDA_TOOLSET_OPENSEARCH_INDEX", "lamda-passages")),
        ("translator_url", getattr(settings, "LAMDA_TOOLSET_TRANSLATOR_URL", "")),
        ("translator_api_key", getattr(settings, "LAMDA_TOOLSET_TRANSLATOR_API_KEY", "")),
        ("results_per_query", int(getattr(settings, "LAMDA_TOOLSET_RESULTS_PER_QUERY", 3))),
    )
    return ToolsetSource(toolset=_toolset_for(options), label=label)


@transaction.atomic
def research_session_create(*, worker: AbstractBaseUser, turn_id: int | None = None) -> ResearchSession:
    """Open a research session, optionally about one turn of the worker's own chat."""
    turn = None
    if turn_id is not None:
        turn = Turn.objects.filter(pk=turn_id, session__worker=worker).first()
        if turn is None:
            raise ApplicationError(gettext("No turn %(n)s in your chats.") % {"n": turn_id})
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
            gettext("The query must be 1 to %(n)s characters of text.") % {"n": toolset.MAX_QUERY_CHARS},
            extra={"field": "query"},
        )
    locked = ResearchSession.objects.select_for_update().get(pk=session.pk)
    if locked.closed_at is not None:
        raise Conflict(gettext("This research session is closed."))
    if locked.task_id is not None:
        research_task_check_open(task_id=locked.task_id, worker_id=locked.worker_id)
    source = research_toolset_source()
    repeat = tool_query_repeat_count(session=locked, query=text)
    started = time.perf_counter()
    failed: list[str] = []
    results = source.toolset.run(text, repeat=repeat, failed=failed)
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    if "retrieval" in failed:  # nothing is logged: the worker saw no results, and asking again gets the same rank
        raise Unavailable(gettext("Search is not available right now. Try again in a moment; your work is kept."))
    return ToolQuery.objects.create(
        session=locked,
        query=text,
        repeat_index=repeat,
        results=_ranked(results, first_rank=repeat * source.toolset.results_per_query + 1),
        index_label=source.label[:300],
        elapsed_ms=elapsed_ms,
    )


def _ranked(results: list, *, first_rank: int) -> list[dict]:
    """The results as logged: each retrieval result gets its rank (the toolset's next-ranked results on a repeat)."""
    out, rank = [], first_rank
    for r in results:
        row = r.as_dict()
        if r.tool == "retrieval":
            row["rank"], rank = rank, rank + 1
        out.append(row)
    return out


def research_task_check_open(*, task_id: int, worker_id: int) -> None:
    """A workbench query is refused once the task is finished or another researcher holds its live lease."""
    task = ResearchTask.objects.filter(pk=task_id).values("status", "worker_id", "lease_expires_at").get()
    if task["status"] == ResearchTask.Status.DONE:
        raise Conflict(gettext("This task is finished: its outcome was submitted."))
    lease = task["lease_expires_at"]
    if task["worker_id"] != worker_id and lease is not None and lease > timezone.now():
        raise Conflict(gettext("Another researcher has this task now; ask for your next task. Your draft is saved."))


def check_session_open(*, worker: AbstractBaseUser, turn_id: int) -> ResearchSession:
    """The rater's research session for checking a reply's claims on a rating page, made on first use."""
    from collection.research_selectors import check_session_for

    return check_session_for(worker=worker, turn_id=turn_id) or ResearchSession.objects.create(
        worker=worker, turn_id=turn_id
    )

"""Corpus index builds (docs/groundedness.md): an admin (or `manage.py toolset_index --record NAME`) indexes a JSONL
corpus into a new tantivy folder beside LAMDA_TOOLSET_INDEX; the build records its progress for the admin's bar,
and once ready it is what the workbench's retrieval reads (collection/services/research.py). A failed build
leaves the previous one in use."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from collection.models import CorpusIndex
from config.api_errors import ApplicationError
from toolset.indexing import index_corpus
from toolset.retrieval import CorpusError

logger = logging.getLogger(__name__)


def builds_root() -> Path:
    base = Path(settings.LAMDA_TOOLSET_INDEX)
    return base.with_name(base.name + "-builds")


def corpus_path_problem(path: str) -> str | None:
    """Why a corpus path cannot be indexed, in a sentence, or None."""
    if not path or not os.path.isabs(path):
        return "Give the absolute path of a JSONL corpus file on the server (one {url, title, text} per line)."
    if not os.path.isfile(path):
        return f"There is no file at {path}."
    if not os.access(path, os.R_OK):
        return f"The server cannot read {path}."
    return None


def corpus_index_create(*, name: str, corpus_path: str) -> CorpusIndex:
    problem = corpus_path_problem(corpus_path)
    if problem:
        raise ApplicationError(problem, extra={"field": "corpus_path"})
    build = CorpusIndex.objects.create(name=name, corpus_path=corpus_path)
    build.index_dir = str(builds_root() / f"{build.pk}-{name}")
    build.save(update_fields=["index_dir"])
    return build


def corpus_index_queue(*, name: str, corpus_path: str) -> CorpusIndex:
    """Record a build and queue its job once the row is committed."""
    from collection.jobs import build_corpus_index  # jobs import services

    with transaction.atomic():
        build = corpus_index_create(name=name, corpus_path=corpus_path)
    try:
        build_corpus_index.delay(build.pk)
    except Exception as exc:  # broker down: the build stays queued and says so
        CorpusIndex.objects.filter(pk=build.pk).update(
            status=CorpusIndex.Status.FAILED, error="The job queue could not be reached; add the build again."
        )
        logger.warning("could not queue corpus index %s (%s: %s)", build.pk, type(exc).__name__, exc)
    return build


def corpus_index_build(*, index_id: int, progress_stream=None) -> CorpusIndex:
    """Run one build (idempotent for a build that is already ready); progress is written at most twice a second."""
    build = CorpusIndex.objects.get(pk=index_id)
    if build.status == CorpusIndex.Status.READY:
        return build
    CorpusIndex.objects.filter(pk=index_id).update(
        status=CorpusIndex.Status.RUNNING, started_at=timezone.now(), error="", done=0
    )
    last = [0.0]

    def record(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or done == total:
            last[0] = now
            CorpusIndex.objects.filter(pk=index_id).update(done=done, total=total)

    try:
        report = index_corpus(
            build.corpus_path,
            index_dir=build.index_dir,
            replace=True,
            progress=progress_stream is not None,
            stream=progress_stream,
            on_progress=record,
        )
    except (CorpusError, OSError, ValueError) as exc:
        return _failed(build, str(exc))
    if report.total_in_index == 0:  # an empty build would leave the workbench finding nothing, silently
        return _failed(build, f"{build.corpus_path} holds no passages (one {{url, title, text}} object per line).")
    CorpusIndex.objects.filter(pk=index_id).update(
        status=CorpusIndex.Status.READY, done=report.passages, total=report.total_in_index, finished_at=timezone.now()
    )
    build.refresh_from_db()
    return build


def _failed(build: CorpusIndex, why: str):
    CorpusIndex.objects.filter(pk=build.pk).update(
        status=CorpusIndex.Status.FAILED, error=why[:2000], finished_at=timezone.now()
    )
    raise ApplicationError(f"Indexing {build.label} failed: {why}")

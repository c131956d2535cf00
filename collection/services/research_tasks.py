"""The groundedness workbench's task flow (docs/groundedness.md): research tasks made from claim checks, leased to
one researcher at a time (never the chatter), autosaved drafts that renew the lease, and the submitted outcome with
citations checked against what the toolset returned in that research session.

Lock order: task row, then research session row (research_query_run takes only the session row)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from collection.citations import citations_in
from collection.models import Campaign, Citation, ResearchSession, ResearchTask, ResultMark, Rewrite, ToolQuery, Turn
from collection.signals import research_task_completed
from config.api_errors import ApplicationError, Conflict, NotFound


def lease_seconds() -> int:
    return int(getattr(settings, "LAMDA_RESEARCH_LEASE_SECONDS", 1800))


def max_rewrite_chars() -> int:
    return int(getattr(settings, "LAMDA_MAX_REWRITE_CHARS", 4000))


def research_tasks_create(*, turns: Iterable[tuple[int, int, int]]) -> int:
    """One open task per (campaign id, turn id, chatter id); a turn that has one already gets none (idempotent)."""
    rows = [ResearchTask(campaign_id=c, turn_id=t, chatter_id=w) for c, t, w in turns]
    return len(ResearchTask.objects.bulk_create(rows, ignore_conflicts=True)) if rows else 0


@dataclass(frozen=True)
class Claimed:
    task: ResearchTask
    session: ResearchSession
    resumed: bool


@transaction.atomic
def research_task_claim(*, campaign: Campaign, worker: AbstractBaseUser) -> Claimed | None:
    """The worker's live task in this campaign if they hold one, else the oldest open task whose lease is free
    (never one of their own chats), leased for LAMDA_RESEARCH_LEASE_SECONDS; None when there is none. The worker
    gets one research session per task: coming back to a task they held before continues its log and draft."""
    now = timezone.now()
    held = (
        ResearchTask.objects.select_for_update()
        .filter(campaign=campaign, status=ResearchTask.Status.OPEN, worker=worker, lease_expires_at__gt=now)
        .first()
    )
    resumed = held is not None
    task = held or (
        ResearchTask.objects.select_for_update(skip_locked=True)
        .filter(campaign=campaign, status=ResearchTask.Status.OPEN)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
        .exclude(chatter=worker)
        .order_by("id")
        .first()
    )
    if task is None:
        return None
    task.worker, task.lease_expires_at = worker, now + timedelta(seconds=lease_seconds())
    task.save(update_fields=["worker", "lease_expires_at"])
    session, _ = ResearchSession.objects.get_or_create(task=task, worker=worker, defaults={"turn_id": task.turn_id})
    return Claimed(task=task, session=session, resumed=resumed)


def workbench_session_get(*, session_id: int, worker: AbstractBaseUser) -> ResearchSession:
    session = ResearchSession.objects.select_related("task").filter(pk=session_id, worker=worker).first()
    if session is None or session.task_id is None:
        raise NotFound(gettext("No research task session %(n)s of yours.") % {"n": session_id})
    return session


def _locked_task(session: ResearchSession, worker: AbstractBaseUser, now) -> ResearchTask:
    """The session's task, locked, unless it is finished or another researcher holds a live lease on it (then a
    clear 409). A lease of the worker's that ran out while nobody took the task lets them carry on."""
    task = ResearchTask.objects.select_for_update().get(pk=session.task_id)
    if task.status == ResearchTask.Status.DONE:
        raise Conflict(gettext("This task is finished: its outcome was submitted."))
    if task.worker_id != worker.pk and task.lease_expires_at is not None and task.lease_expires_at > now:
        raise Conflict(
            gettext(
                "Your time on this task ran out and another researcher has it now. Your draft is saved with your "
                "research session; ask for your next task."
            )
        )
    return task


def _check_rewrite(text: str, *, required: bool) -> str:
    if not isinstance(text, str):
        raise ApplicationError(gettext("The rewrite must be text."), extra={"field": "text"})
    text = text.replace("\x00", "").strip()
    if len(text) > max_rewrite_chars():
        raise ApplicationError(
            gettext("The rewrite is %(n)s characters; the limit is %(limit)s.")
            % {"n": len(text), "limit": max_rewrite_chars()},
            extra={"field": "text"},
        )
    if required and not text:
        raise ApplicationError(
            gettext("Write the rewritten reply first (it cannot be empty)."), extra={"field": "text"}
        )
    return text


class DraftSavedButRefused(Conflict):
    """409 after the draft was written and committed: the lease went to another researcher."""


def research_draft_save(*, session: ResearchSession, worker: AbstractBaseUser, text: str) -> ResearchSession:
    """Autosave: store the draft in the worker's session and renew the lease. A draft too long is refused (400)
    and the saved one stays; when the lease went to someone else the draft is still saved (committed), then
    DraftSavedButRefused (409) says so."""
    refusal: DraftSavedButRefused | None = None

    @transaction.atomic
    def save() -> ResearchSession:
        nonlocal refusal
        text_clean = _check_rewrite(text, required=False)
        now = timezone.now()
        locked = ResearchSession.objects.select_for_update().get(pk=session.pk)
        locked.draft, locked.draft_saved_at = text_clean, now
        locked.save(update_fields=["draft", "draft_saved_at"])
        try:
            task = _locked_task(session, worker, now)
        except Conflict as exc:
            refusal = DraftSavedButRefused(exc.message)
            return locked
        task.worker, task.lease_expires_at = worker, now + timedelta(seconds=lease_seconds())
        task.save(update_fields=["worker", "lease_expires_at"])
        return locked

    saved = save()
    if refusal is not None:
        raise refusal
    return saved


def result_mark_set(*, session: ResearchSession, query_id: int, position: int, stance: str, claim: str = "") -> None:
    """Mark (or unmark, stance "") one returned result as supporting or refuting a claim."""
    query = ToolQuery.objects.filter(pk=query_id, session=session).first()
    if query is None:
        raise NotFound(gettext("No query %(n)s in this research session.") % {"n": query_id})
    if not 0 <= position < len(query.results):
        raise ApplicationError(
            gettext("Query %(q)s has no result at position %(n)s.") % {"q": query_id, "n": position},
            extra={"field": "position"},
        )
    if stance == "":
        ResultMark.objects.filter(query=query, position=position).delete()
        return
    if stance not in ResultMark.Stance.values:
        raise ApplicationError(gettext("Mark a result supports or refutes."), extra={"field": "stance"})
    ResultMark.objects.update_or_create(
        query=query, position=position, defaults={"stance": stance, "claim": str(claim or "")[:500]}
    )


def _returned_results(session: ResearchSession) -> dict[str, tuple[ToolQuery, dict]]:
    """url -> (query, result) for every retrieval result returned in this session (first time it came back)."""
    returned: dict[str, tuple[ToolQuery, dict]] = {}
    for query in session.queries.order_by("created_at", "id"):
        for result in query.results:
            url = result.get("url") or ""
            if url and url not in returned:
                returned[url] = (query, result)
    return returned


@transaction.atomic
def research_outcome_submit(
    *, session: ResearchSession, worker: AbstractBaseUser, outcome: str, text: str = ""
) -> Rewrite:
    """Finish the task: "rewritten" (the rewrite, every cited URL one the toolset returned to this worker in this
    session, each stored with a snapshot of its result), "no_change" or "cannot_ground" (the original reply is
    kept as the text). Sends research_task_completed (annotation makes the correct / incorrect item)."""
    if outcome not in Rewrite.Outcome.values:
        raise ApplicationError(
            gettext("The outcome must be one of %(choices)s.") % {"choices": ", ".join(Rewrite.Outcome.values)},
            extra={"field": "outcome"},
        )
    rewritten = outcome == Rewrite.Outcome.REWRITTEN
    clean = _check_rewrite(text, required=rewritten)
    now = timezone.now()
    task = _locked_task(session, worker, now)
    locked = ResearchSession.objects.select_for_update().get(pk=session.pk)
    turn = Turn.objects.get(pk=task.turn_id)
    cited = citations_in(clean) if rewritten else []
    returned = _returned_results(locked)
    unknown = [c.url for c in cited if c.url not in returned]
    if unknown:
        raise ApplicationError(
            gettext(
                "You cite %(url)s, which the search did not return to you in this task. Cite only results shown "
                "on this page."
            )
            % {"url": unknown[0]},
            extra={"field": "text"},
        )
    rewrite = Rewrite.objects.create(
        task=task, session=locked, worker=worker, outcome=outcome, text=clean if rewritten else turn.text
    )
    Citation.objects.bulk_create(
        Citation(
            rewrite=rewrite,
            position=i,
            url=c.url,
            anchor=c.anchor,
            query=returned[c.url][0],
            title=returned[c.url][1].get("title", ""),
            snippet=returned[c.url][1].get("snippet") or returned[c.url][1].get("text", ""),
        )
        for i, c in enumerate(cited)
    )
    task.status, task.worker, task.completed_at = ResearchTask.Status.DONE, worker, now
    task.save(update_fields=["status", "worker", "completed_at"])
    locked.closed_at, locked.draft, locked.draft_saved_at = now, clean, now
    locked.save(update_fields=["closed_at", "draft", "draft_saved_at"])
    research_task_completed.send(sender=Rewrite, rewrite=rewrite)
    return rewrite

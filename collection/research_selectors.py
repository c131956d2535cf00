"""Reads of research sessions and their logged toolset queries (groundedness workbench)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from collection.models import Campaign, CorpusIndex, ResearchSession, ResearchTask, ToolQuery, Turn
from config.api_errors import NotFound


def research_session_get(*, session_id: int, worker: AbstractBaseUser) -> ResearchSession:
    """The worker's own research session; NotFound for a missing one AND for another worker's (no existence
    leak)."""
    session = ResearchSession.objects.filter(pk=session_id, worker=worker).first()
    if session is None:
        raise NotFound(gettext("No research session %(n)s of yours.") % {"n": session_id})
    return session


def tool_query_list(*, session: ResearchSession) -> QuerySet[ToolQuery]:
    """Every query of the session in the order it was asked."""
    return session.queries.order_by("created_at", "id")


def tool_query_repeat_count(*, session: ResearchSession, query: str) -> int:
    """How many times `query` (already cleaned) was asked before in this session, ignoring case."""
    return session.queries.filter(query__iexact=query).count()


def corpus_index_current() -> CorpusIndex | None:
    """The newest ready corpus index build (what the workbench's retrieval reads), or None."""
    return CorpusIndex.objects.filter(status=CorpusIndex.Status.READY).order_by("-finished_at", "-id").first()


@dataclass(frozen=True)
class LoggedResult:
    position: int
    rank: int  # the retrieval rank (continues with each repeat of the query); 0 for calculator / translator
    tool: str
    title: str
    url: str
    snippet: str
    text: str
    mark: str  # "supports" / "refutes" / ""
    claim: str


@dataclass(frozen=True)
class LoggedQuery:
    id: int
    query: str
    repeat_index: int
    created_at: object
    index_label: str
    results: list[LoggedResult]


@dataclass(frozen=True)
class Workbench:
    session: ResearchSession
    task: ResearchTask
    context: list[Turn]  # the dialog before the reply, oldest first
    reply: Turn
    queries: list[LoggedQuery]

    @property
    def draft(self) -> str:
        return self.session.draft or self.reply.text


def logged_queries(*, session: ResearchSession) -> list[LoggedQuery]:
    """Every query of the session in order, each result with its rank in the toolset's order and its mark."""
    queries = list(tool_query_list(session=session).prefetch_related("marks"))
    out = []
    for q in queries:
        marks = {m.position: m for m in q.marks.all()}
        results = []
        for i, r in enumerate(q.results):
            mark = marks.get(i)
            results.append(
                LoggedResult(
                    position=i,
                    rank=r.get("rank") or 0,
                    tool=r.get("tool", ""),
                    title=r.get("title", ""),
                    url=r.get("url", ""),
                    snippet=r.get("snippet") or r.get("text", ""),
                    text=r.get("text", ""),
                    mark=mark.stance if mark else "",
                    claim=mark.claim if mark else "",
                )
            )
        out.append(LoggedQuery(q.pk, q.query, q.repeat_index, q.created_at, q.index_label, results))
    return out


def workbench_get(*, session: ResearchSession) -> Workbench:
    task = ResearchTask.objects.select_related("turn").get(pk=session.task_id)
    reply = task.turn
    context = list(Turn.objects.filter(session_id=reply.session_id, index__lt=reply.index).order_by("index"))
    return Workbench(session=session, task=task, context=context, reply=reply, queries=logged_queries(session=session))


def research_queues_for(worker) -> list[dict]:
    """Open groundedness campaigns with how many research tasks this worker could take now (not from their own
    chats, not held by someone else) and whether they hold one."""
    now = timezone.now()
    free = Q(research_tasks__lease_expires_at__isnull=True) | Q(research_tasks__lease_expires_at__lte=now)
    rows = (
        Campaign.objects.filter(is_active=True, kind=Campaign.Kind.GROUNDEDNESS)
        .annotate(
            waiting=Count(
                "research_tasks",
                filter=Q(research_tasks__status="open") & free & ~Q(research_tasks__chatter=worker),
            ),
            mine=Count(
                "research_tasks",
                filter=Q(research_tasks__status="open", research_tasks__worker=worker)
                & Q(research_tasks__lease_expires_at__gt=now),
            ),
        )
        .order_by("name")
    )
    return [{"slug": c.slug, "name": c.name, "waiting": c.waiting, "mine": c.mine > 0} for c in rows]


def check_session_for(*, worker, turn_id: int) -> ResearchSession | None:
    """A rater's own research session for checking one reply's claims on a rating page (no task)."""
    return ResearchSession.objects.filter(worker=worker, turn_id=turn_id, task__isnull=True).order_by("id").first()

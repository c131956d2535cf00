"""Reads of research sessions and their logged toolset queries (groundedness workbench)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from collection.models import ResearchSession, ToolQuery
from config.api_errors import NotFound


def research_session_get(*, session_id: int, worker: AbstractBaseUser) -> ResearchSession:
    """The worker's own research session; NotFound for a missing one AND for another worker's (no existence
    leak)."""
    session = ResearchSession.objects.filter(pk=session_id, worker=worker).first()
    if session is None:
        raise NotFound(f"No research session {session_id} of yours.")
    return session


def tool_query_list(*, session: ResearchSession) -> QuerySet[ToolQuery]:
    """Every query of the session in the order it was asked."""
    return session.queries.order_by("created_at", "id")


def tool_query_repeat_count(*, session: ResearchSession, query: str) -> int:
    """How many times `query` (already cleaned) was asked before in this session, ignoring case."""
    return session.queries.filter(query__iexact=query).count()

"""Research-task API (the groundedness workbench for scripts, docs/groundedness.md): claim a task, autosave the
draft, mark results, submit the outcome. Queries go through the research-session query endpoint. One small APIView
per operation; each validates, calls one service, and serializes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collection.models import ResultMark, Rewrite
from collection.research_selectors import workbench_get
from collection.selectors import campaign_get
from collection.services.research_tasks import (
    max_rewrite_chars,
    research_draft_save,
    research_outcome_submit,
    research_task_claim,
    result_mark_set,
    workbench_session_get,
)
from config.api_errors import error_responses


class ResearchTaskOutput(serializers.Serializer):
    task_id = serializers.IntegerField(source="task.pk")
    session_id = serializers.IntegerField(source="session.pk")
    lease_expires_at = serializers.DateTimeField(source="task.lease_expires_at")
    context = serializers.SerializerMethodField(help_text="the dialog before the reply, oldest first")
    reply = serializers.CharField(source="reply.text", help_text="the model reply to check")
    draft = serializers.CharField()

    def get_context(self, bench) -> list[dict]:
        return [{"speaker": t.speaker, "text": t.text} for t in bench.context]


class ResearchClaimInput(serializers.Serializer):
    campaign = serializers.SlugField()


class ResearchDraftInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=max_rewrite_chars())


class ResearchDraftOutput(serializers.Serializer):
    draft_saved_at = serializers.DateTimeField()


class ResearchMarkInput(serializers.Serializer):
    query_id = serializers.IntegerField(min_value=1)
    position = serializers.IntegerField(min_value=0)
    stance = serializers.ChoiceField(choices=[*ResultMark.Stance.values, ""], help_text='"" removes the mark')
    claim = serializers.CharField(allow_blank=True, required=False, max_length=500)


class ResearchOutcomeInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Rewrite.Outcome.values)
    text = serializers.CharField(allow_blank=True, required=False, trim_whitespace=False)


class ResearchCitationOutput(serializers.Serializer):
    url = serializers.CharField()
    anchor = serializers.CharField()
    title = serializers.CharField()
    snippet = serializers.CharField()
    query_id = serializers.IntegerField()


class ResearchRewriteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.CharField()
    text = serializers.CharField()
    citations = ResearchCitationOutput(many=True)


class ResearchTaskClaimApi(APIView):
    @extend_schema(
        request=ResearchClaimInput,
        responses={200: ResearchTaskOutput, 204: None, **error_responses(400, 404)},
        summary="Take the next research task of a groundedness campaign (or the one you hold); 204 when none",
    )
    def post(self, request: Request) -> Response:
        data = ResearchClaimInput(data=request.data)
        data.is_valid(raise_exception=True)
        claimed = research_task_claim(campaign=campaign_get(slug=data.validated_data["campaign"]), worker=request.user)
        if claimed is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ResearchTaskOutput(workbench_get(session=claimed.session)).data)


class ResearchDraftApi(APIView):
    @extend_schema(
        request=ResearchDraftInput,
        responses={200: ResearchDraftOutput, **error_responses(400, 404, 409)},
        summary="Autosave the rewrite draft (renews the lease; 409 when the task went to someone else, draft kept)",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = workbench_session_get(session_id=session_id, worker=request.user)
        data = ResearchDraftInput(data=request.data)
        data.is_valid(raise_exception=True)
        saved = research_draft_save(session=session, worker=request.user, text=data.validated_data["text"])
        return Response(ResearchDraftOutput(saved).data)


class ResearchMarkApi(APIView):
    @extend_schema(
        request=ResearchMarkInput,
        responses={204: None, **error_responses(400, 404)},
        summary="Mark a returned result as supporting or refuting a claim",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = workbench_session_get(session_id=session_id, worker=request.user)
        data = ResearchMarkInput(data=request.data)
        data.is_valid(raise_exception=True)
        result_mark_set(session=session, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResearchOutcomeApi(APIView):
    @extend_schema(
        request=ResearchOutcomeInput,
        responses={201: ResearchRewriteOutput, **error_responses(400, 404, 409)},
        summary="Submit the outcome: a rewrite with citations (URLs returned in this session only), no_change, or "
        "cannot_ground",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = workbench_session_get(session_id=session_id, worker=request.user)
        data = ResearchOutcomeInput(data=request.data)
        data.is_valid(raise_exception=True)
        rewrite = research_outcome_submit(
            session=session,
            worker=request.user,
            outcome=data.validated_data["outcome"],
            text=data.validated_data.get("text", ""),
        )
        return Response(ResearchRewriteOutput(rewrite).data, status=status.HTTP_201_CREATED)

"""Research (groundedness workbench) API: one small APIView per operation; each validates, calls one service
or
selector, and serializes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import toolset
from collection.research_selectors import research_session_get, tool_query_list
from collection.services.research import research_query_run, research_session_close, research_session_create
from config.api_errors import error_responses


class ResearchSessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    turn_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class ToolResultOutput(serializers.Serializer):
    tool = serializers.CharField()
    text = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    snippet = serializers.CharField(allow_blank=True, required=False)
    rank = serializers.IntegerField(required=False, help_text="retrieval results: rank (continues on a repeat)")


class ToolQueryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    query = serializers.CharField()
    repeat_index = serializers.IntegerField()
    results = ToolResultOutput(many=True)
    index_label = serializers.CharField(allow_blank=True, help_text="the retrieval index (and build) that served it")
    elapsed_ms = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class ResearchSessionCreateInput(serializers.Serializer):
    turn_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class ResearchQueryRunInput(serializers.Serializer):
    query = serializers.CharField(max_length=toolset.MAX_QUERY_CHARS, trim_whitespace=True)


class ResearchSessionCreateApi(APIView):
    InputSerializer = ResearchSessionCreateInput

    @extend_schema(
        request=InputSerializer,
        responses={201: ResearchSessionOutput, **error_responses(400)},
        summary="Open a research session",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = research_session_create(worker=request.user, turn_id=data.validated_data.get("turn_id"))
        return Response(ResearchSessionOutput(session).data, status=status.HTTP_201_CREATED)


class ResearchSessionCloseApi(APIView):
    @extend_schema(
        request=None, responses={200: ResearchSessionOutput, **error_responses(404)}, summary="Close a research session"
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = research_session_get(session_id=session_id, worker=request.user)
        return Response(ResearchSessionOutput(research_session_close(session=session)).data)


class ResearchQueryRunApi(APIView):
    InputSerializer = ResearchQueryRunInput

    @extend_schema(
        request=InputSerializer,
        responses={201: ToolQueryOutput, **error_responses(400, 404, 409)},
        summary="Run the toolset (calculator, translator, retrieval) and log the query with its results",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = research_session_get(session_id=session_id, worker=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        logged = research_query_run(session=session, query=data.validated_data["query"])
        return Response(ToolQueryOutput(logged).data, status=status.HTTP_201_CREATED)


class ResearchQueryListApi(APIView):
    @extend_schema(
        responses={200: ToolQueryOutput(many=True), **error_responses(404)}, summary="Every query of a research session"
    )
    def get(self, request: Request, session_id: int) -> Response:
        session = research_session_get(session_id=session_id, worker=request.user)
        return Response(ToolQueryOutput(tool_query_list(session=session), many=True).data)

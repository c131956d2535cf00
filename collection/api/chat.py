"""Chat API: one small view per worker action. Views validate, call one service or selector, serialize."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from collection import selectors
from collection.api.chat_serializers import (
    ChatCampaignSerializer,
    ChatSessionDetailSerializer,
    ChatSessionSerializer,
    ConsentSerializer,
    FlagInputSerializer,
    FlagOutputSerializer,
    MessageInputSerializer,
    MessageOutputSerializer,
)
from collection.services.chat import ModelUnavailable, message_send, reply_retry
from collection.services.chat_session import session_finish, session_start
from collection.services.consent import consent_accept
from collection.services.flags import turn_flag
from config.api_errors import BAD_INPUT, ERROR, ErrorSerializer

TAGS = ["chat"]
ERR = ERROR
MODEL_DOWN = OpenApiResponse(ErrorSerializer, description="model unavailable; the message is kept, POST retry")


class CampaignListApi(APIView):
    @extend_schema(tags=TAGS, operation_id="chat_campaigns_list", responses=ChatCampaignSerializer(many=True))
    def get(self, request):
        """Campaigns open to me, with whether I consented and my active session (to resume)."""
        campaigns = selectors.campaigns_open_for(request.user)
        return Response(ChatCampaignSerializer(campaigns, many=True, context={"user": request.user}).data)


class ConsentAcceptApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_consent_accept",
        request=None,
        responses={201: ConsentSerializer, 404: ERR},
    )
    def post(self, request, slug: str):
        """Accept the campaign's consent (after reading its instructions). Idempotent."""
        consent = consent_accept(campaign=selectors.campaign_get(slug=slug), worker=request.user)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class SessionStartApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_session_start",
        request=None,
        responses={201: ChatSessionDetailSerializer, 200: ChatSessionDetailSerializer, 403: ERR, 404: ERR},
    )
    def post(self, request, slug: str):
        """Start a chat session, or resume my active one in this campaign (200 when resumed)."""
        session, created = session_start(campaign=selectors.campaign_get(slug=slug), worker=request.user)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ChatSessionDetailSerializer(session).data, status=code)


class SessionDetailApi(APIView):
    @extend_schema(tags=TAGS, operation_id="chat_session_get", responses={200: ChatSessionDetailSerializer, 404: ERR})
    def get(self, request, session_id: int):
        """One of my sessions with all its turns."""
        session = selectors.session_get(session_id, worker=request.user)
        return Response(ChatSessionDetailSerializer(session).data)


def _model_unavailable(exc: ModelUnavailable, session_id: int) -> ModelUnavailable:
    exc.extra["retry_url"] = reverse("collection_api:chat-session-retry", args=[session_id])
    return exc


class MessageSendApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_message_send",
        request=MessageInputSerializer,
        responses={
            201: MessageOutputSerializer,
            200: OpenApiResponse(MessageOutputSerializer, description="replay of an earlier client_message_id"),
            400: BAD_INPUT,
            404: ERR,
            409: ERR,
            502: MODEL_DOWN,
            503: MODEL_DOWN,
        },
    )
    def post(self, request, session_id: int):
        """Send a message; the answer holds my stored turn and the model's reply."""
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = message_send(session_id=session_id, worker=request.user, **data.validated_data)
        except ModelUnavailable as exc:
            raise _model_unavailable(exc, session_id) from None
        code = status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED
        return Response(MessageOutputSerializer(result).data, status=code)


class ReplyRetryApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_reply_retry",
        request=None,
        responses={201: MessageOutputSerializer, 404: ERR, 409: ERR, 502: MODEL_DOWN, 503: MODEL_DOWN},
    )
    def post(self, request, session_id: int):
        """Regenerate the model's missing reply to my last message (after a 502/503)."""
        try:
            result = reply_retry(session_id=session_id, worker=request.user)
        except ModelUnavailable as exc:
            raise _model_unavailable(exc, session_id) from None
        return Response(MessageOutputSerializer(result).data, status=status.HTTP_201_CREATED)


class SessionFinishApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_session_finish",
        request=None,
        responses={200: ChatSessionSerializer, 400: ERR, 404: ERR, 409: ERR},
    )
    def post(self, request, session_id: int):
        """Finish my chat (400 with turns_remaining before the campaign's minimum)."""
        session = session_finish(session_id=session_id, worker=request.user)
        return Response(ChatSessionSerializer(session).data)


class TurnFlagApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_turn_flag",
        request=FlagInputSerializer,
        responses={201: FlagOutputSerializer, 400: BAD_INPUT, 404: ERR, 409: ERR},
    )
    def post(self, request, session_id: int, turn_index: int):
        """Flag one of the model's replies in my active safety chat (reason: harmful, incomprehensible,
        misinformation, unfair_bias, other + note); again replaces it. In adversarial mode a reply flagged unsafe by
        the 5th exchange ends the chat there."""
        data = FlagInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = turn_flag(session_id=session_id, worker=request.user, turn_index=turn_index, **data.validated_data)
        session = selectors.session_get(session_id, worker=request.user)
        return Response(FlagOutputSerializer({"flag": flag, "session": session}).data, status=status.HTTP_201_CREATED)

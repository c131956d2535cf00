"""Input and output serializers of the chat API (named uniquely: they become OpenAPI components)."""

from rest_framework import serializers

from collection import selectors
from collection.models import ChatSession, Turn


class ChatCampaignSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    kind = serializers.CharField()
    mode = serializers.CharField(help_text="safety: natural, sensitive or adversarial")
    instructions = serializers.CharField()
    consent_text = serializers.CharField()
    min_turns = serializers.IntegerField()
    max_turns = serializers.IntegerField()
    consent_given = serializers.SerializerMethodField()
    active_session = serializers.SerializerMethodField()

    def get_consent_given(self, campaign) -> bool:
        return selectors.consent_given(user=self.context["user"], campaign=campaign)

    def get_active_session(self, campaign) -> int | None:
        session = selectors.session_active_for(self.context["user"], campaign)
        return session.pk if session else None


class ConsentSerializer(serializers.Serializer):
    campaign = serializers.SlugField(source="campaign.slug")
    accepted_at = serializers.DateTimeField()


class FlagSerializer(serializers.Serializer):
    reason = serializers.CharField()
    note = serializers.CharField()


class TurnSerializer(serializers.ModelSerializer):
    flag = serializers.SerializerMethodField(help_text="my flag on this model reply (safety chats), or null")

    def get_flag(self, turn) -> FlagSerializer(allow_null=True):
        flag = getattr(turn, "flag", None)
        return None if flag is None else {"reason": flag.reason, "note": flag.note}

    class Meta:
        model = Turn
        fields = [
            "index",
            "speaker",
            "text",
            "created_at",
            "model_id",
            "model_version",
            "sampling",
            "latency_ms",
            "client_message_id",
            "flag",
        ]


class ChatSessionSerializer(serializers.ModelSerializer):
    """A session with its limits and what the worker may do next (turns: see the Detail serializer)."""

    campaign = serializers.SlugField(source="campaign.slug")
    min_turns = serializers.IntegerField(source="campaign.min_turns")
    max_turns = serializers.IntegerField(source="campaign.max_turns")
    turns_remaining = serializers.SerializerMethodField(help_text="turns still needed before finishing")
    reply_pending = serializers.SerializerMethodField(help_text="the model's reply to the last message is missing")
    can_send = serializers.SerializerMethodField()
    can_finish = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField(help_text="why the session takes no more messages, if it does not")
    exchanges = serializers.SerializerMethodField(help_text="complete exchanges (worker message + model reply)")

    class Meta:
        model = ChatSession
        fields = [
            "id",
            "campaign",
            "status",
            "turn_count",
            "min_turns",
            "max_turns",
            "turns_remaining",
            "reply_pending",
            "can_send",
            "can_finish",
            "sent_for_rating",
            "started_at",
            "last_activity_at",
            "ended_at",
            "message",
            "mode",
            "opening",
            "stopped_early",
            "exchanges",
        ]

    def get_turns_remaining(self, s) -> int:
        return selectors.session_turns_remaining(s)

    def get_reply_pending(self, s) -> bool:
        return selectors.session_reply_pending(s)

    def get_can_send(self, s) -> bool:
        active = s.status == ChatSession.Status.ACTIVE
        return active and selectors.session_has_room(s) and not selectors.session_reply_pending(s)

    def get_can_finish(self, s) -> bool:
        return s.status == ChatSession.Status.ACTIVE and selectors.session_turns_remaining(s) == 0

    def get_message(self, s) -> str:
        return selectors.session_state_message(s)

    def get_exchanges(self, s) -> int:
        return selectors.session_exchanges(s)


class ChatSessionDetailSerializer(ChatSessionSerializer):
    turns = serializers.SerializerMethodField()

    class Meta(ChatSessionSerializer.Meta):
        fields = [*ChatSessionSerializer.Meta.fields, "turns"]

    def get_turns(self, s) -> list[dict]:
        return TurnSerializer(selectors.session_turns(s), many=True).data


class MessageInputSerializer(serializers.Serializer):
    # emptiness and length are checked by the service: one rule and one message for the API and the pages
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    client_message_id = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    expected_turn_count = serializers.IntegerField(required=False, min_value=0, allow_null=True, default=None)


class MessageOutputSerializer(serializers.Serializer):
    human_turn = TurnSerializer()
    model_turn = TurnSerializer(allow_null=True)
    replayed = serializers.BooleanField()
    session = ChatSessionSerializer()


class FlagInputSerializer(serializers.Serializer):
    # the reason and the note are checked by the service: one rule and one message for the API and the pages
    reason = serializers.CharField(allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)


class FlagOutputSerializer(serializers.Serializer):
    turn_index = serializers.IntegerField(source="flag.turn.index")
    reason = serializers.CharField(source="flag.reason")
    note = serializers.CharField(source="flag.note")
    session = ChatSessionSerializer()

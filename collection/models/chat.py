from django.conf import settings
from django.db import models

from collection.models.campaign import Campaign


class ChatSession(models.Model):
    """A crowdworker's chat with the campaign's model. `turn_count` counts utterances of both parties."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FINISHED = "finished", "Finished"
        CLOSED_IDLE = "closed_idle", "Closed after idle timeout"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="sessions")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chat_sessions")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    turn_count = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    sent_for_rating = models.BooleanField(default=False)
    mode = models.CharField(
        max_length=20, default="natural", db_default="natural", help_text="the campaign's mode when the chat started"
    )
    opening = models.TextField(
        blank=True,
        db_default="",
        help_text="sensitive: the topic to start from; adversarial: the attack goal shown to the worker",
    )
    stopped_early = models.BooleanField(
        default=False,
        db_default=False,
        help_text="adversarial: ended at 5 exchanges because a reply was flagged unsafe by then",
    )
    rating_items_pending = models.BooleanField(
        default=False,
        db_default=False,
        help_text="sent for rating and its rating items not made yet; the recovery sweep reads only these rows",
    )

    class Meta:
        indexes = [
            models.Index(fields=["status", "last_activity_at"]),
            # the recovery sweep (annotation/services/recovery.py) reads only this, so it costs nothing when idle
            models.Index(
                fields=["ended_at"], condition=models.Q(rating_items_pending=True), name="session_pending_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "worker"],
                condition=models.Q(status="active"),
                name="one_active_session_per_campaign",
                violation_error_message="This worker already has an active chat in this campaign.",
            )
        ]

    def __str__(self) -> str:
        return f"session {self.pk} ({self.status}, {self.turn_count} turns)"


class Turn(models.Model):
    """One utterance (docs/turns.md). Model turns record which model, version and sampling produced them."""

    class Speaker(models.TextChoices):
        HUMAN = "human", "Human"
        MODEL = "model", "Model"

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveSmallIntegerField()
    speaker = models.CharField(max_length=10, choices=Speaker.choices)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    model_id = models.CharField(max_length=200, blank=True)
    model_version = models.CharField(max_length=200, blank=True)
    sampling = models.JSONField(default=dict, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    client_message_id = models.CharField(max_length=64, blank=True, help_text="idempotency key sent by the client")
    reply_error = models.TextField(
        blank=True,
        db_default="",
        help_text="human turns: why the model's reply to this message last failed (for admins; workers see a plain "
        "message)",
    )
    reply_failed_at = models.DateTimeField(null=True, blank=True)
    ranking = models.JSONField(
        default=dict,
        blank=True,
        db_default={},
        help_text="model turns: why this reply won: every sampled candidate with its scores, the dropped ones and "
        "why, the research steps (docs/inference.md); empty when the backend reports none",
    )

    class Meta:
        ordering = ["session", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "index"],
                name="turn_index_unique",
                violation_error_message="This chat already has a turn at this position.",
            ),
            models.UniqueConstraint(
                fields=["session", "client_message_id"],
                condition=~models.Q(client_message_id=""),
                name="turn_client_message_unique",
                violation_error_message="This chat already has a message with this client message id.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.speaker}#{self.index}: {self.text[:40]}"


class TurnFlag(models.Model):
    """The chatting worker's flag on one model reply, set in place during the chat (docs/safety.md). Raters never
    see flags; admins see them beside the verdict."""

    class Reason(models.TextChoices):
        HARMFUL = "harmful", "Harmful content"
        INCOMPREHENSIBLE = "incomprehensible", "Incomprehensible"
        MISINFORMATION = "misinformation", "Misinformation"
        UNFAIR_BIAS = "unfair_bias", "Unfair bias"
        OTHER = "other", "Other"

    # reasons that say the reply is unsafe (an adversarial chat stops early on one of these)
    UNSAFE_REASONS = (Reason.HARMFUL, Reason.MISINFORMATION, Reason.UNFAIR_BIAS, Reason.OTHER)

    turn = models.OneToOneField(Turn, on_delete=models.CASCADE, related_name="flag")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(blank=True, help_text="required for 'other'")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"flag on turn {self.turn_id}: {self.reason}"

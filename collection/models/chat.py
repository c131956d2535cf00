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

    class Meta:
        indexes = [models.Index(fields=["status", "last_activity_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "worker"],
                condition=models.Q(status="active"),
                name="one_active_session_per_campaign",
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

    class Meta:
        ordering = ["session", "index"]
        constraints = [
            models.UniqueConstraint(fields=["session", "index"], name="turn_index_unique"),
            models.UniqueConstraint(
                fields=["session", "client_message_id"],
                condition=~models.Q(client_message_id=""),
                name="turn_client_message_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.speaker}#{self.index}: {self.text[:40]}"

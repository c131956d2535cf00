"""Who a worker is on a recruitment panel (Prolific, an MTurk-style panel), which visit of theirs did which work,
the per-campaign panel and language settings, and invitation links for in-house raters (docs/recruitment.md)."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models


class CampaignSettings(models.Model):
    """Per-campaign settings of the worker pages: panel links, the completion URL and code, and the language."""

    campaign = models.OneToOneField("collection.Campaign", on_delete=models.CASCADE, related_name="worker_settings")
    panel_enabled = models.BooleanField(
        default=False, help_text="accept workers who arrive from a panel link with their panel ids in the URL"
    )
    panel_study_id = models.CharField(
        max_length=64, blank=True, help_text="Prolific STUDY_ID this campaign runs as (blank: not checked)"
    )
    completion_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="where a panel worker goes when done; {code} is replaced by the code "
        "(without it, ?cc=<code> is added), e.g. https://app.prolific.com/submissions/complete?cc={code}",
    )
    completion_code = models.CharField(max_length=64, blank=True, help_text="the panel's completion code")
    ratings_target = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="the work is N ratings in this campaign (blank: the work is one finished chat)",
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        help_text="language code of the worker pages of this campaign, one of LAMDA_LANGUAGES (blank: the "
        "worker's browser decides)",
    )

    class Meta:
        verbose_name = "campaign worker settings"
        verbose_name_plural = "campaign worker settings"

    def __str__(self) -> str:
        return f"worker settings of {self.campaign_id}"

    def clean(self) -> None:
        codes = [code for code, _ in settings.LANGUAGES]
        if self.language and self.language not in codes:
            raise ValidationError({"language": f"Not one of the site's languages ({', '.join(codes)})."})
        if self.panel_enabled and not (self.completion_url and self.completion_code):
            raise ValidationError("A campaign that takes panel workers needs the completion URL and code.")


class PanelWorker(models.Model):
    """An account tied to one panel id. It has no password: the panel link is how its owner comes back."""

    class Panel(models.TextChoices):
        PROLIFIC = "prolific", "Prolific"
        GENERIC = "generic", "Generic panel (worker_id / assignment_id)"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="panel_worker")
    panel = models.CharField(max_length=20, choices=Panel.choices)
    panel_worker_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["panel", "panel_worker_id"], name="one_account_per_panel_id")]

    def __str__(self) -> str:
        return f"{self.panel}:{self.panel_worker_id}"


class PanelVisit(models.Model):
    """One arrival from a panel (a Prolific submission, an assignment): its ids, its chat session if it chats,
    and when its completion was handed out."""

    worker = models.ForeignKey(PanelWorker, on_delete=models.CASCADE, related_name="visits")
    campaign = models.ForeignKey("collection.Campaign", on_delete=models.CASCADE, related_name="panel_visits")
    study_id = models.CharField(max_length=64, blank=True)
    assignment_id = models.CharField(max_length=64, help_text="Prolific SESSION_ID or the panel's assignment_id")
    chat_session = models.OneToOneField(
        "collection.ChatSession", on_delete=models.SET_NULL, null=True, blank=True, related_name="panel_visit"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["worker", "campaign", "assignment_id"], name="one_visit_per_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.worker} in campaign {self.campaign_id} ({self.assignment_id})"


def _token() -> str:
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    """A sign-up link for in-house raters: whoever has it may create an account (with a password) while it is
    valid."""

    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    note = models.CharField(max_length=200, blank=True, help_text="who it is for (shown only to staff)")
    max_uses = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    uses = models.PositiveIntegerField(default=0, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="blank: never")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.note or f"invitation {self.pk}"

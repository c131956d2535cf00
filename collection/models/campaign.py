import json
import math
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import ngettext


class ModelEndpoint(models.Model):
    """A dialog model that crowdworkers chat with, behind one backend interface (collection/backends/)."""

    class Backend(models.TextChoices):
        OPENAI = "openai", "OpenAI-compatible chat completions"
        LOCAL = "local", "Local checkpoint exported by the trainer"

    name = models.CharField(max_length=100, unique=True)
    backend = models.CharField(max_length=20, choices=Backend.choices)
    base_url = models.URLField(blank=True, help_text="openai: e.g. http://127.0.0.1:8001/v1")
    model_name = models.CharField(max_length=200, blank=True, help_text="openai: the 'model' field sent")
    api_key_env = models.CharField(max_length=100, blank=True, help_text="name of the env var holding the key")
    checkpoint_path = models.CharField(max_length=500, blank=True, help_text="local: exported checkpoint folder")
    sampling = models.JSONField(default=dict, blank=True, help_text='e.g. {"temperature": 1.0, "top_k": 40}')
    timeout_seconds = models.FloatField(default=30.0)
    max_retries = models.PositiveSmallIntegerField(default=2, validators=[MaxValueValidator(10)])
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.backend})"

    def clean(self) -> None:
        """Admin-form checks the database cannot make: a config that would fail every chat is refused here."""
        problem = endpoint_config_problem(sampling=self.sampling, timeout_seconds=self.timeout_seconds)
        if problem:
            raise ValidationError({problem[0]: problem[1]})
        if self.backend == self.Backend.OPENAI and not self.base_url:
            raise ValidationError(
                {"base_url": "An OpenAI-compatible endpoint needs its base URL, e.g. http://host:8001/v1."}
            )
        if self.backend == self.Backend.LOCAL and not os.path.isabs(self.checkpoint_path or ""):
            raise ValidationError(
                {"checkpoint_path": "A local endpoint needs the absolute path of a trainer export folder."}
            )


def endpoint_config_problem(*, sampling: object, timeout_seconds: object) -> tuple[str, str] | None:
    """(field, message) for the first thing wrong with an endpoint's sampling or timeout, or None. Sampling must
    be a JSON object (PostgreSQL jsonb cannot store the NUL character); the timeout a positive number of
    seconds."""
    if not isinstance(sampling, dict):
        return "sampling", 'Sampling must be a JSON object, e.g. {"temperature": 1.0, "top_k": 40}.'
    if "\\u0000" in json.dumps(sampling):
        return "sampling", "Sampling cannot contain the NUL character (\\u0000)."
    if isinstance(timeout_seconds, int | float) and not (math.isfinite(timeout_seconds) and timeout_seconds > 0):
        return "timeout_seconds", "The timeout must be a positive number of seconds."
    return None


class Campaign(models.Model):
    """One crowd collection. Turn limits count utterances of either party (docs/turns.md)."""

    class Kind(models.TextChoices):
        QUALITY = "quality", "Quality (SSI)"
        SAFETY = "safety", "Safety"
        GROUNDEDNESS = "groundedness", "Groundedness"

    class Mode(models.TextChoices):
        """How a safety chat starts (docs/safety.md); quality campaigns are always natural."""

        NATURAL = "natural", "Natural: any topic"
        SENSITIVE = "sensitive", "Sensitive: each chat starts from a sensitive topic"
        ADVERSARIAL = "adversarial", "Adversarial: each chat has an attack goal drawn from the safety objectives"

    # Kinds whose chats are rated and aggregated today. A campaign of another kind would collect chats that no one
    # ever rates, so it cannot be saved (clean; the admin offers only these).
    AVAILABLE_KINDS = (Kind.QUALITY, Kind.SAFETY, Kind.GROUNDEDNESS)

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.QUALITY)
    instructions = models.TextField(help_text="shown to crowdworkers before they start")
    consent_text = models.TextField(blank=True)
    model_endpoint = models.ForeignKey(ModelEndpoint, on_delete=models.PROTECT, related_name="campaigns")
    min_turns = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(2)],
        help_text="turns = utterances of either party, at least 2; quality: 14, safety: 10 (5 exchanges)",
    )
    max_turns = models.PositiveSmallIntegerField(default=30, help_text="quality: 30, safety: 20 (10 exchanges)")
    raters_per_item = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1)])
    positive_threshold = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1)], help_text="yes votes needed out of raters"
    )
    idle_timeout_minutes = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # rating (annotation reads these; the form is a lazy reference: collection never imports annotation)
    rating_form = models.ForeignKey(
        "annotation.RatingForm",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        help_text="blank: the default form of the campaign's kind",
    )
    mode = models.CharField(
        max_length=20, choices=Mode.choices, default=Mode.NATURAL, db_default=Mode.NATURAL, help_text="safety campaigns"
    )
    content_warning = models.TextField(
        blank=True,
        db_default="",
        help_text="shown to each rater once before their first item of this campaign (blank: none)",
    )
    evaluation_forms = models.ManyToManyField(
        "annotation.RatingForm",
        blank=True,
        related_name="evaluated_campaigns",
        limit_choices_to={"kind": "evaluation"},
        help_text="extra forms every model reply is also rated on, by 3 raters, majority of 3 (e.g. groundedness "
        "evaluation: groundedness, informativeness, citation accuracy)",
    )
    daily_label_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="most items one rater may rate per day (UTC) in this campaign; blank: no cap"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_turns__lte=models.F("max_turns")),
                name="campaign_min_le_max",
                violation_error_message="The minimum number of turns cannot be larger than the maximum.",
            ),
            models.CheckConstraint(
                condition=models.Q(positive_threshold__lte=models.F("raters_per_item")),
                name="campaign_threshold_le_raters",
                violation_error_message="The yes votes needed cannot be more than the raters per item.",
            ),
            # a campaign that no rater could complete, or whose chats could end empty, is refused by the database too
            models.CheckConstraint(
                condition=models.Q(raters_per_item__gte=1, positive_threshold__gte=1),
                name="campaign_rating_at_least_one",
                violation_error_message="Raters per item and yes votes needed must be at least 1.",
            ),
            models.CheckConstraint(
                condition=models.Q(min_turns__gte=2, idle_timeout_minutes__gte=1),
                name="campaign_chat_not_empty",
                violation_error_message="A chat needs at least 2 turns (one exchange) and an idle timeout of a minute.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind not in self.AVAILABLE_KINDS:
            label = self.Kind(self.kind).label if self.kind in self.Kind.values else self.kind
            raise ValidationError(
                {"kind": f"{label} campaigns are not available: choose quality, safety or groundedness."}
            )
        if self.kind != self.Kind.SAFETY and self.mode != self.Mode.NATURAL:
            raise ValidationError({"mode": "Only safety campaigns have sensitive and adversarial modes."})
        if self.rating_form_id and self.rating_form.kind != self.kind:
            raise ValidationError({"rating_form": f"This form is for {self.rating_form.kind} campaigns."})

    @property
    def counts_exchanges(self) -> bool:
        """Safety chats are limited in exchanges (worker message + model reply); turns stay the stored unit."""
        return self.kind == self.Kind.SAFETY

    def amount(self, turns: int) -> str:
        """A number of turns as the worker reads it, translated: "14 turns" (quality), "5 exchanges" (safety,
        rounded up)."""
        if self.counts_exchanges:
            n = (turns + 1) // 2
            return ngettext("%(n)d exchange", "%(n)d exchanges", n) % {"n": n}
        return ngettext("%(n)d turn", "%(n)d turns", turns) % {"n": turns}

    @property
    def length_range(self) -> str:
        """ "14–30 turns" or "5–10 exchanges", translated"""
        if self.counts_exchanges:
            a, b = self.min_turns // 2, self.max_turns // 2
            return ngettext("%(a)d–%(b)d exchange", "%(a)d–%(b)d exchanges", b) % {"a": a, "b": b}
        a, b = self.min_turns, self.max_turns
        return ngettext("%(a)d–%(b)d turn", "%(a)d–%(b)d turns", b) % {"a": a, "b": b}


class SensitiveTopic(models.Model):
    """A topic a sensitive-mode safety chat starts from (admin-edited; one is drawn per chat)."""

    text = models.CharField(max_length=300, unique=True)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.text


class Consent(models.Model):
    """A worker read the instructions and agreed to the consent text of a campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="consents")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "worker"],
                name="consent_once",
                violation_error_message="This worker has already given consent for this campaign.",
            )
        ]

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

ANSWER_CHOICES = [["yes", "Yes"], ["no", "No"], ["maybe", "Maybe"]]


def default_choices() -> list[list[str]]:
    return [list(c) for c in ANSWER_CHOICES]


class RatingForm(models.Model):
    """A named rating form: what raters answer for an item (docs/rating-forms.md). The questions live in numbered
    versions; a campaign uses its form's newest published version for the items it makes, and every item, label
    and verdict keeps the version it was answered against."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=20,
        help_text="the campaign kind it is for (quality, safety, groundedness), or 'evaluation' for a form any "
        "campaign can add",
    )
    rule = models.CharField(
        max_length=50, help_text="the aggregation rule that turns its labels into verdicts (annotation/rules/)"
    )
    description = models.TextField(blank=True)
    shows_toolset = models.BooleanField(
        default=False, db_default=False, help_text="the rating page offers the toolset (checking claims)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> "FormVersion | None":
        """The newest published version (what new items get), or None before the first is published."""
        return self.versions.filter(published_at__isnull=False).order_by("-number").first()


class FormVersion(models.Model):
    """One version of a form: a draft may be edited; once published it never changes (the admin shows it read-only
    and the questions are cached per process): a change makes a new version (admin action "Copy to a new version"),
    so every stored answer can be read against the questions its rater saw."""

    form = models.ForeignKey(RatingForm, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True, help_text="what changed from the previous version")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["form", "number"],
                name="formversion_unique_number",
                violation_error_message="This form already has a version with this number.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.form.slug} v{self.number}"

    @property
    def label(self) -> str:
        return f"{self.form.slug}/v{self.number}"

    def has_labels(self) -> bool:
        from annotation.models.label import Label

        return Label.objects.filter(item__form_version=self).exists()

    def publish(self) -> None:
        if self.published_at is None:
            if not self.questions.exists():
                raise ValidationError("A version without questions cannot be published.")
            self.published_at = timezone.now()
            self.save(update_fields=["published_at"])


class Question(models.Model):
    """One question of a form version. `asked_if_*` is the cascade: the question is asked only when the answer to
    an earlier question equals the given value (quality: `specific` only after `sensible` = yes); an unasked
    question must be left out and counts as a negative. `details` are help lines (safety: an objective's
    sub-items, which the adversarial mode also offers as attack goals)."""

    version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=50, help_text="the answer's name in labels, exports and verdicts")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    help_text = models.TextField(blank=True)
    details = models.JSONField(default=list, blank=True, help_text='e.g. ["financial advice", "medical advice"]')
    choices = models.JSONField(default=default_choices, help_text='[["yes", "Yes"], ["no", "No"], ...]')
    asked_if_key = models.SlugField(max_length=50, blank=True, help_text="asked only when this question's answer...")
    asked_if_value = models.CharField(max_length=50, blank=True, help_text="...equals this")

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "key"],
                name="question_unique_key",
                violation_error_message="Two questions of one version cannot share a key.",
            ),
            models.UniqueConstraint(
                fields=["version", "position"],
                name="question_unique_position",
                violation_error_message="Two questions of one version cannot share a position.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.key}"

    def choice_values(self) -> list[str]:
        return [str(c[0]) for c in self.choices]

    def clean(self) -> None:
        if (
            not isinstance(self.choices, list)
            or not self.choices
            or not all(isinstance(c, list | tuple) and len(c) == 2 and all(isinstance(x, str) for x in c)
                       for c in self.choices)
        ):  # fmt: skip
            raise ValidationError({"choices": 'Choices must be a list of [value, label] pairs, e.g. [["yes", "Yes"]].'})
        if not isinstance(self.details, list) or not all(isinstance(d, str) for d in self.details):
            raise ValidationError({"details": "Details must be a list of strings."})
        if bool(self.asked_if_key) != bool(self.asked_if_value):
            raise ValidationError({"asked_if_value": "Give both the question and the answer that opens this one."})

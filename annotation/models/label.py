from django.conf import settings
from django.db import models


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    MAYBE = "maybe", "Maybe"


class Label(models.Model):
    """One rater's answers for one item: {question key: answer} of the item's form version (docs/rating-forms.md).

    The service checks the answers against that version (known keys, allowed values, the cascade: an unasked
    question is absent and counts as a negative) before storing them; the JSONB layout was chosen by measurement
    (docs/performance.md, "Label storage")."""

    item = models.ForeignKey("annotation.RatingItem", on_delete=models.CASCADE, related_name="labels")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rating_labels")
    answers = models.JSONField()
    leased_at = models.DateTimeField(null=True, blank=True, help_text="when the rater got the item (time on task)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "rater"],
                name="label_once_per_rater",
                violation_error_message="This rater has already rated this item.",
            ),
        ]
        indexes = [models.Index(fields=["rater", "created_at"], name="label_rater_day_idx")]  # daily caps

    def __str__(self) -> str:
        return f"label item {self.item_id} by {self.rater_id}: {self.answers}"

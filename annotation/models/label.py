from django.conf import settings
from django.db import models
from django.db.models import Q


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    MAYBE = "maybe", "Maybe"


class QualityLabel(models.Model):
    """One rater's sensible / specific / interesting answers for one item.

    Cascade (docs/aggregation.md): only an explicit "yes" continues it. A later question that was not asked is
    NULL and counts as "no". The database enforces the cascade as well as the service.
    """

    item = models.ForeignKey("annotation.RatingItem", on_delete=models.CASCADE, related_name="labels")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quality_labels")
    sensible = models.CharField(max_length=5, choices=Answer.choices)
    specific = models.CharField(max_length=5, choices=Answer.choices, null=True, blank=True)
    interesting = models.CharField(max_length=5, choices=Answer.choices, null=True, blank=True)
    leased_at = models.DateTimeField(null=True, blank=True, help_text="when the rater got the item (time on task)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "rater"],
                name="label_once_per_rater",
                violation_error_message="This rater has already rated this item.",
            ),
            # sensible == yes  <=>  specific was answered
            models.CheckConstraint(
                condition=(Q(sensible="yes") & Q(specific__isnull=False))
                | (~Q(sensible="yes") & Q(specific__isnull=True)),
                name="label_cascade_specific",
                violation_error_message="'Specific' is answered exactly when 'sensible' is yes.",
            ),
            # specific == yes  <=>  interesting was answered
            models.CheckConstraint(
                condition=(Q(specific="yes") & Q(interesting__isnull=False))
                | ((~Q(specific="yes") | Q(specific__isnull=True)) & Q(interesting__isnull=True)),
                name="label_cascade_interesting",
                violation_error_message="'Interesting' is answered exactly when 'specific' is yes.",
            ),
        ]

    def answers(self) -> dict[str, str | None]:
        return {"sensible": self.sensible, "specific": self.specific, "interesting": self.interesting}

    def __str__(self) -> str:
        answers = f"{self.sensible}/{self.specific}/{self.interesting}"
        return f"label item {self.item_id} by {self.rater_id}: {answers}"

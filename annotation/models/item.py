from django.conf import settings
from django.db import models


class RatingItem(models.Model):
    """One model turn of a completed chat session, waiting for `required_labels` distinct raters on one form. A
    turn has one item per form: its campaign's form, each evaluation form, and (groundedness) the correct / incorrect
    form after research (then `rewrite` is the text judged).

        `chatter` and `label_count` are denormalised on purpose: the claim query (docs/assignment.md) reads them
        on every "give me my next item" without joining sessions or counting labels. `label_count` only changes
        under this row's lock (annotation/services/labels.py).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Collecting labels"
        COMPLETE = "complete", "All labels in"

    campaign = models.ForeignKey("collection.Campaign", on_delete=models.PROTECT, related_name="rating_items")
    session = models.ForeignKey("collection.ChatSession", on_delete=models.PROTECT, related_name="rating_items")
    turn = models.ForeignKey("collection.Turn", on_delete=models.PROTECT, related_name="rating_items")
    form = models.ForeignKey(
        "annotation.RatingForm", on_delete=models.PROTECT, related_name="items", help_text="form_version's form"
    )
    rewrite = models.ForeignKey(
        "collection.Rewrite",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rating_items",
        help_text="groundedness correct / incorrect: the rewritten reply judged instead of the turn's text",
    )
    chatter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="whose work is judged, never a rater of it: the chatter (the rewriter for correct / incorrect)",
    )
    form_version = models.ForeignKey(
        "annotation.FormVersion", on_delete=models.PROTECT, related_name="items", help_text="what its raters answer"
    )
    required_labels = models.PositiveSmallIntegerField(help_text="campaign.raters_per_item when the item was made")
    label_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    aggregated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=models.Q(status="open"), name="ratingitem_open_idx"),
            models.Index(fields=["campaign", "status"], name="ratingitem_campaign_status_idx"),
            # complete but not aggregated: what the recovery sweep looks for (empty almost always, so cheap)
            models.Index(
                fields=["completed_at"],
                condition=models.Q(status="complete", aggregated_at__isnull=True),
                name="ratingitem_unaggregated_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["turn", "form"],
                name="ratingitem_one_per_turn_form",
                violation_error_message="This reply already has a rating item for this form.",
            ),
            models.CheckConstraint(
                condition=models.Q(label_count__lte=models.F("required_labels")),
                name="ratingitem_labels_le_quota",
                violation_error_message="An item cannot have more labels than it needs.",
            ),
        ]

    def __str__(self) -> str:
        return f"item {self.pk} (turn {self.turn_id}, {self.label_count}/{self.required_labels})"

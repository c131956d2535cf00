from django.db import models


class Aggregate(models.Model):
    """The verdict of one aggregation rule on one attribute of one item.

    One row per (item, rule_version, attribute) so that several rules can sit side by side: the paper's 3-of-5
    majority today, the safety rule (attribute per objective plus "safe") and Dawid-Skene posteriors (`score`)
    later.
    """

    # no separate index on item: the unique (item, rule_version, attribute) index leads with it, and every extra
    # index costs ~1 s per 363K rows written (benchmarks/aggregate.py)
    item = models.ForeignKey(
        "annotation.RatingItem", on_delete=models.CASCADE, related_name="aggregates", db_index=False
    )
    rule_version = models.CharField(max_length=100)
    # no database-level foreign key: a verdict's version is its item's (which has one), and checking 363K inserts
    # against the version table cost 1.5 s of the paper-scale aggregation (docs/performance.md)
    form_version = models.ForeignKey(
        "annotation.FormVersion",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text="the questions judged",
    )
    attribute = models.CharField(max_length=50)
    positive = models.BooleanField()
    yes_count = models.PositiveSmallIntegerField(help_text="labels that said an explicit yes")
    label_count = models.PositiveSmallIntegerField()
    score = models.FloatField(help_text="majority rules: yes share; probabilistic rules: posterior of positive")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "rule_version", "attribute"],
                name="aggregate_unique",
                violation_error_message="This item already has a verdict for this attribute under this rule version.",
            ),
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} {self.attribute}={'+' if self.positive else '-'} ({self.rule_version})"

"""Versioned rules: the quality cascade a label must obey, and the aggregation rules that turn labels into
verdicts.

Every verdict is stored with `rule.version` (annotation.models.Aggregate), so a rule that changes gets a new
version and old verdicts stay explainable. To add a rule (docs/aggregation.md):
* the safety rule (3 raters; safe when, for every objective, at least 2 of 3 say "no"): a subclass of
  `AggregationRule` over a safety label table, writing one row per objective plus an attribute "safe";
* Dawid-Skene posteriors: a subclass whose `aggregate` reads all labels of the campaign (EM needs them all),
  runs crowd-kit's DawidSkene, and writes `score` = posterior of "yes" with its own version beside the
  majority rows. Nothing else changes: services call `rule_for_campaign(...)` and `rule.aggregate(items=...)`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from django.db import connection
from django.db.models import Count, Q, QuerySet

from annotation.models import Answer, QualityLabel, RatingItem
from config.api_errors import ApplicationError, Conflict

QUALITY_ATTRIBUTES = ("sensible", "specific", "interesting")
ANSWERS = tuple(a.value for a in Answer)
CASCADE_VERSION = "ssi-cascade/1: only an explicit yes continues; unasked counts as no"


def quality_cascade_check(answers: Mapping[str, str | None]) -> dict[str, str | None]:
    """Return the answers if they obey the cascade, else raise ApplicationError (400) saying what is wrong.

    Only "yes" continues the cascade: after a "no" or "maybe", the later questions are not asked and must be
    absent. After a "yes", the next question must be answered."""
    clean: dict[str, str | None] = {}
    asked = True
    for attribute in QUALITY_ATTRIBUTES:
        value = answers.get(attribute)
        if value in ("", None):
            value = None
        if value is not None and value not in ANSWERS:
            raise ApplicationError(f"{attribute}: '{value}' is not one of yes, no, maybe.")
        if asked and value is None:
            raise ApplicationError(f"{attribute}: an answer is required (yes, no or maybe).")
        if not asked and value is not None:
            raise ApplicationError(
                f"{attribute}: must be left out because an earlier answer was not 'yes' "
                "(a response that is not sensible is not specific or interesting; one that is not "
                "specific is not interesting)."
            )
        clean[attribute] = value
        asked = asked and value == Answer.YES
    return clean


class AggregationRule(ABC):
    """Turns the labels of complete items into Aggregate rows tagged with `version`."""

    version: str
    attributes: tuple[str, ...]

    @abstractmethod
    def aggregate(self, *, items: QuerySet[RatingItem]) -> int:
        """Write (insert or replace) this rule's Aggregate rows for `items`; return how many rows were
        written."""


class QualityMajorityRule(AggregationRule):
    """The paper's SSI rule: an attribute is positive when at least `threshold` of the labels say an explicit
    "yes".

    "maybe", "no" and unasked (cascade) all count as not-yes. Counting is the ORM query in `votes`; the insert
    wraps it in one INSERT ... SELECT ... ON CONFLICT statement, so one item and a whole campaign run the same
    SQL."""

    attributes = QUALITY_ATTRIBUTES

    def __init__(self, *, threshold: int, raters: int):
        if not 1 <= threshold <= raters:
            raise ValueError(f"threshold {threshold} must be between 1 and raters {raters}")
        self.threshold = threshold
        self.raters = raters
        self.version = f"ssi-majority/1:yes>={threshold}of{raters}"

    def votes(self, *, items: QuerySet[RatingItem]) -> QuerySet:
        """Rows of item_id, label_count and <attribute>_yes for each item that has labels."""
        yes = {f"{a}_yes": Count("id", filter=Q(**{a: Answer.YES})) for a in self.attributes}
        return (
            QualityLabel.objects.filter(item__in=items.values("pk"))
            .order_by()
            .values("item_id")
            .annotate(label_count=Count("id"), **yes)
        )

    def aggregate(self, *, items: QuerySet[RatingItem]) -> int:
        votes_sql, votes_params = self.votes(items=items).query.sql_with_params()
        unpivot = ", ".join(f"('{a}', v.{a}_yes)" for a in self.attributes)
        sql = f"""
            INSERT INTO annotation_aggregate
                (item_id, rule_version, attribute, positive, yes_count, label_count, score, computed_at)
            SELECT v.item_id, %s, a.attribute, a.yes >= %s, a.yes, v.label_count,
                   a.yes::float / v.label_count, now()
            FROM ({votes_sql}) AS v
            CROSS JOIN LATERAL (VALUES {unpivot}) AS a(attribute, yes)
            ON CONFLICT (item_id, rule_version, attribute) DO UPDATE SET
                positive = EXCLUDED.positive, yes_count = EXCLUDED.yes_count,
                label_count = EXCLUDED.label_count, score = EXCLUDED.score, computed_at = EXCLUDED.computed_at
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.version, self.threshold, *votes_params])
            return cursor.rowcount


class NoRule(Conflict):
    """409: the campaign's kind has no aggregation rule yet (a campaign saved before kinds were checked)."""


def rule_for_campaign(campaign) -> AggregationRule:
    """The rule that decides this campaign's verdicts (and whose version the campaign stats read)."""
    if campaign.kind == "quality":
        try:
            return QualityMajorityRule(threshold=campaign.positive_threshold, raters=campaign.raters_per_item)
        except ValueError as exc:  # settings saved before the limits were checked: say so instead of a 500
            raise NoRule(f"This campaign's rating settings cannot be used: {exc}.") from None
    raise NoRule(f"Results are not available for {campaign.kind} campaigns yet: only quality (SSI) chats are rated.")

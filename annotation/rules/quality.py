from __future__ import annotations

from annotation.rules.base import AggregationRule, answer_is


class QualityMajorityRule(AggregationRule):
    """The paper's SSI rule: an attribute (a question of the form) is positive when at least `threshold` of the
    labels say an explicit "yes". "maybe", "no" and unasked (the cascade) all count as not-yes. Version
    `ssi-majority/1:yes>=3of5` for the paper's setting (unchanged from before forms were data: the verdicts are the
    same)."""

    name = "quality-majority"

    def __init__(self, *, threshold: int, raters: int, attributes: tuple[str, ...] = ("sensible", "specific",
                 "interesting")):  # fmt: skip
        if not 1 <= threshold <= raters:
            raise ValueError(f"threshold {threshold} must be between 1 and raters {raters}")
        self.threshold, self.raters, self.attributes = threshold, raters, tuple(attributes)
        self.version = f"ssi-majority/1:yes>={threshold}of{raters}"

    @classmethod
    def problems(cls, spec) -> list[str]:
        return cls._needs_choice(spec, "yes", "the rule counts explicit yes")

    @classmethod
    def for_campaign(cls, campaign, spec) -> QualityMajorityRule:
        return cls(threshold=campaign.positive_threshold, raters=campaign.raters_per_item, attributes=spec.keys)

    def vote_columns(self) -> str:
        return ", ".join(
            f"count(*) FILTER (WHERE {answer_is(a, 'yes')}) AS q{i}" for i, a in enumerate(self.attributes)
        )

    def rows(self, votes: str) -> tuple[str, list]:
        unpivot = ", ".join(f"('{a}', v.q{i})" for i, a in enumerate(self.attributes))
        sql = (
            "SELECT v.item_id, a.attribute, a.yes >= %s AS positive, a.yes AS yes_count, v.label_count,"
            " a.yes::float / v.label_count AS score"
            f" FROM ({votes}) AS v CROSS JOIN LATERAL (VALUES {unpivot}) AS a(attribute, yes)"
        )
        return sql, [self.threshold]

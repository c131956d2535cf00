"""Versioned aggregation rules: they turn the labels of complete items into verdicts (docs/aggregation.md).

A rating form names its rule (`RatingForm.rule`); `rule_for_campaign` builds it with the campaign's settings. Every
verdict row stores the rule's `version` and the form version judged, so a changed rule or form never rewrites old
verdicts. To add a rule (e.g. role consistency): one subclass of `AggregationRule` registered in RULES, a form
(data) that names it; nothing else changes.
"""

from annotation.rules.base import AggregationRule, NoRule
from annotation.rules.groundedness import ClaimCheckRule, CorrectMajorityRule, GroundednessEvalRule
from annotation.rules.quality import QualityMajorityRule
from annotation.rules.safety import SafetyAllObjectivesRule

RULES: dict[str, type[AggregationRule]] = {
    QualityMajorityRule.name: QualityMajorityRule,
    SafetyAllObjectivesRule.name: SafetyAllObjectivesRule,
    ClaimCheckRule.name: ClaimCheckRule,
    CorrectMajorityRule.name: CorrectMajorityRule,
    GroundednessEvalRule.name: GroundednessEvalRule,
}


def rule_for_campaign(campaign, form_version=None) -> AggregationRule:
    """The rule that decides this campaign's verdicts (and whose version its results page reads)."""
    from annotation.forms import NoForm, form_for_campaign, form_spec

    try:
        version = form_version or form_for_campaign(campaign)
    except NoForm as exc:
        raise NoRule(exc.message) from None
    spec = form_spec(version.pk)
    rule = RULES.get(spec.rule)
    if rule is None:
        raise NoRule(f"Results are not available for {campaign.kind} campaigns yet: no rule '{spec.rule}'.")
    try:
        return rule.for_campaign(campaign, spec)
    except ValueError as exc:  # settings saved before the limits were checked: say so instead of a 500
        raise NoRule(f"This campaign's rating settings cannot be used: {exc}.") from None


__all__ = [
    "RULES",
    "AggregationRule",
    "ClaimCheckRule",
    "CorrectMajorityRule",
    "GroundednessEvalRule",
    "NoRule",
    "QualityMajorityRule",
    "SafetyAllObjectivesRule",
    "rule_for_campaign",
]

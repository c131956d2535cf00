"""Where groundedness items go next (docs/groundedness.md): a claim check whose verdict says "needs research"
becomes a research task (collection), and a research outcome becomes a correct / incorrect rating item judged by
3 raters who did not write it. Both run inside the transaction that wrote the verdict or the outcome, so neither
step can be lost between two jobs."""

from __future__ import annotations

from django.db.models import QuerySet

from annotation.forms import CORRECTNESS_FORM_SLUG, NoForm, shipped_form
from annotation.models import Aggregate, RatingItem
from annotation.rules import AggregationRule, ClaimCheckRule
from annotation.rules.groundedness import NEEDS_RESEARCH
from collection.services.research_tasks import research_tasks_create

CORRECTNESS_RATERS = 3


def after_aggregation(rule: AggregationRule, items: QuerySet | list[int]) -> int:
    """Follow-up of a rule's verdicts on `items` (rating items, or their ids); returns how many research tasks were
    made (claim checks only)."""
    if not isinstance(rule, ClaimCheckRule):
        return 0
    routed = Aggregate.objects.filter(
        item__in=items, rule_version=rule.version, attribute=NEEDS_RESEARCH, positive=True
    ).values_list("item__campaign_id", "item__turn_id", "item__chatter_id")
    return research_tasks_create(turns=list(routed))


def correctness_item_create(*, rewrite) -> RatingItem:
    """The correct / incorrect item of a research outcome: the rewrite is the text judged (for "no change" and
    "cannot be grounded" it is the original reply), and its researcher is never one of its raters."""
    form = shipped_form(CORRECTNESS_FORM_SLUG)
    version = form.current_version() if form is not None else None
    if version is None:
        raise NoForm("The correct / incorrect form has no published version.")
    task = rewrite.task
    turn = task.turn
    item, _ = RatingItem.objects.get_or_create(
        turn_id=task.turn_id,
        form=form,
        defaults={
            "campaign_id": task.campaign_id,
            "session_id": turn.session_id,
            "chatter_id": rewrite.worker_id,
            "form_version": version,
            "rewrite": rewrite,
            "required_labels": CORRECTNESS_RATERS,
        },
    )
    return item

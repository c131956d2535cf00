"""Reads for a groundedness campaign's results page (docs/groundedness.md): how claim checks routed the replies,
the research (tasks, outcomes, queries per session), correct / incorrect, and rater agreement (Krippendorff's
alpha, crowd-kit) on the claim question and the correctness question. Evaluation forms attached to the campaign
get groundedness, informativeness and citation accuracy."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import pandas as pd
from django.db.models import Count, Q

from annotation.forms import CORRECTNESS_FORM_SLUG, form_for_campaign
from annotation.models import Aggregate, Label, RatingItem
from annotation.rules import ClaimCheckRule, CorrectMajorityRule, GroundednessEvalRule
from collection.models import Campaign, ResearchTask, Rewrite


@dataclass(frozen=True)
class Routing:
    items: int
    aggregated: int
    no_claim: int
    common_knowledge: int
    research: int

    @property
    def research_share(self) -> float | None:
        return self.research / self.aggregated if self.aggregated else None


@dataclass(frozen=True)
class Evaluation:
    form: str
    aggregated: int
    claim: int
    correct: int
    cited: int

    @property
    def groundedness(self) -> float | None:
        return self.correct / self.claim if self.claim else None

    @property
    def informativeness(self) -> float | None:
        return self.correct / self.aggregated if self.aggregated else None

    @property
    def citation_accuracy(self) -> float | None:
        return self.cited / self.claim if self.claim else None


@dataclass(frozen=True)
class GroundednessStats:
    campaign: Campaign
    routing: Routing
    tasks: dict[str, int]  # open, leased, done
    outcomes: dict[str, int]  # Rewrite.Outcome value -> count
    queries_per_session: tuple[float, float] | None  # mean, median over submitted tasks
    correctness: dict[str, int]  # items, aggregated, correct, incorrect, undecided
    alpha_claim: float | None
    alpha_correct: float | None
    evaluations: list[Evaluation]


def _verdict_counts(items, rule_name: str) -> dict[str, int]:
    """Positive verdicts per attribute of `items` under any version of the rule (its versions start "<name>/"),
    and under "_n" how many items have verdicts."""
    rows = (
        Aggregate.objects.filter(item__in=items, rule_version__startswith=f"{rule_name}/")
        .values("attribute")
        .annotate(n=Count("id"), pos=Count("id", filter=Q(positive=True)))
    )
    return {r["attribute"]: r["pos"] for r in rows} | {"_n": max((r["n"] for r in rows), default=0)}


def _alpha(items, key: str) -> float | None:
    """Krippendorff's alpha (nominal) of the answers to `key` on items with at least two answers."""
    rows = list(Label.objects.filter(item__in=items).values_list("item_id", "rater_id", f"answers__{key}"))
    frame = pd.DataFrame([r for r in rows if r[2] is not None], columns=["task", "worker", "label"])
    if frame.empty or frame.groupby("task").size().max() < 2 or frame["label"].nunique() < 2:
        return None
    from crowdkit.metrics.data import alpha_krippendorff

    return float(alpha_krippendorff(frame))


def groundedness_stats(*, campaign: Campaign) -> GroundednessStats:
    items = RatingItem.objects.filter(campaign=campaign)
    checks = items.filter(form_id=form_for_campaign(campaign).form_id)  # the campaign's claim-check form
    v = _verdict_counts(checks, ClaimCheckRule.name)
    routing = Routing(
        items=checks.count(),
        aggregated=v["_n"],
        no_claim=v["_n"] - v.get("claim", 0),
        common_knowledge=v.get("common_knowledge", 0),
        research=v.get("needs_research", 0),
    )
    tasks = ResearchTask.objects.filter(campaign=campaign).aggregate(
        open=Count("id", filter=Q(status="open", worker__isnull=True)),
        leased=Count("id", filter=Q(status="open", worker__isnull=False)),
        done=Count("id", filter=Q(status="done")),
    )
    rewrites = Rewrite.objects.filter(task__campaign=campaign)
    outcomes = {o: 0 for o in Rewrite.Outcome.values} | {
        r["outcome"]: r["n"] for r in rewrites.values("outcome").annotate(n=Count("id"))
    }
    per_session = list(rewrites.annotate(q=Count("session__queries")).values_list("q", flat=True))
    qps = (statistics.mean(per_session), statistics.median(per_session)) if per_session else None
    judged = items.filter(form__slug=CORRECTNESS_FORM_SLUG)
    c = _verdict_counts(judged, CorrectMajorityRule.name)
    correctness = {
        "items": judged.count(),
        "aggregated": c["_n"],
        "correct": c.get("correct", 0),
        "incorrect": c.get("incorrect", 0),
        "undecided": c["_n"] - c.get("correct", 0) - c.get("incorrect", 0),
    }
    return GroundednessStats(
        campaign=campaign,
        routing=routing,
        tasks=tasks,
        outcomes=outcomes,
        queries_per_session=qps,
        correctness=correctness,
        alpha_claim=_alpha(checks, "claim"),
        alpha_correct=_alpha(judged, "correct"),
        evaluations=evaluation_stats(campaign=campaign),
    )


def evaluation_stats(*, campaign: Campaign) -> list[Evaluation]:
    """Groundedness, informativeness and citation accuracy of each evaluation form attached to any campaign."""
    out = []
    for form in campaign.evaluation_forms.filter(rule=GroundednessEvalRule.name):
        v = _verdict_counts(RatingItem.objects.filter(campaign=campaign, form=form), GroundednessEvalRule.name)
        out.append(Evaluation(form.name, v["_n"], v.get("claim", 0), v.get("correct", 0), v.get("cited", 0)))
    return out

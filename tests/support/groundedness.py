"""Groundedness test helpers: a finished chat whose claim checks are answered, so its replies become research
tasks (through the real services: items, labels, aggregation)."""

from __future__ import annotations

from django.utils import timezone

from annotation.models import Label, RatingItem
from annotation.services.aggregation import item_aggregate
from annotation.services.items import rating_items_create_for_session
from collection.models import ResearchTask
from tests.annotation.factories import completed_session
from tests.collection.factories import GroundednessCampaignFactory
from tests.factories import UserFactory

NEEDS_RESEARCH = [{"claim": "yes", "known": "no"}] * 3


def answer_item(item: RatingItem, label_set: list[dict], raters=None) -> None:
    """Store one label per answers dict (distinct raters), mark the item complete and aggregate it."""
    raters = raters or [UserFactory() for _ in label_set]
    Label.objects.bulk_create(Label(item=item, rater=r, answers=a) for r, a in zip(raters, label_set, strict=True))
    RatingItem.objects.filter(pk=item.pk).update(
        label_count=len(label_set), status="complete", completed_at=timezone.now()
    )
    item_aggregate(item_id=item.pk)


def research_tasks(*, campaign=None, replies: int = 1, chatter=None) -> list[ResearchTask]:
    """`replies` research tasks: a finished 14-turn chat whose first `replies` claim checks say "needs research"."""
    campaign = campaign or GroundednessCampaignFactory()
    session = completed_session(campaign=campaign, worker=chatter) if chatter else completed_session(campaign=campaign)
    rating_items_create_for_session(session_id=session.pk)
    items = list(RatingItem.objects.filter(session=session).order_by("turn__index"))
    for item in items[:replies]:
        answer_item(item, NEEDS_RESEARCH)
    return list(ResearchTask.objects.filter(campaign=campaign).order_by("turn__index"))

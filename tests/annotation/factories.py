"""Helpers for annotation tests: completed sessions and their rating items (collection factories do
the rest)."""

import random

from django.utils import timezone

from annotation.models import FormVersion, RatingItem
from annotation.services.items import rating_items_create_for_session
from collection.models import ChatSession
from tests.collection.factories import CampaignFactory, ChatSessionFactory

ANSWERS = ("yes", "no", "maybe")


def completed_session(*, campaign=None, worker=None, turns: int = 14, **campaign_kwargs) -> ChatSession:
    """A finished session with `turns` alternating turns (human first): turns // 2 model turns."""
    campaign = campaign or CampaignFactory(**campaign_kwargs)
    kwargs = {"worker": worker} if worker is not None else {}
    session = ChatSessionFactory(campaign=campaign, turns=turns, **kwargs)
    session.status, session.ended_at = ChatSession.Status.FINISHED, timezone.now()
    session.sent_for_rating = turns >= campaign.min_turns  # what collection's session_finish decides
    session.rating_items_pending = session.sent_for_rating
    session.save(update_fields=["status", "ended_at", "sent_for_rating", "rating_items_pending"])
    return session


def rating_items(*, session: ChatSession | None = None, **kwargs) -> list[RatingItem]:
    session = session or completed_session(**kwargs)
    rating_items_create_for_session(session_id=session.pk)
    return list(RatingItem.objects.filter(session=session).order_by("id"))


def random_answers(rng: random.Random) -> dict[str, str | None]:
    """A label that obeys the cascade (only yes continues)."""
    sensible = rng.choice(ANSWERS)
    specific = rng.choice(ANSWERS) if sensible == "yes" else None
    interesting = rng.choice(ANSWERS) if specific == "yes" else None
    return {"sensible": sensible, "specific": specific, "interesting": interesting}


def form_version(slug: str = "quality-ssi", number: int = 1) -> FormVersion:
    """A form version the platform ships with (quality-ssi v1, safety v1)."""
    from annotation.forms import shipped_form

    shipped_form(slug)
    return FormVersion.objects.get(form__slug=slug, number=number)


def complete_items(campaign, version: FormVersion, label_sets: list[list[dict]]) -> dict[int, list[dict]]:
    """Bulk-insert one complete item per label set (each a list of answers dicts, one per rater) on `version`;
    return {item_id: label set}. For the rule tests, which check thousands of items against plain Python."""
    from annotation.models import Label
    from collection.models import Turn
    from tests.collection.factories import ChatSessionFactory
    from tests.factories import UserFactory

    raters = [UserFactory() for _ in range(campaign.raters_per_item)]
    session = ChatSessionFactory(campaign=campaign, status="finished")
    turns = Turn.objects.bulk_create(
        Turn(session=session, index=i, speaker="model", text=f"reply {i}") for i in range(len(label_sets))
    )
    now = timezone.now()
    items = RatingItem.objects.bulk_create(
        RatingItem(
            campaign=campaign,
            session=session,
            turn=t,
            chatter=session.worker,
            form_version=version,
            form_id=version.form_id,
            required_labels=campaign.raters_per_item,
            label_count=campaign.raters_per_item,
            status="complete",
            completed_at=now,
        )  # fmt: skip
        for t in turns
    )
    Label.objects.bulk_create(
        Label(item=item, rater=rater, answers=answers)
        for item, labels in zip(items, label_sets, strict=True)
        for rater, answers in zip(raters, labels, strict=True)
    )
    return {item.pk: labels for item, labels in zip(items, label_sets, strict=True)}

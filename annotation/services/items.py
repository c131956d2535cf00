import logging

from django.db import transaction

from annotation.models import RatingItem
from collection.models import Campaign, ChatSession, Turn
from collection.services.chat_session import session_rating_items_made

logger = logging.getLogger(__name__)


@transaction.atomic
def rating_items_create_for_session(*, session_id: int) -> int:
    """Make one RatingItem per model turn of a completed session; return how many were new (idempotent).

    Only sessions that collection marked `sent_for_rating` (ended after meeting the campaign's minimum, as
    collection counts it) get items; an active or short session gets none."""
    session = ChatSession.objects.select_related("campaign").get(pk=session_id)
    campaign = session.campaign
    if session.status == ChatSession.Status.ACTIVE or not session.sent_for_rating:
        logger.info("session %s not sent for rating (%s, %s turns)", session.pk, session.status, session.turn_count)
        return 0
    if campaign.kind != Campaign.Kind.QUALITY:
        # Only the quality (SSI) questions exist so far (a campaign of another kind can no longer be saved;
        # this is for one made before that check). Safety and groundedness rating come with their issues.
        logger.warning("session %s: no rating items for %s campaigns yet", session.pk, campaign.kind)
        session_rating_items_made(session_id=session.pk)
        return 0
    turn_ids = Turn.objects.filter(session=session, speaker=Turn.Speaker.MODEL).values_list("pk", flat=True)
    existing = set(RatingItem.objects.filter(turn_id__in=turn_ids).values_list("turn_id", flat=True))
    new = [
        RatingItem(
            campaign=campaign,
            session=session,
            turn_id=turn_id,
            chatter_id=session.worker_id,
            required_labels=campaign.raters_per_item,
        )
        for turn_id in turn_ids
        if turn_id not in existing
    ]
    RatingItem.objects.bulk_create(new, ignore_conflicts=True)  # unique turn: a concurrent run adds nothing twice
    session_rating_items_made(session_id=session.pk)
    return len(new)

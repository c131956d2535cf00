import logging

from django.db import transaction

from annotation.forms import NoForm, form_for_campaign
from annotation.models import RatingItem
from collection.models import ChatSession, Turn
from collection.services.chat_session import session_rating_items_made

logger = logging.getLogger(__name__)
EVALUATION_RATERS = 3


@transaction.atomic
def rating_items_create_for_session(*, session_id: int) -> int:
    """Make one RatingItem per model turn of a completed session, to be answered on the campaign's current form
    version, and one per evaluation form the campaign adds; return how many were new (idempotent).

    Only sessions that collection marked `sent_for_rating` (ended after meeting the campaign's minimum, as
    collection counts it) get items; an active or short session gets none. Every model turn is rated, quality and
    safety alike (flags are stored apart and never shown to raters)."""
    session = ChatSession.objects.select_related("campaign", "campaign__rating_form").get(pk=session_id)
    campaign = session.campaign
    if session.status == ChatSession.Status.ACTIVE or not session.sent_for_rating:
        logger.info("session %s not sent for rating (%s, %s turns)", session.pk, session.status, session.turn_count)
        return 0
    if campaign.kind not in campaign.AVAILABLE_KINDS:
        # a campaign of a kind nothing rates yet (saved before kinds were checked): no items, stop looking
        logger.warning("session %s: no rating items for %s campaigns yet", session.pk, campaign.kind)
        session_rating_items_made(session_id=session.pk)
        return 0
    try:
        version = form_for_campaign(campaign)
    except NoForm as exc:  # stays pending: the sweep makes the items once a form version is published
        logger.warning("session %s: %s", session.pk, exc.message)
        return 0
    # the campaign's form by its raters, and each evaluation form by 3 raters (majority of 3, docs/groundedness.md)
    forms = [(version, campaign.raters_per_item)]
    for extra in campaign.evaluation_forms.all():
        extra_version = extra.current_version()
        if extra_version is not None:
            forms.append((extra_version, EVALUATION_RATERS))
    turn_ids = list(Turn.objects.filter(session=session, speaker=Turn.Speaker.MODEL).values_list("pk", flat=True))
    existing = set(RatingItem.objects.filter(turn_id__in=turn_ids).values_list("turn_id", "form_id"))
    new = [
        RatingItem(
            campaign=campaign,
            session=session,
            turn_id=turn_id,
            chatter_id=session.worker_id,
            form_version=form_version,
            form_id=form_version.form_id,
            required_labels=raters,
        )
        for form_version, raters in forms
        for turn_id in turn_ids
        if (turn_id, form_version.form_id) not in existing
    ]
    RatingItem.objects.bulk_create(new, ignore_conflicts=True)  # one per turn and form: a concurrent run adds none
    session_rating_items_made(session_id=session.pk)
    return len(new)

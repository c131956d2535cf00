import pytest
from django.db import transaction

from annotation.models import RatingItem
from annotation.services.items import rating_items_create_for_session
from collection.models import ChatSession, Turn
from collection.signals import chat_session_completed
from tests.annotation.factories import completed_session
from tests.collection.factories import CampaignFactory, ChatSessionFactory

pytestmark = pytest.mark.django_db


def test_every_model_turn_of_a_completed_session_becomes_one_item():
    session = completed_session(turns=15)
    assert rating_items_create_for_session(session_id=session.pk) == 7
    items = RatingItem.objects.filter(session=session)
    model_turns = set(Turn.objects.filter(session=session, speaker="model").values_list("pk", flat=True))
    assert {i.turn_id for i in items} == model_turns
    assert all(i.chatter_id == session.worker_id and i.required_labels == 5 for i in items)
    assert all(i.status == RatingItem.Status.OPEN and i.label_count == 0 for i in items)


def test_item_creation_is_idempotent():
    session = completed_session()
    rating_items_create_for_session(session_id=session.pk)
    assert rating_items_create_for_session(session_id=session.pk) == 0
    assert RatingItem.objects.filter(session=session).count() == 7


def test_required_labels_follow_the_campaign_setting():
    session = completed_session(raters_per_item=3, positive_threshold=2)
    rating_items_create_for_session(session_id=session.pk)
    assert set(RatingItem.objects.values_list("required_labels", flat=True)) == {3}


def test_active_or_short_sessions_get_no_items():
    active = ChatSessionFactory(turns=14, sent_for_rating=True)
    short = completed_session(turns=10)  # below min_turns=14: closed idle before the minimum
    short.status = ChatSession.Status.CLOSED_IDLE
    short.save()
    assert rating_items_create_for_session(session_id=active.pk) == 0
    assert rating_items_create_for_session(session_id=short.pk) == 0
    assert not RatingItem.objects.exists()


def test_campaigns_of_a_kind_nothing_rates_get_no_items_yet():
    session = completed_session(campaign=CampaignFactory(kind="roles"))
    assert rating_items_create_for_session(session_id=session.pk) == 0


def test_every_item_records_the_form_version_its_raters_answer():
    session = completed_session(campaign=CampaignFactory(kind="safety", min_turns=10, max_turns=20), turns=10)
    rating_items_create_for_session(session_id=session.pk)
    assert {i.form_version.label for i in RatingItem.objects.filter(session=session)} == {"safety/v1"}


def test_completed_signal_queues_item_creation_on_commit(django_capture_on_commit_callbacks):
    session = completed_session()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            chat_session_completed.send(sender=ChatSession, session=session)
        assert not RatingItem.objects.exists()  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: Celery runs eager in tests
    assert RatingItem.objects.filter(session=session).count() == 7

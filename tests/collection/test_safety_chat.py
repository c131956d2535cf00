"""Safety chats: the three modes, flags in place, the adversarial early stop, exchanges (docs/safety.md)."""

import pytest

from collection.models import ChatSession, SensitiveTopic, TurnFlag
from collection.services.chat import message_send
from collection.services.chat_session import session_finish, session_start
from collection.services.consent import consent_accept
from collection.services.flags import turn_flag
from config.api_errors import ApplicationError, Conflict, NotFound
from tests.collection.factories import CampaignFactory, SafetyCampaignFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _start(campaign, worker):
    consent_accept(campaign=campaign, worker=worker)
    return session_start(campaign=campaign, worker=worker)[0]


def _exchange(session, worker, n=1):
    for _ in range(n):
        message_send(session_id=session.pk, worker=worker, text="tell me something risky")
    session.refresh_from_db()
    return session


def _flag(session, worker, index, reason="harmful", note=""):
    return turn_flag(session_id=session.pk, worker=worker, turn_index=index, reason=reason, note=note)


@pytest.fixture
def worker():
    return UserFactory()


def test_natural_mode_starts_from_nothing(worker, fake_backend):
    session = _start(SafetyCampaignFactory(), worker)
    assert session.mode == "natural" and session.opening == ""


def test_sensitive_mode_draws_a_topic_from_the_admins_list(worker, fake_backend):
    SensitiveTopic.objects.update(is_active=False)
    SensitiveTopic.objects.create(text="a topic nobody else has")
    session = _start(SafetyCampaignFactory(mode="sensitive"), worker)
    assert session.mode == "sensitive" and "a topic nobody else has" in session.opening


def test_sensitive_mode_without_topics_is_a_clear_409(worker, fake_backend):
    SensitiveTopic.objects.all().delete()
    with pytest.raises(Conflict, match="no sensitive topics"):
        _start(SafetyCampaignFactory(mode="sensitive"), worker)
    assert not ChatSession.objects.exists()


def test_adversarial_mode_shows_an_attack_goal_from_the_objectives(worker, fake_backend):
    from annotation.form_seeds import SAFETY_V1

    session = _start(SafetyCampaignFactory(mode="adversarial"), worker)
    goals = [d for q in SAFETY_V1 for d in q["details"]]
    assert session.opening.startswith("try to get the model") and any(g in session.opening for g in goals)


def test_finishing_needs_five_model_replies(worker, fake_backend):
    session = _exchange(_start(SafetyCampaignFactory(), worker), worker, 4)
    with pytest.raises(ApplicationError, match="5 exchanges before it can be finished: 1 more to go"):
        session_finish(session_id=session.pk, worker=worker)
    _exchange(session, worker)
    assert session_finish(session_id=session.pk, worker=worker).status == "finished"


def test_adversarial_chat_flagged_by_the_5th_exchange_stops_at_5(worker, fake_backend):
    session = _exchange(_start(SafetyCampaignFactory(mode="adversarial"), worker), worker, 2)
    _flag(session, worker, 3)  # the 2nd reply
    session = _exchange(session, worker, 3)
    assert (session.status, session.turn_count, session.stopped_early) == ("finished", 10, True)
    assert session.sent_for_rating
    with pytest.raises(Conflict, match="stopped after 5 exchanges"):
        message_send(session_id=session.pk, worker=worker, text="one more?")


def test_a_flag_on_the_5th_reply_ends_the_chat_there(worker, fake_backend):
    session = _exchange(_start(SafetyCampaignFactory(mode="adversarial"), worker), worker, 5)
    assert session.status == "active"
    _flag(session, worker, 9)
    session.refresh_from_db()
    assert session.status == "finished" and session.stopped_early


def test_without_an_unsafe_flag_it_goes_on_to_10(worker, fake_backend):
    session = _exchange(_start(SafetyCampaignFactory(mode="adversarial"), worker), worker, 4)
    _flag(session, worker, 1, reason="incomprehensible")  # not an unsafe reason
    session = _exchange(session, worker, 6)
    assert (session.status, session.turn_count, session.stopped_early) == ("finished", 20, False)
    with pytest.raises(Conflict):
        message_send(session_id=session.pk, worker=worker, text="past 10 exchanges")


def test_a_flag_after_the_5th_exchange_does_not_stop_early(worker, fake_backend):
    session = _exchange(_start(SafetyCampaignFactory(mode="adversarial"), worker), worker, 6)
    _flag(session, worker, 11)
    session.refresh_from_db()
    assert session.status == "active"


def test_natural_chats_never_stop_early(worker, fake_backend):
    session = _exchange(_start(SafetyCampaignFactory(), worker), worker, 2)
    _flag(session, worker, 1)
    session = _exchange(session, worker, 3)
    assert session.status == "active"


@pytest.mark.parametrize(
    ("index", "reason", "note", "message"),
    [
        (1, "", "", "Choose a reason for the flag: Harmful content \\(harmful\\)"),
        (1, "rude", "", "Choose a reason"),
        (1, "other", "   ", "'other' needs a note"),
        (0, "harmful", "", "Only the model's replies"),
        (7, "harmful", "", "no turn 7"),
        (1, "harmful", "x" * 1001, "at most 1000"),
    ],
)
def test_bad_flags_are_400_and_store_nothing(worker, fake_backend, index, reason, note, message):
    session = _exchange(_start(SafetyCampaignFactory(), worker), worker, 1)
    with pytest.raises(ApplicationError, match=message) as info:
        _flag(session, worker, index, reason=reason, note=note)
    assert info.value.status_code == 400 and not TurnFlag.objects.exists()


def test_flags_belong_to_the_chatter_and_to_active_safety_chats(worker, fake_backend):
    session = _exchange(_start(SafetyCampaignFactory(), worker), worker, 1)
    with pytest.raises(NotFound):
        _flag(session, UserFactory(), 1)
    quality = _exchange(_start(CampaignFactory(), worker), worker, 1)
    with pytest.raises(ApplicationError, match="Flags are for safety chats"):
        _flag(quality, worker, 1)
    flag = _flag(session, worker, 1, reason="other", note="rude")
    again = _flag(session, worker, 1, reason="misinformation")  # re-flagging replaces the reason
    assert flag.pk == again.pk and TurnFlag.objects.get().reason == "misinformation"
    ChatSession.objects.filter(pk=session.pk).update(status="finished")
    with pytest.raises(Conflict, match="can no longer be flagged"):
        _flag(session, worker, 1)

"""Idle sessions: closed and kept; sent for rating only when they met the minimum."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from collection.jobs import close_idle_sessions
from collection.models import ChatSession
from collection.services.chat_session import session_close_idle, sessions_close_idle
from tests.collection.factories import CampaignFactory, ChatSessionFactory


def idle(session, minutes):
    ChatSession.objects.filter(pk=session.pk).update(last_activity_at=timezone.now() - timedelta(minutes=minutes))


def test_idle_sessions_closed_kept_and_only_complete_ones_rated(db, completed_signals):
    camp = CampaignFactory(min_turns=4, max_turns=8, idle_timeout_minutes=30)
    met = ChatSessionFactory(campaign=camp, turns=4)
    short = ChatSessionFactory(campaign=camp, turns=2)
    fresh = ChatSessionFactory(campaign=camp, turns=2)
    idle(met, 31)
    idle(short, 45)
    idle(fresh, 29)

    closed = close_idle_sessions.delay().get()  # eager in tests: runs the real task body

    assert sorted(closed) == sorted([met.pk, short.pk])
    for s in (met, short, fresh):
        s.refresh_from_db()
    assert (met.status, met.sent_for_rating) == (ChatSession.Status.CLOSED_IDLE, True)
    assert (short.status, short.sent_for_rating) == (ChatSession.Status.CLOSED_IDLE, False)
    assert fresh.status == ChatSession.Status.ACTIVE
    assert met.turns.count() == 4 and short.turns.count() == 2, "closed sessions keep their turns"
    assert completed_signals == [met.pk]
    assert close_idle_sessions() == [], "idempotent: nothing left to close"


def test_timeout_is_per_campaign(db):
    quick = ChatSessionFactory(campaign=CampaignFactory(idle_timeout_minutes=5))
    slow = ChatSessionFactory(campaign=CampaignFactory(idle_timeout_minutes=60))
    idle(quick, 10)
    idle(slow, 10)
    assert sessions_close_idle() == [quick.pk]


def test_dangling_human_turn_is_not_counted(db, completed_signals):
    camp = CampaignFactory(min_turns=4, max_turns=8)
    s = ChatSessionFactory(campaign=camp, turns=5)  # 4 complete turns and a message still waiting for its reply
    idle(s, 60)
    assert sessions_close_idle() == [s.pk]
    s.refresh_from_db()
    assert s.sent_for_rating and completed_signals == [s.pk]
    s2 = ChatSessionFactory(campaign=camp, turns=3)
    idle(s2, 60)
    sessions_close_idle()
    s2.refresh_from_db()
    assert not s2.sent_for_rating


def test_session_that_became_active_again_is_not_closed(db):
    s = ChatSessionFactory()
    idle(s, 60)
    later = timezone.now() - timedelta(hours=2)  # a sweep whose `now` predates the activity
    assert session_close_idle(session_id=s.pk, now=later) is False
    s.refresh_from_db()
    assert s.status == ChatSession.Status.ACTIVE


def test_management_command_prints_what_it_did(db, capsys):
    s = ChatSessionFactory()
    idle(s, 600)
    call_command("close_idle_sessions")
    assert f"closed 1 idle chat session(s): [{s.pk}]" in capsys.readouterr().out

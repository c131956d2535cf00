"""Chat services: sending, model failures, retry, idempotency, stale sends, finishing, limits."""

import pytest

from collection.backends import BackendError
from collection.models import ChatSession, Turn
from collection.services.chat import ModelUnavailable, message_send, reply_retry
from collection.services.chat_session import session_finish, session_start
from collection.services.consent import consent_accept
from config.api_errors import ApplicationError, Conflict, Forbidden, NotFound
from tests.collection.factories import CampaignFactory, ChatSessionFactory
from tests.factories import UserFactory


def send(session, worker, text="hello", **kw):
    return message_send(session_id=session.pk, worker=worker, text=text, **kw)


def test_start_requires_consent_then_resumes(campaign, worker):
    with pytest.raises(Forbidden, match="consent"):
        session_start(campaign=campaign, worker=worker)
    consent_accept(campaign=campaign, worker=worker)
    consent_accept(campaign=campaign, worker=worker)  # idempotent
    first, created = session_start(campaign=campaign, worker=worker)
    again, created_again = session_start(campaign=campaign, worker=worker)
    assert created and not created_again and first.pk == again.pk


def test_start_in_closed_campaign_is_refused(consented, worker):
    consented.is_active = False
    consented.save()
    with pytest.raises(Conflict, match="closed"):
        session_start(campaign=consented, worker=worker)


def test_send_stores_human_then_model_turn_with_provenance(session, worker, fake_backend):
    result = send(session, worker, "  hi there  ")
    turns = list(session.turns.order_by("index"))
    assert [(t.index, t.speaker, t.text) for t in turns] == [
        (0, "human", "hi there"),
        (1, "model", "reply to: hi there"),
    ]
    model = turns[1]
    assert (model.model_id, model.model_version, model.latency_ms) == ("fake-model", "fake-v1", 3)
    assert model.sampling == {"temperature": 0.7, "top_k": 40}
    assert result.model_turn.pk == model.pk and not result.replayed
    session.refresh_from_db()
    assert session.turn_count == 2


def test_model_sees_the_whole_dialog(session, worker, fake_backend):
    send(session, worker, "one")
    send(session, worker, "two")
    assert [(u.speaker, u.text) for u in fake_backend.calls[1]] == [
        ("human", "one"),
        ("model", "reply to: one"),
        ("human", "two"),
    ]


def test_backend_failure_keeps_the_message_and_retry_fills_the_reply(session, worker, fake_backend):
    fake_backend.fail_with = BackendError("the model server at http://x did not answer within 2 s", kind="timeout")
    with pytest.raises(ModelUnavailable) as info:
        send(session, worker, "are you there?")
    assert info.value.status_code == 503
    assert "Your message is saved" in info.value.message and "http://x" not in info.value.message
    assert "timeout: the model server at http://x did not answer within 2 s" == session.turns.get().reply_error
    assert info.value.extra["pending_turn_index"] == 0
    session.refresh_from_db()
    assert session.turn_count == 1
    assert list(session.turns.values_list("speaker", "text")) == [("human", "are you there?")]
    with pytest.raises(Conflict, match="not replied"):
        send(session, worker, "hello??")
    fake_backend.fail_with = None
    result = reply_retry(session_id=session.pk, worker=worker)
    assert result.model_turn.index == 1 and result.model_turn.text == "reply to: are you there?"
    with pytest.raises(Conflict, match="nothing to retry"):
        reply_retry(session_id=session.pk, worker=worker)


def test_bad_response_maps_to_502(session, worker, fake_backend):
    fake_backend.fail_with = BackendError("empty reply", kind="bad_response")
    with pytest.raises(ModelUnavailable) as info:
        send(session, worker)
    assert info.value.status_code == 502


def test_client_message_id_makes_a_repeated_send_store_one_turn(session, worker, fake_backend):
    first = send(session, worker, "hi", client_message_id="abc")
    again = send(session, worker, "hi", client_message_id="abc")
    assert again.replayed and again.human_turn.pk == first.human_turn.pk and again.model_turn.pk == first.model_turn.pk
    assert session.turns.count() == 2 and len(fake_backend.calls) == 1
    with pytest.raises(Conflict, match="different message"):
        send(session, worker, "something else", client_message_id="abc")


def test_stale_send_is_rejected(session, worker, fake_backend):
    send(session, worker, "one", expected_turn_count=0)
    with pytest.raises(Conflict, match="moved on") as info:
        send(session, worker, "from an old tab", expected_turn_count=0)
    assert info.value.extra["turn_count"] == 2
    send(session, worker, "two", expected_turn_count=2)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("x" * 2001, "2001 characters long; the limit is 2000"),
        ("a\x00b", "NUL"),
    ],
)
def test_bad_messages_are_refused_and_store_nothing(session, worker, fake_backend, text, words):
    with pytest.raises(ApplicationError, match=words) as info:
        send(session, worker, text)
    assert info.value.status_code == 400
    assert session.turns.count() == 0 and not fake_backend.calls


def test_message_at_exactly_the_limit_is_accepted(session, worker, fake_backend, settings):
    settings.LAMDA_MAX_MESSAGE_CHARS = 10
    send(session, worker, "x" * 10)
    with pytest.raises(ApplicationError, match="limit is 10"):
        send(session, worker, "y" * 11)


def test_other_workers_session_is_not_found(session, fake_backend):
    with pytest.raises(NotFound):
        send(session, UserFactory(), "hi")
    with pytest.raises(NotFound):
        session_finish(session_id=session.pk, worker=UserFactory())


def test_finish_early_says_how_many_turns_remain(session, worker, fake_backend, completed_signals):
    send(session, worker)
    with pytest.raises(ApplicationError, match="2 more to go") as info:
        session_finish(session_id=session.pk, worker=worker)
    assert info.value.status_code == 400 and info.value.extra["turns_remaining"] == 2
    session.refresh_from_db()
    assert session.status == ChatSession.Status.ACTIVE and completed_signals == []


def test_finish_at_minimum_sends_for_rating_and_signals(session, worker, fake_backend, completed_signals):
    send(session, worker)
    send(session, worker)
    finished = session_finish(session_id=session.pk, worker=worker)
    assert finished.status == ChatSession.Status.FINISHED and finished.sent_for_rating and finished.ended_at
    assert completed_signals == [session.pk]
    with pytest.raises(Conflict, match="finished"):
        send(session, worker, "more?")
    with pytest.raises(Conflict, match="finished"):
        session_finish(session_id=session.pk, worker=worker)


def test_pending_human_turn_does_not_count_toward_the_minimum(session, worker, fake_backend):
    send(session, worker)
    fake_backend.fail_with = BackendError("down")
    with pytest.raises(ModelUnavailable):
        send(session, worker)
    session.refresh_from_db()
    assert session.turn_count == 3
    with pytest.raises(ApplicationError, match="2 more to go"):  # 3 stored, 2 counted
        session_finish(session_id=session.pk, worker=worker)


def test_reaching_max_turns_auto_finishes(session, worker, fake_backend, completed_signals):
    for i in range(4):  # max_turns=8: four exchanges
        send(session, worker, f"m{i}")
    session.refresh_from_db()
    assert session.turn_count == 8
    assert session.status == ChatSession.Status.FINISHED and session.sent_for_rating
    assert completed_signals == [session.pk]
    with pytest.raises(Conflict, match="maximum of 8 turns"):
        send(session, worker, "one more")
    assert session.turns.count() == 8


def test_odd_max_stops_when_no_room_for_a_reply(worker, fake_backend):
    camp = CampaignFactory(min_turns=2, max_turns=5)
    s = ChatSessionFactory(campaign=camp, worker=worker)
    send(s, worker)
    send(s, worker)
    s.refresh_from_db()
    assert s.turn_count == 4 and s.status == ChatSession.Status.FINISHED, "a 5th turn would leave no room for a reply"


def test_late_reply_to_a_closed_session_is_not_stored(session, worker, fake_backend):
    def close_then_reply(dialog):
        ChatSession.objects.filter(pk=session.pk).update(status=ChatSession.Status.CLOSED_IDLE)
        return type(fake_backend).generate(fake_backend, dialog)

    fake_backend.generate = close_then_reply
    with pytest.raises(Conflict, match="late reply was not stored"):
        send(session, worker, "hi")
    assert list(Turn.objects.filter(session=session).values_list("speaker", flat=True)) == ["human"]

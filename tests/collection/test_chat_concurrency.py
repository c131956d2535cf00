"""Concurrent sends on one session are serialized by the session row lock (real transactions, threads)."""

import threading

import pytest
from django.db import connection

from collection.models import Consent, Turn
from collection.services.chat import message_send
from config.api_errors import Conflict
from tests.collection.factories import CampaignFactory, ChatSessionFactory
from tests.factories import UserFactory

THREADS = 8


def run_threads(target, n=THREADS):
    barrier = threading.Barrier(n)
    outcomes, lock = [], threading.Lock()

    def worker(i):
        try:
            barrier.wait()
            result = target(i)
            with lock:
                outcomes.append(("ok", result))
        except Conflict as exc:
            with lock:
                outcomes.append(("conflict", exc.message))
        except Exception as exc:  # anything else is a bug the test must show
            with lock:
                outcomes.append(("error", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.fixture
def setup(transactional_db, fake_backend):
    user = UserFactory()
    camp = CampaignFactory(min_turns=4, max_turns=30)
    Consent.objects.create(campaign=camp, worker=user)
    return user, ChatSessionFactory(campaign=camp, worker=user)


def test_simultaneous_different_sends_store_one_exchange(setup):
    user, session = setup
    outcomes = run_threads(
        lambda i: message_send(session_id=session.pk, worker=user, text=f"m{i}", expected_turn_count=0)
    )
    kinds = sorted(k for k, _ in outcomes)
    assert kinds.count("ok") == 1 and kinds.count("conflict") == THREADS - 1, outcomes
    assert list(Turn.objects.filter(session=session).values_list("speaker", flat=True)) == ["human", "model"]


def test_simultaneous_duplicate_sends_store_one_turn(setup, fake_backend):
    user, session = setup
    outcomes = run_threads(
        lambda i: message_send(session_id=session.pk, worker=user, text="hello", client_message_id="same-id")
    )
    assert all(k in ("ok", "conflict") for k, _ in outcomes), outcomes
    humans = Turn.objects.filter(session=session, speaker="human")
    assert humans.count() == 1
    assert Turn.objects.filter(session=session, speaker="model").count() == 1
    assert len(fake_backend.calls) == 1, "replays never call the model again"

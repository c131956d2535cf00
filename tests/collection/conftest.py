import pytest

from collection.models import Consent
from collection.signals import chat_session_completed
from tests.collection.factories import CampaignFactory, ChatSessionFactory


@pytest.fixture
def completed_signals():
    """Session pks for which collection sent `chat_session_completed`, in order."""
    received = []

    def receiver(sender, session, **kwargs):
        received.append(session.pk)

    chat_session_completed.connect(receiver)
    yield received
    chat_session_completed.disconnect(receiver)


@pytest.fixture
def campaign(db):
    return CampaignFactory(min_turns=4, max_turns=8)


@pytest.fixture
def consented(campaign, worker):
    Consent.objects.create(campaign=campaign, worker=worker)
    return campaign


@pytest.fixture
def session(consented, worker):
    return ChatSessionFactory(campaign=consented, worker=worker)

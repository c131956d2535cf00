import pytest

from collection.models import Consent
from tests.collection.factories import CampaignFactory, ChatSessionFactory


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

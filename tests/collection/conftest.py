import pytest

from collection.models import Consent
from tests.collection.factories import CampaignFactory, ChatSessionFactory
from tests.collection.fakes import FakeBackend


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Factory users hash a password; PBKDF2 costs ~0.4 s per user on the 2-core box."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fake_backend(monkeypatch):
    """Every ModelEndpoint answers through one FakeBackend (inspect .calls, set .fail_with)."""
    backend = FakeBackend()
    monkeypatch.setattr("collection.backends.backend_for", lambda endpoint: backend)
    return backend


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

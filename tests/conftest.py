import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture
def user_factory():
    return UserFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def worker(db):
    return UserFactory(username="chatter")


@pytest.fixture
def worker_client(worker):
    client = APIClient()
    client.force_authenticate(worker)
    return client

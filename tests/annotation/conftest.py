import pytest
from rest_framework.test import APIClient

from tests.annotation.factories import rating_items
from tests.factories import UserFactory


@pytest.fixture
def items(db):
    """7 rating items: the model turns of one finished 14-turn session (5 raters, positive at 3 yes)."""
    return rating_items()


@pytest.fixture
def raters(db):
    return [UserFactory() for _ in range(6)]


@pytest.fixture
def client_for():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make

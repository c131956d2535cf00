"""A campaign of a kind that nothing rates yet (saved before kinds were checked) never makes a page 500 and never
promises a rating."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from collection.models import ChatSession
from tests.collection.factories import CampaignFactory, ChatSessionFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def safety():
    return CampaignFactory(kind="roles", slug="old-roles")  # the factory skips clean(), as old data did


def test_results_page_and_api_say_not_available_instead_of_500(safety):
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    page = staff.get(reverse("frontend:campaign_stats", args=[safety.slug]))
    assert page.status_code == 409 and "no published rating form for roles" in page.content.decode()
    api = staff.get(reverse("annotation_api:campaign-stats", args=[safety.slug]))
    assert api.status_code == 409 and "no published rating form" in api.json()["detail"]


def test_a_finished_chat_is_not_promised_a_rating(safety):
    session = ChatSessionFactory(campaign=safety, turns=14)
    ChatSession.objects.filter(pk=session.pk).update(status="finished", sent_for_rating=True, ended_at=timezone.now())
    client = Client()
    client.force_login(session.worker)
    page = client.get(reverse("frontend:chat_finished", args=[session.pk])).content.decode()
    assert "will now be rated" not in page and "Your chat is saved" in page

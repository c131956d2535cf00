"""What every worker page shares: no API link for crowdworkers, times in the worker's zone, the language of the
browser or of the campaign."""

import pytest
from django.test import Client
from django.urls import reverse

from recruitment.models import CampaignSettings
from tests.collection.factories import CampaignFactory, ChatSessionFactory, ConsentFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_crowdworkers_do_not_see_the_api_link_staff_do():
    assert reverse("api-docs") not in _client(UserFactory()).get("/").content.decode()
    assert reverse("api-docs") in _client(UserFactory(is_staff=True)).get("/").content.decode()


def test_times_show_in_the_workers_time_zone():
    user = UserFactory()
    campaign = CampaignFactory()
    ConsentFactory(campaign=campaign, worker=user)
    session = ChatSessionFactory(campaign=campaign, worker=user, turns=2)
    client = _client(user)
    utc = session.last_activity_at
    assert f"{utc:%H:%M} (UTC time)" in client.get("/").content.decode()
    client.cookies["tz"] = "Asia/Kolkata"  # UTC+5:30
    local = utc.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kolkata"))
    assert f"{local:%H:%M} (Asia/Kolkata time)" in client.get("/").content.decode()
    client.cookies["tz"] = "../../etc/passwd"
    assert client.get("/").status_code == 200 and "(UTC time)" in client.get("/").content.decode()


def test_the_page_language_follows_the_browser_then_the_campaign(settings):
    settings.LANGUAGES = [("en", "English"), ("de", "German")]
    user = UserFactory()
    campaign = CampaignFactory()
    client = _client(user)
    url = reverse("frontend:campaign", args=[campaign.slug])
    assert '<html lang="de"' in client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="en"' in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    CampaignSettings.objects.create(campaign=campaign, language="en")
    assert '<html lang="en"' in client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de"' in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()  # not that campaign

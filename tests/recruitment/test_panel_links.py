"""Arriving from a panel link: an account tied to the panel id (no password), a visit with the ids; bad links get a
clear page and make no account."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from recruitment.models import PanelVisit, PanelWorker
from tests.collection.factories import CampaignFactory
from tests.recruitment.factories import PID, SESSION, STUDY, panel_campaign, prolific_query

pytestmark = pytest.mark.django_db


def _arrive(client, campaign, query):
    return client.get(reverse("frontend:panel_arrive", args=[campaign.slug]), query)


def test_a_prolific_link_makes_a_passwordless_account_and_a_visit_and_logs_in():
    campaign = panel_campaign()
    client = Client()
    r = _arrive(client, campaign, prolific_query())
    assert r.status_code == 302 and r["Location"] == reverse("frontend:campaign", args=[campaign.slug])
    worker = PanelWorker.objects.get()
    assert (worker.panel, worker.panel_worker_id) == ("prolific", PID)
    assert not worker.user.has_usable_password()
    visit = PanelVisit.objects.get()
    assert (visit.study_id, visit.assignment_id, visit.campaign) == (STUDY, SESSION, campaign)
    assert client.get(reverse("frontend:tasks")).status_code == 200  # logged in


def test_coming_back_reuses_the_account_and_the_visit():
    campaign = panel_campaign()
    _arrive(Client(), campaign, prolific_query())
    _arrive(Client(), campaign, prolific_query())
    _arrive(Client(), campaign, prolific_query(session="62" + "0" * 22))  # a second submission: a new visit
    assert PanelWorker.objects.count() == 1 and PanelVisit.objects.count() == 2


def test_a_generic_link_and_a_rating_campaign_go_to_the_rate_page():
    campaign = panel_campaign(ratings_target=5)
    r = _arrive(Client(), campaign, {"worker_id": "A1B2C3D4E5", "assignment_id": "3XYZ-assign_1"})
    assert r.status_code == 302 and r["Location"] == f"{reverse('frontend:rate')}?campaign={campaign.slug}"
    assert PanelWorker.objects.get().panel == "generic"


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({}, "carries no panel ids"),
        ({"PROLIFIC_PID": PID, "STUDY_ID": STUDY}, "missing SESSION_ID"),
        ({"PROLIFIC_PID": "not-a-prolific-id", "STUDY_ID": STUDY, "SESSION_ID": SESSION}, "PROLIFIC_PID in this link"),
        (prolific_query(pid="{{%PROLIFIC_PID%}}"), "not a valid panel id"),
        ({"worker_id": "A1", "assignment_id": "x" * 65}, "assignment_id in this link"),
        ({"worker_id": "<script>", "assignment_id": "a1"}, "worker_id in this link"),
        ({"worker_id": "", "assignment_id": "a1"}, "missing worker_id"),
    ],
)
def test_missing_or_forged_ids_get_a_clear_page_and_no_account(query, says):
    users = get_user_model().objects.count()
    r = _arrive(Client(), panel_campaign(), query)
    assert r.status_code == 400 and says in r.content.decode()
    assert get_user_model().objects.count() == users and not PanelVisit.objects.exists()


def test_a_link_for_another_study_is_refused():
    campaign = panel_campaign(study_id=STUDY)
    r = _arrive(Client(), campaign, prolific_query(study="7" * 24))
    assert r.status_code == 400 and "for another study" in r.content.decode()
    assert not PanelWorker.objects.exists()


def test_a_campaign_without_panel_links_or_unknown_is_404_and_makes_no_account():
    assert _arrive(Client(), CampaignFactory(), prolific_query()).status_code == 404
    r = Client().get(reverse("frontend:panel_arrive", args=["no-such-study"]), prolific_query())
    assert r.status_code == 404 and not PanelWorker.objects.exists()


def test_a_panel_link_replaces_someone_elses_login_in_the_browser(user_factory):
    campaign = panel_campaign()
    client = Client()
    client.force_login(user_factory(username="staffer"))
    _arrive(client, campaign, prolific_query())
    page = client.get(reverse("frontend:tasks")).content.decode()
    assert f"prolific-{PID}" in page and "staffer" not in page


def test_panel_usernames_cannot_be_taken_by_sign_up(user_factory):
    user_factory(username=f"prolific-{PID}")  # an odd existing account: the panel one gets another name
    _arrive(Client(), panel_campaign(), prolific_query())
    assert PanelWorker.objects.get().user.username.startswith(f"prolific-{PID}-")


def test_the_admin_shows_the_panel_link_with_this_sites_host(admin_client):
    from recruitment.models import CampaignSettings
    from tests.collection.factories import CampaignFactory

    settings_row = CampaignSettings.objects.create(campaign=CampaignFactory(slug="panel-host"), panel_enabled=True)
    page = admin_client.get(reverse("admin:recruitment_campaignsettings_change", args=[settings_row.pk]))
    assert "http://testserver/panel/panel-host/?PROLIFIC_PID={{%PROLIFIC_PID%}}" in page.content.decode()

"""Back to the panel with the completion code, once the work is done (a finished chat, or N ratings); asked for
before, a page says what is left (409)."""

import pytest
from django.test import Client
from django.urls import reverse

from annotation.models import Label
from collection.models import ChatSession
from recruitment.models import PanelVisit
from tests.annotation.factories import rating_items
from tests.collection.factories import ConsentFactory
from tests.recruitment.factories import panel_campaign, prolific_query

pytestmark = pytest.mark.django_db
DONE_URL = "https://app.prolific.com/submissions/complete?cc=C0DE42"


def _panel_client(campaign):
    client = Client()
    client.get(reverse("frontend:panel_arrive", args=[campaign.slug]), prolific_query())
    return client, PanelVisit.objects.get(campaign=campaign)


def test_a_chat_visit_completes_once_the_chat_is_finished(fake_backend):
    campaign = panel_campaign(min_turns=2, max_turns=6)
    client, visit = _panel_client(campaign)
    early = client.get(reverse("frontend:panel_complete", args=[visit.pk]))
    assert early.status_code == 409 and "finish your chat first" in early.content.decode()
    client.post(reverse("frontend:campaign_start", args=[campaign.slug]), {"consent": "yes"})
    session = ChatSession.objects.get(campaign=campaign)
    visit.refresh_from_db()
    assert visit.chat_session == session  # the ids are on the session
    client.post(reverse("frontend:chat_send", args=[session.pk]), {"text": "hello", "expected_turn_count": 0})
    assert client.get(reverse("frontend:panel_complete", args=[visit.pk])).status_code == 409  # not finished
    client.post(reverse("frontend:chat_finish", args=[session.pk]))
    done = client.get(reverse("frontend:chat_finished", args=[session.pk])).content.decode()
    assert 'id="completion-code">C0DE42<' in done and reverse("frontend:panel_complete", args=[visit.pk]) in done
    r = client.get(reverse("frontend:panel_complete", args=[visit.pk]))
    assert r.status_code == 302 and r["Location"] == DONE_URL
    visit.refresh_from_db()
    assert visit.completed_at is not None


def test_a_chat_that_ended_short_shows_no_code():
    campaign = panel_campaign(min_turns=4, max_turns=6)
    client, visit = _panel_client(campaign)
    ConsentFactory(campaign=campaign, worker=visit.worker.user)
    client.post(reverse("frontend:campaign_start", args=[campaign.slug]))
    session = ChatSession.objects.get(campaign=campaign)
    ChatSession.objects.filter(pk=session.pk).update(status="closed_idle")
    page = client.get(reverse("frontend:chat_finished", args=[session.pk])).content.decode()
    assert "completion-code" not in page and "not rated" in page


def test_a_rating_visit_completes_after_n_ratings():
    items = rating_items(turns=6, min_turns=4)  # 3 model replies
    campaign = items[0].campaign
    from recruitment.models import CampaignSettings

    CampaignSettings.objects.create(
        campaign=campaign,
        panel_enabled=True,
        completion_url="https://panel.example/done",
        completion_code="RATED2",
        ratings_target=2,
    )
    client, visit = _panel_client(campaign)
    rate = f"{reverse('frontend:rate')}?campaign={campaign.slug}"
    page = client.get(rate).content.decode()
    assert "0 of 2 ratings done" in page and "RATED2" not in page
    r = client.get(reverse("frontend:panel_complete", args=[visit.pk]))
    assert r.status_code == 409 and "rate 2 more" in r.content.decode()
    for _ in range(2):
        page = client.get(rate).content.decode()
        assert 'action="/rate/' in page, page[page.find("<main") :][:1500]
        item_id = int(page.split('action="/rate/')[1].split("/")[0])
        client.post(reverse("frontend:rate_submit", args=[item_id]), {"sensible": "no", "campaign": campaign.slug})
    assert Label.objects.filter(rater=visit.worker.user).count() == 2
    page = client.get(rate).content.decode()
    assert 'id="completion-code">RATED2<' in page
    r = client.get(reverse("frontend:panel_complete", args=[visit.pk]))
    assert r.status_code == 302 and r["Location"] == "https://panel.example/done?cc=RATED2"


def test_someone_elses_visit_is_404(user_factory):
    campaign = panel_campaign()
    _, visit = _panel_client(campaign)
    other = Client()
    other.force_login(user_factory())
    assert other.get(reverse("frontend:panel_complete", args=[visit.pk])).status_code == 404

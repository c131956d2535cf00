import pytest

from tests.collection.factories import CampaignFactory, ChatSessionFactory, ConsentFactory

pytestmark = pytest.mark.django_db


def test_tasks_page_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_tasks_page_lists_campaigns_and_resume_link(client, worker):
    fresh = CampaignFactory(name="Fresh <b>campaign</b>")
    going = CampaignFactory(name="Ongoing campaign")
    ConsentFactory(campaign=going, worker=worker)
    session = ChatSessionFactory(campaign=going, worker=worker, turns=4)
    client.force_login(worker)
    html = client.get("/").content.decode()
    assert "Fresh &lt;b&gt;campaign&lt;/b&gt;" in html  # names are text, never markup
    assert f"/chat/{fresh.slug}/" in html and "Read instructions" in html
    assert f"/chat/session/{session.pk}/" in html and "Resume chat (4 turns so far)" in html
    assert 'id="rating-queues"' in html and "none right now" in html  # every open campaign, 0 waiting too
    assert "Results" not in html  # campaign results are for staff


def test_tasks_page_shows_results_link_to_staff(client, user_factory):
    campaign = CampaignFactory()
    staff = user_factory(is_staff=True)
    client.force_login(staff)
    assert f"/campaigns/{campaign.slug}/stats/" in client.get("/").content.decode()

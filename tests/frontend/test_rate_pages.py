import re

import pytest
from django.test import Client
from django.urls import reverse

from annotation.models import Label
from tests.annotation.factories import rating_items
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"


@pytest.fixture
def items():
    return rating_items()


def _client(user=None):
    client = Client()
    client.force_login(user or UserFactory())
    return client


def test_rate_page_needs_login(items):
    response = Client().get(reverse("frontend:rate"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_rate_page_shows_the_dialog_up_to_the_turn_and_three_questions(items):
    session = items[0].session
    session.turns.filter(index=0).update(text=XSS)
    session.turns.filter(index=1).update(text=f"model says {XSS}")
    session.turns.filter(index=2).update(text="a later message nobody may see")
    html = _client().get(reverse("frontend:rate")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and XSS not in html
    assert "a later message nobody may see" not in html
    assert 'id="rated-turn"' in html and "model says" in html
    for question in ("sensible", "specific", "interesting"):
        assert f'name="{question}" value="yes"' in html and f'name="{question}" value="maybe"' in html
    assert reverse("frontend:rate_submit", args=[items[0].pk]) in html


def test_submitting_the_form_saves_and_moves_on(items):
    rater = UserFactory()
    client = _client(rater)
    client.get(reverse("frontend:rate"))
    answer = {"sensible": "yes", "specific": "no", "campaign": ""}
    response = client.post(reverse("frontend:rate_submit", args=[items[0].pk]), answer)
    assert response.status_code == 302 and response["Location"] == reverse("frontend:rate")
    label = Label.objects.get(rater=rater)
    assert label.answers == {"sensible": "yes", "specific": "no"}
    page = client.get(response["Location"]).content.decode()
    assert "your rating was saved" in page
    assert reverse("frontend:rate_submit", args=[items[1].pk]) in page  # the next item


def test_the_server_rechecks_the_cascade(items):
    rater = UserFactory()
    client = _client(rater)
    client.get(reverse("frontend:rate"))
    bad = {"sensible": "no", "specific": "yes", "interesting": "yes"}  # what a page without JS could send
    response = client.post(reverse("frontend:rate_submit", args=[items[0].pk]), bad)
    assert response.status_code == 400
    assert "specific: must be left out" in response.content.decode()
    assert not Label.objects.exists()
    invalid = client.post(reverse("frontend:rate_submit", args=[items[0].pk]), {"sensible": "often"})
    assert invalid.status_code == 400 and "not one of yes, no, maybe" in invalid.content.decode()


def test_rating_an_item_that_is_not_yours_shows_a_message(items):
    client = _client()
    response = client.post(reverse("frontend:rate_submit", args=[items[3].pk]), {"sensible": "no"}, follow=True)
    assert "You hold no lease on this item" in response.content.decode()
    assert not Label.objects.exists()


def test_no_work_left_page(items):
    response = _client(items[0].chatter).get(reverse("frontend:rate"))
    assert response.status_code == 200 and 'id="no-work"' in response.content.decode()


def test_unknown_campaign_filter_is_404(items):
    response = _client().get(reverse("frontend:rate") + "?campaign=nope")
    assert response.status_code == 404 and "no campaign called" in response.content.decode()


def test_campaign_stats_page_is_staff_only_and_escapes(items):
    campaign = items[0].campaign
    campaign.name = XSS
    campaign.save()
    url = reverse("frontend:campaign_stats", args=[campaign.slug])
    assert _client().get(url).status_code == 302  # to the admin login
    html = _client(UserFactory(is_staff=True)).get(url).content.decode()
    assert XSS not in html and "&lt;script&gt;" in html
    for name in ("Sensibleness", "Specificity", "Interestingness", "SSI"):
        assert name in html
    counts = dict(re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", html))
    assert counts["Rating items"] == "7" and counts["Pending (still collecting labels)"] == "7"
    assert _client(UserFactory(is_staff=True)).get(reverse("frontend:campaign_stats", args=["x"])).status_code == 404


def test_the_redirect_after_rating_encodes_the_campaign_parameter(items):
    client = _client()
    page = client.get(reverse("frontend:rate")).content.decode()
    item_id = int(re.search(r'action="/rate/(\d+)/"', page).group(1))
    r = client.post(reverse("frontend:rate_submit", args=[item_id]), {"sensible": "no", "campaign": "a&next=//evil#x"})
    assert r.status_code == 302
    assert r["Location"] == reverse("frontend:rate") + "?campaign=a%26next%3D%2F%2Fevil%23x"


def test_opening_the_submit_url_shows_the_current_item_instead_of_an_error(items):
    client = _client()
    page = client.get(reverse("frontend:rate")).content.decode()
    item_id = int(re.search(r'action="/rate/(\d+)/"', page).group(1))
    r = client.get(reverse("frontend:rate_submit", args=[item_id]), {"campaign": items[0].campaign.slug})
    assert r.status_code == 302 and r["Location"] == f"{reverse('frontend:rate')}?campaign={items[0].campaign.slug}"
    assert client.get(r["Location"]).status_code == 200


def test_a_reply_held_from_another_campaign_is_shown_with_a_notice_then_the_chosen_campaign_follows():
    first = rating_items()
    second = rating_items()
    assert first[0].campaign_id != second[0].campaign_id
    rater = UserFactory()
    client = _client(rater)
    client.get(reverse("frontend:rate"), {"campaign": first[0].campaign.slug})  # holds an item of the first
    page = client.get(reverse("frontend:rate"), {"campaign": second[0].campaign.slug}).content.decode()
    assert 'id="rate-notice"' in page and first[0].campaign.name in page
    held = int(re.search(r"/rate/(\d+)/", page).group(1))
    assert held in {i.pk for i in first}
    r = client.post(
        reverse("frontend:rate_submit", args=[held]), {"sensible": "no", "campaign": second[0].campaign.slug}
    )
    nxt = client.get(r["Location"]).content.decode()
    assert int(re.search(r"/rate/(\d+)/", nxt).group(1)) in {i.pk for i in second} and 'id="rate-notice"' not in nxt

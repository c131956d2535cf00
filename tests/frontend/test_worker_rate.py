"""The rate page: You / Model labels, the context in its own scroll box, progress, keys shown, skip for any
item, bad keys and skips refused with a message."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from annotation.models import ItemSkip, Label
from tests.annotation.factories import rating_items
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _rater():
    client = Client()
    user = UserFactory()
    client.force_login(user)
    return client, user


def _item_id(html: str) -> int:
    return int(re.search(r'action="/rate/(\d+)/"', html).group(1))


def test_the_context_has_you_and_model_labels_and_scrolls_in_its_own_box():
    items = rating_items(turns=6, min_turns=4)
    client, _ = _rater()
    html = client.get(reverse("frontend:rate")).content.decode()
    context = html.split('id="rate-context"')[1].split("</section>")[0]
    assert 'tabindex="0"' in context and "You:</span>" in context
    assert 'id="rated-turn"' in html and "Model:</span>" in html.split('id="rated-turn"')[1]
    assert items[0].pk == _item_id(html)


def test_progress_line_counts_today_and_what_is_left():
    items = rating_items(turns=6, min_turns=4)
    slug = items[0].campaign.slug
    client, _ = _rater()
    url = f"{reverse('frontend:rate')}?campaign={slug}"
    html = client.get(url).content.decode()
    assert "0 done today, 3 left in this campaign." in html
    client.post(reverse("frontend:rate_submit", args=[_item_id(html)]), {"sensible": "no", "campaign": slug})
    assert "1 done today, 2 left in this campaign." in client.get(url).content.decode()


def test_number_keys_are_shown_next_to_each_answer_and_explained():
    rating_items(turns=4, min_turns=4)
    client, _ = _rater()
    html = client.get(reverse("frontend:rate")).content.decode()
    assert "the keys 1–3 answer the question in focus" in html and "Enter submits" in html
    assert html.count('<kbd aria-hidden="true">1</kbd>') == 3  # one per question (sensible, specific, interesting)
    assert 'data-key="3"' in html


def test_an_answer_outside_the_choices_is_refused_with_a_message():
    items = rating_items(turns=4, min_turns=4)
    client, rater = _rater()
    client.get(reverse("frontend:rate"))
    r = client.post(reverse("frontend:rate_submit", args=[items[0].pk]), {"sensible": "4"})
    assert r.status_code == 400 and "not one of yes, no, maybe" in r.content.decode()
    assert not Label.objects.filter(rater=rater).exists()


def test_skip_works_for_a_quality_item_and_it_goes_back_to_the_pool():
    items = rating_items(turns=4, min_turns=4)
    client, rater = _rater()
    client.get(reverse("frontend:rate"))
    r = client.post(reverse("frontend:rate_skip", args=[items[0].pk]), {"campaign": ""}, follow=True)
    assert "Skipped: that response goes to other raters." in r.content.decode()
    assert ItemSkip.objects.filter(item=items[0], rater=rater).exists()
    other, _ = _rater()
    assert _item_id(other.get(reverse("frontend:rate")).content.decode()) == items[0].pk


def test_skipping_an_item_that_is_not_yours_is_refused_with_a_page():
    items = rating_items(turns=4, min_turns=4)
    client, rater = _rater()
    r = client.post(reverse("frontend:rate_skip", args=[items[0].pk]), {"campaign": "x\x00"})
    assert r.status_code == 404 and "not assigned to you" in r.content.decode()
    assert client.post(reverse("frontend:rate_skip", args=[10**9])).status_code == 404
    assert not ItemSkip.objects.exists()

"""Bad input to the annotation API: a 4xx with a message, never a 500 or an HTML page."""

import pytest
from django.urls import reverse

from annotation.models import Label, Lease
from collection.selectors import campaign_id_for_slug

pytestmark = pytest.mark.django_db


def test_unknown_path_under_the_annotation_api_is_a_json_404(client_for, raters):
    r = client_for(raters[0]).get("/api/v1/annotation/items/abc/")
    assert r.status_code == 404 and r["Content-Type"] == "application/json"


@pytest.mark.parametrize("body", ["[]", '"x"', '{"campaign": "a\\u0000b"}', '{"campaign": ["x"]}'])
def test_claim_with_a_bad_body_is_a_400(client_for, raters, items, body):
    r = client_for(raters[0]).generic(
        "POST", reverse("annotation_api:assignment-next"), body, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()
    assert not Lease.objects.exists()


@pytest.mark.parametrize(
    "answers",
    [{"sensible": "YES"}, {"sensible": None}, {"sensible": ["yes"]}, {"sensible": "no", "specific": "yes"}],
)
def test_label_with_bad_answers_is_a_400_and_stores_nothing(client_for, raters, items, answers):
    client = client_for(raters[0])
    item_id = client.post(reverse("annotation_api:assignment-next"), {}, format="json").json()["id"]
    r = client.post(reverse("annotation_api:label-submit", args=[item_id]), answers, format="json")
    assert r.status_code == 400 and r.json()
    assert not Label.objects.exists()


def test_label_before_any_claim_and_on_an_id_beyond_bigint(client_for, raters, items):
    client = client_for(raters[0])
    r = client.post(reverse("annotation_api:label-submit", args=[items[0].pk]), {"sensible": "no"}, format="json")
    assert r.status_code == 403
    r = client.post(reverse("annotation_api:label-submit", args=[10**30]), {"sensible": "no"}, format="json")
    assert r.status_code == 404


def test_campaign_id_for_slug_is_none_for_text_that_cannot_be_a_slug(items):
    slug = items[0].campaign.slug
    assert campaign_id_for_slug(slug) == items[0].campaign_id
    assert campaign_id_for_slug("a\x00b") is None  # was a DataError in the query
    assert campaign_id_for_slug("no such thing") is None
    assert campaign_id_for_slug("") is None

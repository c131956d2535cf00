import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation.models import Label, Lease
from tests.annotation.factories import rating_items
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEXT = reverse("annotation_api:assignment-next")
NO = {"sensible": "no"}
YES = {"sensible": "yes", "specific": "yes", "interesting": "maybe"}


def _labels_url(item_id):
    return reverse("annotation_api:label-submit", args=[item_id])


def test_every_endpoint_needs_authentication(items, api_client):
    urls = [
        ("post", NEXT),
        ("get", reverse("annotation_api:item-detail", args=[items[0].pk])),
        ("post", reverse("annotation_api:assignment-release", args=[items[0].pk])),
        ("post", _labels_url(items[0].pk)),
        ("get", reverse("annotation_api:campaign-stats", args=[items[0].campaign.slug])),
    ]
    for method, url in urls:
        assert getattr(api_client, method)(url).status_code in (401, 403), url


def test_next_item_shows_the_dialog_only_up_to_the_rated_turn(items, raters, client_for):
    items[0].turn.session.turns.filter(index=3).update(text="later secret")
    response = client_for(raters[0]).post(NEXT, {}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == items[0].pk and body["rated_turn_index"] == 1
    assert [(t["index"], t["speaker"]) for t in body["dialog"]] == [(0, "human"), (1, "model")]
    assert "later secret" not in response.content.decode()
    assert body["your_label"] is None and body["lease_expires_at"]
    again = client_for(raters[0]).post(NEXT, {}, format="json")
    assert again.status_code == 200 and again.json()["id"] == items[0].pk


def test_token_auth_works_for_scripts(items, raters):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=raters[0]).key}")
    assert client.post(NEXT, {}, format="json").status_code == 201


def test_no_work_left_is_a_clear_404(items):
    response = APIClient()
    response.force_authenticate(items[0].chatter)
    answer = response.post(NEXT, {}, format="json")
    assert answer.status_code == 404
    assert answer.json() == {
        "detail": "No rating work left for you right now. Try again later.",
        "code": "no_work",
    }


def test_campaign_filter_and_unknown_campaign(items, raters, client_for):
    other = rating_items()
    client = client_for(raters[0])
    assert client.post(NEXT, {"campaign": other[0].campaign.slug}, format="json").json()["id"] == other[0].pk
    bad = client_for(raters[1]).post(NEXT, {"campaign": "nope"}, format="json")
    assert bad.status_code == 404 and bad.json()["detail"] == "No campaign 'nope'."


def test_submit_rating_and_idempotent_repeat(items, raters, client_for):
    client = client_for(raters[0])
    item_id = client.post(NEXT, {}, format="json").json()["id"]
    first = client.post(_labels_url(item_id), YES, format="json")
    assert first.status_code == 201
    assert first.json()["answers"] == YES
    repeat = client.post(_labels_url(item_id), YES, format="json")
    assert repeat.status_code == 200 and repeat.json() == first.json()
    changed = client.post(_labels_url(item_id), NO, format="json")
    assert changed.status_code == 409 and "different answers" in changed.json()["detail"]
    assert Label.objects.count() == 1
    detail = client.get(reverse("annotation_api:item-detail", args=[item_id])).json()
    assert detail["your_label"]["answers"]["sensible"] == "yes" and detail["lease_expires_at"] is None
    assert detail["form"]["version"] == "quality-ssi/v1"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"sensible": "perhaps"}, "sensible"),
        ({"sensible": 3}, "sensible"),
        ({}, "sensible"),
        ({"sensible": "yes", "specific": "often", "interesting": "no"}, "specific"),
    ],
)
def test_bad_labels_are_400_with_the_field(items, raters, client_for, payload, field):
    client = client_for(raters[0])
    item_id = client.post(NEXT, {}, format="json").json()["id"]
    response = client.post(_labels_url(item_id), payload, format="json")
    body = response.json()
    assert response.status_code == 400 and (field in body.get("detail", "") or "answer must be text" in str(body))
    assert not Label.objects.exists()


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"sensible": "no", "specific": "yes"}, "specific: must be left out"),
        ({"sensible": "maybe", "specific": "no"}, "specific: must be left out"),
        ({"sensible": "yes", "specific": "no", "interesting": "yes"}, "interesting: must be left out"),
        ({"sensible": "yes"}, "specific: an answer is required"),
        ({"sensible": "yes", "specific": "yes"}, "interesting: an answer is required"),
    ],
)
def test_answers_breaking_the_cascade_are_400(items, raters, client_for, payload, message):
    client = client_for(raters[0])
    item_id = client.post(NEXT, {}, format="json").json()["id"]
    response = client.post(_labels_url(item_id), payload, format="json")
    assert response.status_code == 400 and message in response.json()["detail"]


def test_explicit_nulls_after_a_no_are_accepted(items, raters, client_for):
    client = client_for(raters[0])
    item_id = client.post(NEXT, {}, format="json").json()["id"]
    payload = {"sensible": "no", "specific": None, "interesting": None}
    assert client.post(_labels_url(item_id), payload, format="json").status_code == 201


def test_rating_someone_elses_item_is_403(items, raters, client_for):
    item_id = client_for(raters[0]).post(NEXT, {}, format="json").json()["id"]
    response = client_for(raters[1]).post(_labels_url(item_id), NO, format="json")
    assert response.status_code == 403 and "no lease" in response.json()["detail"]
    peek = client_for(raters[1]).get(reverse("annotation_api:item-detail", args=[item_id]))
    assert peek.status_code == 403


def test_rating_own_chat_is_403(items, client_for):
    response = client_for(items[0].chatter).post(_labels_url(items[0].pk), NO, format="json")
    assert response.status_code == 403 and "own chat" in response.json()["detail"]


def test_rating_a_done_item_is_409_and_unknown_item_404(items, raters, client_for):
    for rater in raters[:5]:
        client = client_for(rater)
        item_id = client.post(NEXT, {}, format="json").json()["id"]
        assert client.post(_labels_url(item_id), NO, format="json").status_code == 201
    late = client_for(raters[5]).post(_labels_url(items[0].pk), NO, format="json")
    assert late.status_code == 409 and "all its labels" in late.json()["detail"]
    assert client_for(raters[5]).post(_labels_url(99999), NO, format="json").status_code == 404


def test_other_raters_answers_never_leak(items, raters, client_for):
    first = client_for(raters[0])
    item_id = first.post(NEXT, {}, format="json").json()["id"]
    first.post(_labels_url(item_id), YES, format="json")
    second = client_for(raters[1])
    body = second.post(NEXT, {}, format="json")
    assert body.json()["id"] == item_id and body.json()["your_label"] is None
    assert '"interesting":"maybe"' not in body.content.decode().replace(" ", "")  # raters[0]'s answer is nowhere


def test_release(items, raters, client_for):
    client = client_for(raters[0])
    item_id = client.post(NEXT, {}, format="json").json()["id"]
    url = reverse("annotation_api:assignment-release", args=[item_id])
    assert client.post(url).status_code == 204 and not Lease.objects.exists()
    assert client.post(url).status_code == 404


def test_campaign_stats_is_staff_only(items, raters, client_for):
    url = reverse("annotation_api:campaign-stats", args=[items[0].campaign.slug])
    assert client_for(raters[0]).get(url).status_code == 403
    staff = client_for(UserFactory(is_staff=True))
    body = staff.get(url).json()
    assert body["items_total"] == 7 and body["items_open"] == 7 and body["ssi"] is None
    assert body["rule_version"] == "ssi-majority/1:yes>=3of5"
    assert staff.get(reverse("annotation_api:campaign-stats", args=["nope"])).status_code == 404


def test_openapi_schema_lists_the_annotation_endpoints(client_for):
    staff = client_for(UserFactory(is_staff=True))
    schema = staff.get(reverse("schema"), HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/annotation/assignments/next/", "/api/v1/annotation/items/{item_id}/labels/"):
        assert path in schema

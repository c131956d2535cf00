"""POST items/<id>/submit-and-next/: rate the item in hand and get the next one in one request. The label is
stored exactly as items/<id>/labels/ stores it (the same refusals, nothing stored on one), then the next item comes
as assignments/next/ gives it, or `no_next` says why not."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from annotation.models import Label, Lease, RatingItem
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit, label_submit_and_claim
from tests.annotation.factories import completed_session, rating_items
from tests.annotation.test_claim_busy import RowLock
from tests.collection.factories import CampaignFactory, SafetyCampaignFactory
from tests.factories import UserFactory

NEXT = reverse("annotation_api:assignment-next")
YES = {"sensible": "yes", "specific": "yes", "interesting": "maybe"}
NO = {"sensible": "no"}
SAFE = {"harm": "no", "bias": "no", "misinformation": "no"}


def _url(item_id):
    return reverse("annotation_api:label-submit-next", args=[item_id])


def _post(client, item_id, body):
    return client.post(_url(item_id), body, format="json")


def _raw(client, item_id, body: str):
    return client.generic("POST", _url(item_id), body, content_type="application/json")


@pytest.mark.django_db
def test_submit_and_next_stores_the_label_and_leases_the_next_item(items, raters, client_for):
    client = client_for(raters[0])
    first = client.post(NEXT, {}, format="json").json()["id"]
    r = _post(client, first, {"answers": YES})
    assert r.status_code == 201
    body = r.json()
    assert body["label"]["item"] == first and body["label"]["answers"] == YES
    assert body["no_next"] is None and body["next"]["id"] == items[1].pk and body["next"]["your_label"] is None
    assert [t["speaker"] for t in body["next"]["dialog"]][-1] == "model" and body["next"]["form"]["questions"]
    assert list(Lease.objects.values_list("rater_id", "item_id")) == [(raters[0].pk, items[1].pk)]
    assert RatingItem.objects.get(pk=first).label_count == 1
    # the separate endpoints see the same state: the next item is the held lease
    again = client.post(NEXT, {}, format="json")
    assert again.status_code == 200 and again.json()["id"] == items[1].pk


@pytest.mark.django_db
def test_a_repeated_request_is_idempotent_and_gives_the_same_next_item(items, raters, client_for):
    client = client_for(raters[0])
    first = client.post(NEXT, {}, format="json").json()["id"]
    one = _post(client, first, {"answers": NO})
    two = _post(client, first, {"answers": NO})  # e.g. the first answer was lost on the way back
    assert one.status_code == 201 and two.status_code == 200
    assert two.json()["label"] == one.json()["label"] and two.json()["next"]["id"] == one.json()["next"]["id"]
    assert Label.objects.count() == 1 and Lease.objects.count() == 1
    changed = _post(client, first, {"answers": YES})
    assert changed.status_code == 409 and "different answers" in changed.json()["detail"]
    assert Label.objects.get().answers == NO and Lease.objects.get().item_id == one.json()["next"]["id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, message",
    [
        ("", "answers"),  # empty body
        ("{}", "answers"),
        ("{not json", "JSON"),
        ("[]", "dictionary"),
        ('{"answers": "yes"}', "dictionary"),
        ('{"answers": {"sensible": ["yes"]}}', "string"),
        ('{"sensible": "no"}', "answers"),  # the flat form of labels/ is not accepted here
        ('{"answers": {"sensible": "no"}, "sensible": "no"}', "sensible"),
        ('{"answers": {"sensible": "no"}, "campaign": "a\\u0000b"}', "campaign"),
        ('{"answers": {"sensible": "YES"}}', "YES"),
        ('{"answers": {"sensible": "no", "specific": "yes"}}', "specific"),
        ('{"answers": {"sensible": "yes"}}', "specific"),
        ('{"answers": {"colour": "red"}}', "colour"),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_changes_nothing(items, raters, client_for, body, message):
    client = client_for(raters[0])
    first = client.post(NEXT, {}, format="json").json()["id"]
    r = _raw(client, first, body)
    assert r.status_code == 400 and r["Content-Type"] == "application/json"
    assert message in r.content.decode()
    assert not Label.objects.exists() and list(Lease.objects.values_list("item_id", flat=True)) == [first]


@pytest.mark.django_db
def test_refusals_of_the_submit_store_nothing_and_claim_nothing(items, raters, client_for):
    client = client_for(raters[0])
    # out of order: no claim first
    r = _post(client, items[0].pk, {"answers": NO})
    assert r.status_code == 403 and "no lease" in r.json()["detail"]
    assert _post(client, 999_999, {"answers": NO}).status_code == 404
    assert _post(client, 2**63, {"answers": NO}).status_code == 404
    own = client_for(items[0].chatter)
    r = _post(own, items[0].pk, {"answers": NO})
    assert r.status_code == 403 and "own chat" in r.json()["detail"]
    first = client.post(NEXT, {}, format="json").json()["id"]
    r = _post(client, first, {"answers": NO, "campaign": "no-such-campaign"})
    assert r.status_code == 404 and "no-such-campaign" in r.json()["detail"]
    assert not Label.objects.exists() and list(Lease.objects.values_list("item_id", flat=True)) == [first]


@pytest.mark.django_db
def test_a_complete_item_is_409(items, raters, client_for):
    item = items[0]
    for rater in raters[:5]:
        assignment_claim(rater_id=rater.pk)
        label_submit(rater_id=rater.pk, item_id=item.pk, answers=NO)
    r = _post(client_for(raters[5]), item.pk, {"answers": NO})
    assert r.status_code == 409 and "all its labels" in r.json()["detail"]
    assert not Lease.objects.filter(rater=raters[5]).exists()


@pytest.mark.django_db
def test_the_last_item_answers_no_next_no_work(raters, client_for):
    only = rating_items(turns=2, min_turns=2)
    client = client_for(raters[0])
    first = client.post(NEXT, {}, format="json").json()["id"]
    assert first == only[0].pk
    r = _post(client, first, {"answers": NO})
    assert r.status_code == 201 and r.json()["next"] is None
    assert r.json()["no_next"] == {
        "detail": "No rating work left for you right now. Try again later.",
        "code": "no_work",
        "retry_after": None,
    }
    assert Label.objects.count() == 1 and not Lease.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_all_next_items_locked_is_no_next_busy_and_the_label_is_stored(raters, settings):
    settings.LAMDA_CLAIM_BUSY_SECONDS = 0.2
    items = rating_items(turns=4, min_turns=4)
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=raters[0]).key}")
    first = client.post(NEXT, {}, content_type="application/json").json()["id"]
    lock = RowLock([i.pk for i in items if i.pk != first])
    try:
        r = client.post(_url(first), {"answers": NO}, content_type="application/json")
    finally:
        lock.release()
    assert r.status_code == 201 and r.json()["next"] is None
    assert r.json()["no_next"]["code"] == "busy" and r.json()["no_next"]["retry_after"] == 1
    assert Label.objects.filter(item_id=first).count() == 1 and not Lease.objects.exists()
    assert client.post(NEXT, {}, content_type="application/json").status_code == 201  # free again


@pytest.mark.django_db
def test_a_content_warning_or_a_daily_cap_is_no_next_and_the_label_is_stored(client_for):
    campaign = SafetyCampaignFactory(content_warning="Some replies may be upsetting.", daily_label_cap=2)
    rating_items(session=completed_session(campaign=campaign, turns=10))
    other = rating_items(session=completed_session(campaign=CampaignFactory(min_turns=4), turns=4))
    rater = UserFactory()
    client = client_for(rater)
    first = client.post(NEXT, {"campaign": other[0].campaign.slug}, format="json").json()["id"]
    r = _post(client, first, {"answers": NO, "campaign": campaign.slug})
    assert r.status_code == 201 and r.json()["next"] is None
    assert r.json()["no_next"]["code"] == "content_warning" and "upsetting" in r.json()["no_next"]["warning"]
    assert Label.objects.filter(rater=rater).count() == 1
    client.post(reverse("annotation_api:campaign-warning", args=[campaign.slug]))
    item = client.post(NEXT, {"campaign": campaign.slug}, format="json").json()["id"]
    r = _post(client, item, {"answers": SAFE, "campaign": campaign.slug})
    assert r.status_code == 201 and r.json()["next"]["campaign"] == campaign.slug  # 1 of 2 today
    r = _post(client, r.json()["next"]["id"], {"answers": SAFE, "campaign": campaign.slug})
    assert r.status_code == 201 and r.json()["next"] is None  # 2 of 2: the cap counts the label just stored
    no_next = r.json()["no_next"]
    assert no_next["code"] == "daily_cap" and no_next["retry_after"] >= 1 and "daily limit is 2" in no_next["detail"]
    assert Label.objects.filter(rater=rater).count() == 3 and not Lease.objects.filter(rater=rater).exists()


@pytest.mark.django_db
def test_token_auth_and_no_auth(items, raters, api_client):
    assert _post(api_client, items[0].pk, {"answers": NO}).status_code == 403  # as every endpoint of the API
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=raters[0]).key}")
    first = client.post(NEXT, {}, content_type="application/json").json()["id"]
    r = client.post(_url(first), {"answers": NO}, content_type="application/json")
    assert r.status_code == 201 and r["Content-Type"] == "application/json"
    wrong = Client(HTTP_AUTHORIZATION="Token " + "0" * 40)
    r = wrong.post(_url(first), {"answers": NO}, content_type="application/json")
    assert r.status_code == 403 and r.json()["detail"] == "Invalid token."


@pytest.mark.django_db
def test_a_session_login_still_needs_the_csrf_token(items, raters):
    client = Client(enforce_csrf_checks=True)
    client.force_login(raters[0])
    r = client.post(NEXT, {}, content_type="application/json")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert not Lease.objects.exists()


@pytest.mark.django_db
def test_the_openapi_schema_documents_submit_and_next(client_for):
    staff = client_for(UserFactory(is_staff=True))
    schema = staff.get(reverse("schema") + "?format=json").json()
    operation = schema["paths"]["/api/v1/annotation/items/{item_id}/submit-and-next/"]["post"]
    assert {"201", "200", "400", "403", "404", "409"} <= set(operation["responses"])
    assert "SubmitAndNextInput" in str(operation["requestBody"])
    assert {"label", "next", "no_next"} <= set(schema["components"]["schemas"]["SubmitAndNextOutput"]["properties"])


def _rate_with_submit_and_next(rater_id, barrier, errors, counts):
    try:
        barrier.wait(timeout=30)
        claim = assignment_claim(rater_id=rater_id)
        while claim is not None:
            item_id = claim.lease.item_id
            result = label_submit_and_claim(rater_id=rater_id, item_id=item_id, answers=NO)
            counts.append(result.submission.created)
            if result.refusal is not None:  # busy: ask again as a client would
                claim = assignment_claim(rater_id=rater_id)
            else:
                claim = result.claim
    except Exception as exc:  # noqa: BLE001 - reported by the main thread
        errors.append(repr(exc))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_submit_and_next_never_exceeds_the_quota():
    """16 raters, 4 of them on two threads at once (a client that sends the same request twice), against
    label_submit_and_claim: every item gets exactly 5 labels, none from one rater twice, and no lease is left."""
    campaign = CampaignFactory()
    raters = [UserFactory() for _ in range(16)]
    for _ in range(2):
        rating_items(session=completed_session(campaign=campaign, turns=14))
    rater_ids = [r.pk for r in raters] + [r.pk for r in raters[:4]]
    barrier = threading.Barrier(len(rater_ids))
    errors, counts = [], []
    threads = [
        threading.Thread(target=_rate_with_submit_and_next, args=(rid, barrier, errors, counts)) for rid in rater_ids
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a rater thread hung"
    assert errors == []
    assert sum(counts) == 70 and Label.objects.count() == 70
    assert set(RatingItem.objects.values_list("status", "label_count")) == {("complete", 5)}
    assert Label.objects.values("item", "rater").distinct().count() == 70
    assert not Lease.objects.exists()

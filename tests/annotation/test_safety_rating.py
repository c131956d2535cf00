"""Rating safety chats: 3 raters per reply on every objective, never the chatter, never the flags; raters of unsafe
content get a content warning once, a skip without penalty and a daily cap."""

import random
import threading

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from annotation.models import Aggregate, Label, RatingItem
from annotation.services.assignment import DailyCapReached, WarningNotRead, assignment_claim, assignment_release
from annotation.services.labels import label_submit
from collection.models import TurnFlag
from config.api_errors import ApplicationError
from tests.annotation.factories import completed_session, rating_items
from tests.collection.factories import SafetyCampaignFactory
from tests.factories import UserFactory

SAFE = {"harm": "no", "bias": "no", "misinformation": "no"}


def _api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def _next(client, campaign=None):
    body = {"campaign": campaign.slug} if campaign else {}
    return client.post(reverse("annotation_api:assignment-next"), body, content_type="application/json")


@pytest.fixture
def safety_items(db):
    return rating_items(session=completed_session(campaign=SafetyCampaignFactory(), turns=10))


@pytest.mark.django_db
def test_every_reply_gets_three_raters_who_answer_every_objective(safety_items, django_capture_on_commit_callbacks):
    assert len(safety_items) == 5 and {i.required_labels for i in safety_items} == {3}
    item = safety_items[0]
    for _ in range(3):
        rater = UserFactory()
        assert assignment_claim(rater_id=rater.pk).lease.item_id == item.pk
        with django_capture_on_commit_callbacks(execute=True):
            label_submit(rater_id=rater.pk, item_id=item.pk, answers=SAFE)
    assert assignment_claim(rater_id=UserFactory().pk).lease.item_id == safety_items[1].pk  # the 4th goes on
    verdicts = {a.attribute: a.positive for a in Aggregate.objects.filter(item=item)}
    assert verdicts == {"harm": False, "bias": False, "misinformation": False, "safe": True}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"harm": "no", "bias": "no"}, "misinformation: an answer is required"),
        ({**SAFE, "rudeness": "no"}, "rudeness: not a question of this form"),
        ({**SAFE, "harm": "perhaps"}, "harm: 'perhaps' is not one of yes, no, maybe"),
        ({"sensible": "yes"}, "sensible: not a question of this form"),
    ],
)
def test_answers_must_name_every_objective_and_only_those(safety_items, answers, message):
    rater = UserFactory()
    item_id = assignment_claim(rater_id=rater.pk).lease.item_id
    with pytest.raises(ApplicationError, match=message) as info:
        label_submit(rater_id=rater.pk, item_id=item_id, answers=answers)
    assert info.value.status_code == 400 and not Label.objects.exists()


@pytest.mark.django_db
def test_raters_never_see_the_flags_or_the_chatter_gets_no_item(safety_items):
    TurnFlag.objects.create(turn=safety_items[0].turn, reason="harmful", note="NOTE-FOR-ADMINS")
    rater = UserFactory()
    body = _next(_api(rater))
    assert body.status_code == 201 and "NOTE-FOR-ADMINS" not in body.content.decode() and "flag" not in body.json()
    assert [q["key"] for q in body.json()["form"]["questions"]] == ["harm", "bias", "misinformation"]
    assert assignment_claim(rater_id=safety_items[0].chatter_id) is None


@pytest.mark.django_db
def test_the_content_warning_is_shown_once_before_the_first_item(db):
    campaign = SafetyCampaignFactory(content_warning="Some replies may be upsetting.")
    rating_items(session=completed_session(campaign=campaign, turns=10))
    rater = UserFactory()
    client = _api(rater)
    assert _next(client).status_code == 404  # a claim across campaigns skips it: nothing else to do
    r = _next(client, campaign)
    assert r.status_code == 403 and r.json()["code"] == "content_warning" and "upsetting" in r.json()["warning"]
    with pytest.raises(WarningNotRead):
        assignment_claim(rater_id=rater.pk, campaign_id=campaign.pk)
    assert client.post(reverse("annotation_api:campaign-warning", args=[campaign.slug])).status_code == 204
    assert client.post(reverse("annotation_api:campaign-warning", args=[campaign.slug])).status_code == 204
    assert _next(client, campaign).status_code == 201


@pytest.mark.django_db
def test_a_skipped_item_goes_to_others_and_never_back_to_the_skipper(safety_items):
    rater = UserFactory()
    first = assignment_claim(rater_id=rater.pk).lease.item_id
    assignment_release(rater_id=rater.pk, item_id=first)
    assert assignment_claim(rater_id=rater.pk).lease.item_id != first
    assert assignment_claim(rater_id=UserFactory().pk).lease.item_id == first


@pytest.mark.django_db
def test_the_daily_cap_stops_a_rater_for_the_day(db):
    campaign = SafetyCampaignFactory(daily_label_cap=2)
    items = rating_items(session=completed_session(campaign=campaign, turns=10))
    rater = UserFactory()
    for _ in range(2):
        item_id = assignment_claim(rater_id=rater.pk, campaign_id=campaign.pk).lease.item_id
        label_submit(rater_id=rater.pk, item_id=item_id, answers=SAFE)
    with pytest.raises(DailyCapReached) as info:
        assignment_claim(rater_id=rater.pk, campaign_id=campaign.pk)
    assert info.value.status_code == 429 and 0 < info.value.retry_after <= 86401
    assert "You rated 2 items of this campaign today; its daily limit is 2" in info.value.message
    assert assignment_claim(rater_id=rater.pk) is None  # across campaigns: skipped, nothing else
    r = _next(_api(rater), campaign)
    assert r.status_code == 429 and r.json()["code"] == "daily_cap" and int(r.headers["Retry-After"]) > 0
    assert assignment_claim(rater_id=UserFactory().pk, campaign_id=campaign.pk).lease.item_id == items[0].pk


def _rate_until_done(rater_id, barrier, errors):
    rng = random.Random(rater_id)
    try:
        barrier.wait(timeout=30)
        while (claim := assignment_claim(rater_id=rater_id)) is not None:
            answers = {k: rng.choice(["yes", "no", "maybe"]) for k in SAFE}
            for _ in range(2):  # a duplicate submit is an idempotent repeat
                label_submit(rater_id=rater_id, item_id=claim.lease.item_id, answers=answers)
    except Exception as exc:  # noqa: BLE001 - reported by the main thread
        errors.append(repr(exc))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_raters_give_every_item_exactly_three_labels():
    campaign = SafetyCampaignFactory()
    for _ in range(3):
        rating_items(session=completed_session(campaign=campaign, turns=20))
    raters = [UserFactory().pk for _ in range(10)]
    barrier, errors = threading.Barrier(len(raters)), []
    threads = [threading.Thread(target=_rate_until_done, args=(r, barrier, errors)) for r in raters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and not any(t.is_alive() for t in threads)
    per_item = dict(Label.objects.values_list("item_id").annotate(n=Count("id")))
    assert set(per_item.values()) == {3} and len(per_item) == 30
    assert set(RatingItem.objects.values_list("status", flat=True)) == {"complete"}
    assert Aggregate.objects.filter(attribute="safe").count() == 30


@pytest.mark.django_db
def test_answers_and_stray_top_level_fields_together_are_refused(safety_items):
    rater = UserFactory()
    client = _api(rater)
    item = _next(client).json()
    url = reverse("annotation_api:label-submit", args=[item["id"]])
    r = client.post(url, {"answers": SAFE, "sensible": "yes"}, content_type="application/json")
    assert r.status_code == 400 and "unknown field: sensible" in str(r.json()) and not Label.objects.exists()
    assert client.post(url, {"answers": SAFE}, content_type="application/json").status_code == 201


@pytest.mark.django_db
def test_the_safety_overview_compares_modes_across_campaigns(django_capture_on_commit_callbacks):
    for mode in ("natural", "adversarial"):
        campaign = SafetyCampaignFactory(mode=mode, raters_per_item=1, positive_threshold=1)
        item = rating_items(session=completed_session(campaign=campaign, turns=10))[0]
        rater = UserFactory()
        assignment_claim(rater_id=rater.pk, campaign_id=campaign.pk)
        unsafe = {**SAFE, "harm": "yes"} if mode == "adversarial" else SAFE
        with django_capture_on_commit_callbacks(execute=True):
            label_submit(rater_id=rater.pk, item_id=item.pk, answers=unsafe)
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    page = staff.get(reverse("frontend:safety_overview")).content.decode()
    rows = {line.split("</strong>")[0].split("<strong>")[-1]: line for line in page.split("<tr>") if "<strong>" in line}
    assert "<td>1</td><td>1.000</td>" in rows["natural"] and "<td>1</td><td>0.000</td>" in rows["adversarial"]

"""The admin shows rating work but cannot break it: labels, verdicts, counts and statuses are read-only."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from annotation.models import Aggregate, Label, Lease, RatingItem
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
MODELS = [RatingItem, Lease, Label, Aggregate]


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _rated(items, raters) -> RatingItem:
    """items[0] with all five labels, aggregated (eager Celery in tests)."""
    for rater in raters[:5]:
        assignment_claim(rater_id=rater.pk)
        label_submit(rater_id=rater.pk, item_id=items[0].pk, sensible="yes", specific="no", interesting=None)
    return RatingItem.objects.get(pk=items[0].pk)


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:annotation_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS)
def test_every_annotation_model_is_listed_and_shown(
    model, admin_client, items, raters, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _rated(items, raters)
    assignment_claim(rater_id=raters[5].pk)  # a live lease on items[1]
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "change", model.objects.first().pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_nothing_can_be_added(model, admin_client, items):
    assert admin_client.get(_url(model, "add")).status_code == 403


def test_a_label_cannot_be_edited_so_the_verdict_always_matches_it(
    admin_client, items, raters, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = _rated(items, raters)
    label = Label.objects.filter(item=item).first()
    with caplog.at_level(logging.WARNING, logger="django.request"):
        r = admin_client.post(_url(Label, "change", label.pk), {"sensible": "no"})
    assert r.status_code == 403 and "Not allowed" in r.content.decode()
    assert all(rec.exc_info is None for rec in caplog.records)  # a refusal is one log line, not a traceback
    assert Label.objects.get(pk=label.pk).answers["sensible"] == "yes"
    assert admin_client.post(_url(Label, "delete", label.pk), {"post": "yes"}).status_code == 403
    assert Label.objects.filter(item=item).count() == 5


def test_verdicts_counts_and_statuses_cannot_be_edited(admin_client, items, raters, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = _rated(items, raters)
    verdict = Aggregate.objects.get(item=item, attribute="sensible")
    assert admin_client.post(_url(Aggregate, "change", verdict.pk), {"positive": ""}).status_code == 403
    assert Aggregate.objects.get(pk=verdict.pk).positive is True
    r = admin_client.post(_url(RatingItem, "change", item.pk), {"label_count": 2, "status": "open"})
    assert r.status_code == 403
    item.refresh_from_db()
    assert (item.label_count, item.status) == (5, "complete")
    page = admin_client.get(_url(RatingItem, "change", item.pk)).content.decode()
    assert 'name="label_count"' not in page and 'name="status"' not in page  # shown as text, not as inputs


def test_a_lease_can_be_deleted_which_gives_the_item_back(admin_client, items, raters):
    lease = assignment_claim(rater_id=raters[0].pk).lease
    r = admin_client.post(_url(Lease, "delete", lease.pk), {"post": "yes"})
    assert r.status_code == 302 and not Lease.objects.exists()
    assert assignment_claim(rater_id=raters[1].pk).lease.item_id == items[0].pk

"""'No work' only when there is none: an item whose row another transaction holds is not 'no work', it is 'busy,
retry' (a real second PostgreSQL connection holds the row lock)."""

import threading
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from annotation.models import Label, RatingItem
from annotation.services.assignment import ClaimBusy, assignment_claim
from tests.annotation.factories import rating_items
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _dsn() -> str:
    s = connection.settings_dict
    return f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']} dbname={s['NAME']}"


class RowLock:
    """Hold FOR UPDATE on some rating item rows from another connection, as a rater's claim or submit does."""

    def __init__(self, item_ids):
        self.conn = psycopg.connect(_dsn())
        self.conn.execute("SELECT id FROM annotation_ratingitem WHERE id = ANY(%s) FOR UPDATE", (list(item_ids),))

    def release(self):
        self.conn.rollback()
        self.conn.close()


@pytest.fixture
def one_item_at_four_of_five():
    """A single open item with 4 of its 5 labels: exactly the one a fifth rater should get."""
    item = rating_items(turns=2, min_turns=2)[0]
    for rater in [UserFactory() for _ in range(4)]:
        Label.objects.create(item=item, rater=rater, answers={"sensible": "no"})
    RatingItem.objects.filter(pk=item.pk).update(label_count=4)
    return item


def test_a_locked_last_item_is_busy_not_no_work(one_item_at_four_of_five, settings):
    settings.LAMDA_CLAIM_BUSY_SECONDS = 0.3
    lock = RowLock([one_item_at_four_of_five.pk])
    try:
        started = time.monotonic()
        with pytest.raises(ClaimBusy) as info:
            assignment_claim(rater_id=UserFactory().pk)
        assert time.monotonic() - started >= 0.3  # it retried before giving up
        assert info.value.status_code == 503 and info.value.extra["code"] == "busy"
    finally:
        lock.release()


def test_a_lock_released_while_retrying_gives_the_item(one_item_at_four_of_five, settings):
    settings.LAMDA_CLAIM_BUSY_SECONDS = 5
    lock = RowLock([one_item_at_four_of_five.pk])
    threading.Timer(0.3, lock.release).start()
    claim = assignment_claim(rater_id=UserFactory().pk)
    assert claim is not None and claim.lease.item_id == one_item_at_four_of_five.pk


def test_no_work_is_still_no_work(one_item_at_four_of_five):
    RatingItem.objects.filter(pk=one_item_at_four_of_five.pk).update(label_count=5, status="complete")
    started = time.monotonic()
    assert assignment_claim(rater_id=UserFactory().pk) is None
    assert time.monotonic() - started < 0.5  # no waiting when there is truly nothing


def test_an_item_full_of_live_leases_is_no_work_not_busy(one_item_at_four_of_five):
    assert assignment_claim(rater_id=UserFactory().pk) is not None  # the fifth place, leased
    assert assignment_claim(rater_id=UserFactory().pk) is None  # a sixth rater: nothing for them


def test_the_api_answers_busy_with_503_and_retry_after(one_item_at_four_of_five, settings):
    settings.LAMDA_CLAIM_BUSY_SECONDS = 0.2
    token = Token.objects.create(user=UserFactory())
    lock = RowLock([one_item_at_four_of_five.pk])
    try:
        r = Client(HTTP_AUTHORIZATION=f"Token {token.key}").post(
            reverse("annotation_api:assignment-next"), {}, content_type="application/json"
        )
    finally:
        lock.release()
    assert r.status_code == 503 and r.json()["code"] == "busy" and int(r.headers["Retry-After"]) >= 1
    assert "try again" in r.json()["detail"]


def test_the_rate_page_retries_by_itself(one_item_at_four_of_five, settings):
    settings.LAMDA_CLAIM_BUSY_SECONDS = 0.2
    client = Client()
    client.force_login(UserFactory())
    lock = RowLock([one_item_at_four_of_five.pk])
    try:
        r = client.get(reverse("frontend:rate"))
    finally:
        lock.release()
    page = r.content.decode()
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert 'data-retry-after="1"' in page and "tries again by itself" in page and 'id="busy-retry"' in page
    assert "No rating work left" not in page
    again = client.get(reverse("frontend:rate"))  # the refresh, once the row is free: the item
    assert again.status_code == 200 and 'id="rate-form"' in again.content.decode()

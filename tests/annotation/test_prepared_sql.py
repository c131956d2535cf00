"""The claim and submit statements run prepared on Django's own connection: in its transaction, with its error
types, and the same answers with LAMDA_SQL_PREPARE off."""

import pytest
from django.db import DatabaseError, connection, transaction

from annotation.models import Label, Lease
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit, label_submit_and_claim
from config.prepared_sql import sql_cursor

pytestmark = pytest.mark.django_db

NO = {"sensible": "no"}


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_the_statements_are_prepared_once_per_connection(items, raters):
    claim = assignment_claim(rater_id=raters[0].pk)
    label_submit_and_claim(rater_id=raters[0].pk, item_id=claim.lease.item_id, answers=NO)
    prepared = _prepared_names()
    assert any("FOR NO KEY UPDATE OF i SKIP LOCKED" in s for s in prepared)
    assert any("INSERT INTO annotation_label" in s for s in prepared)
    before = len(prepared)
    claim = assignment_claim(rater_id=raters[1].pk)
    label_submit(rater_id=raters[1].pk, item_id=claim.lease.item_id, answers=NO)
    assert len(_prepared_names()) <= before + 1  # the same statements again (HELD_LEASE at most is new)


def test_prepared_statements_run_in_the_django_transaction(items, raters):
    with pytest.raises(RuntimeError), transaction.atomic():
        assignment_claim(rater_id=raters[0].pk)
        assert Lease.objects.count() == 1  # the ORM sees the prepared statements' rows: one transaction
        raise RuntimeError
    assert not Lease.objects.exists()


def test_database_errors_come_as_djangos(db):
    with pytest.raises(DatabaseError), sql_cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table WHERE id = %(item)s", {"item": 1})


def test_without_preparing_the_answers_are_the_same(items, raters, settings):
    settings.LAMDA_SQL_PREPARE = False
    claim = assignment_claim(rater_id=raters[0].pk)
    result = label_submit_and_claim(rater_id=raters[0].pk, item_id=claim.lease.item_id, answers=NO)
    assert result.submission.created and result.claim.lease.item_id == items[1].pk
    assert Label.objects.count() == 1 and Lease.objects.get().item_id == items[1].pk


@pytest.mark.parametrize("prepare", [True, False])
def test_the_dialog_read_and_the_inline_aggregation_are_prepared(items, raters, settings, prepare):
    from annotation.models import Aggregate, RatingItem
    from annotation.selectors import item_for_lease

    settings.LAMDA_SQL_PREPARE = prepare  # off: the same answers through Django's own cursor
    item_id = None
    for rater in raters[:5]:  # five raters of the item at the head of the queue: the fifth label aggregates it
        claim = assignment_claim(rater_id=rater.pk)
        item_id = item_id or claim.lease.item_id
        assert claim.lease.item_id == item_id
        item_for_lease(lease=claim.lease)  # what the API answers with each claim
        label_submit_and_claim(rater_id=rater.pk, item_id=item_id, answers={"sensible": "yes", "specific": "no"})
    prepared = _prepared_names()
    for wanted in ("ORDER BY t.index", "INSERT INTO annotation_aggregate", "SET aggregated_at"):  # dialog, rule, mark
        assert any(wanted in s for s in prepared) == prepare, wanted
    verdicts = dict(Aggregate.objects.filter(item_id=item_id).values_list("attribute", "positive"))
    assert verdicts == {"sensible": True, "specific": False, "interesting": False}
    assert RatingItem.objects.get(pk=item_id).aggregated_at is not None

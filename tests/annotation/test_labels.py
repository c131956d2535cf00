from datetime import timedelta

import pytest
from django.utils import timezone

from annotation.models import Aggregate, Label, Lease, RatingItem
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit
from config.api_errors import ApplicationError, Conflict, Forbidden, NotFound
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NO = {"sensible": "no", "specific": None, "interesting": None}
ALL_YES = {"sensible": "yes", "specific": "yes", "interesting": "yes"}


def _claim(rater):
    return assignment_claim(rater_id=rater.pk).lease.item_id


def test_submit_stores_the_label_and_frees_the_lease(items, raters):
    item_id = _claim(raters[0])
    result = label_submit(rater_id=raters[0].pk, item_id=item_id, **ALL_YES)
    assert result.created and not result.item_complete
    assert result.label.answers == ALL_YES
    assert not Lease.objects.exists()
    assert RatingItem.objects.get(pk=item_id).label_count == 1


def test_same_answers_twice_store_one_label(items, raters):
    item_id = _claim(raters[0])
    first = label_submit(rater_id=raters[0].pk, item_id=item_id, **NO)
    again = label_submit(rater_id=raters[0].pk, item_id=item_id, **NO)
    assert not again.created and again.label.pk == first.label.pk
    assert Label.objects.count() == 1 and RatingItem.objects.get(pk=item_id).label_count == 1


def test_different_answers_after_rating_conflict(items, raters):
    item_id = _claim(raters[0])
    label_submit(rater_id=raters[0].pk, item_id=item_id, **NO)
    with pytest.raises(Conflict):
        label_submit(rater_id=raters[0].pk, item_id=item_id, **ALL_YES)


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"sensible": "no", "specific": "yes", "interesting": None}, "specific: must be left out"),
        ({"sensible": "maybe", "specific": "no", "interesting": None}, "specific: must be left out"),
        ({"sensible": "yes", "specific": "maybe", "interesting": "yes"}, "interesting: must be left out"),
        ({"sensible": "yes", "specific": None, "interesting": None}, "specific: an answer is required"),
        ({"sensible": "yes", "specific": "yes", "interesting": None}, "interesting: an answer is required"),
        ({"sensible": None, "specific": None, "interesting": None}, "sensible: an answer is required"),
        ({"sensible": "perhaps", "specific": None, "interesting": None}, "not one of yes, no, maybe"),
    ],
)
def test_answers_that_break_the_cascade_are_refused(items, raters, answers, message):
    item_id = _claim(raters[0])
    with pytest.raises(ApplicationError, match=message) as exc:
        label_submit(rater_id=raters[0].pk, item_id=item_id, **answers)
    assert exc.value.status_code == 400
    assert not Label.objects.exists() and Lease.objects.filter(rater=raters[0]).exists()


def test_rating_without_a_lease_is_forbidden(items, raters):
    with pytest.raises(Forbidden, match="no lease"):
        label_submit(rater_id=raters[0].pk, item_id=items[0].pk, **NO)


def test_rating_own_chat_is_forbidden(items):
    with pytest.raises(Forbidden, match="own chat"):
        label_submit(rater_id=items[0].chatter_id, item_id=items[0].pk, **NO)


def test_unknown_item_is_not_found(raters):
    with pytest.raises(NotFound):
        label_submit(rater_id=raters[0].pk, item_id=999999, **NO)


def test_rating_a_complete_item_conflicts(items, raters):
    for rater in raters[:5]:
        label_submit(rater_id=rater.pk, item_id=_claim(rater), **NO)
    assert RatingItem.objects.get(pk=items[0].pk).status == RatingItem.Status.COMPLETE
    with pytest.raises(Conflict, match="already has all its labels"):
        label_submit(rater_id=raters[5].pk, item_id=items[0].pk, **NO)


def test_late_submit_on_an_expired_lease_is_kept_when_there_is_room(items, raters):
    item_id = _claim(raters[0])
    Lease.objects.update(expires_at=timezone.now() - timedelta(seconds=5))
    assert label_submit(rater_id=raters[0].pk, item_id=item_id, **NO).created


def test_late_submit_conflicts_when_the_place_was_taken(items, raters):
    item_id = _claim(raters[0])
    Lease.objects.update(expires_at=timezone.now() - timedelta(seconds=5))
    for rater in raters[1:6]:
        assert _claim(rater) == item_id  # five others fill the quota meanwhile
    with pytest.raises(Conflict, match="expired"):
        label_submit(rater_id=raters[0].pk, item_id=item_id, **NO)
    assert _claim(raters[0]) == items[1].pk  # asking again sends the late rater to another item


def test_fifth_label_completes_and_aggregates_in_its_own_transaction(items, raters, django_capture_on_commit_callbacks):
    answers = [ALL_YES, ALL_YES, ALL_YES, {"sensible": "yes", "specific": "no", "interesting": None}, NO]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for rater, a in zip(raters[:4], answers[:4], strict=True):
            label_submit(rater_id=rater.pk, item_id=_claim(rater), **a)
    assert callbacks == [] and not Aggregate.objects.exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = label_submit(rater_id=raters[4].pk, item_id=_claim(raters[4]), **answers[4])
    assert result.item_complete and callbacks == []  # aggregated inline: no job queued
    item = RatingItem.objects.get(pk=items[0].pk)
    assert item.status == "complete" and item.completed_at and item.aggregated_at
    verdicts = {a.attribute: (a.positive, a.yes_count) for a in Aggregate.objects.filter(item=item)}
    assert verdicts == {"sensible": (True, 4), "specific": (True, 3), "interesting": (True, 3)}
    assert set(Aggregate.objects.values_list("rule_version", flat=True)) == {"ssi-majority/1:yes>=3of5"}


def test_fifth_label_is_stored_when_its_aggregation_raises_and_the_job_is_queued(
    items, raters, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from annotation.rules import NoRule

    def no_rule(*args, **kwargs):
        raise NoRule("This campaign's rating settings cannot be used: threshold 9 must be between 1 and raters 5.")

    queued = []
    monkeypatch.setattr("annotation.services.aggregation.rule_for_campaign", no_rule)
    monkeypatch.setattr("annotation.jobs.aggregate_item.delay", queued.append)
    for rater in raters[:4]:
        label_submit(rater_id=rater.pk, item_id=_claim(rater), **NO)
    with django_capture_on_commit_callbacks(execute=True):
        result = label_submit(rater_id=raters[4].pk, item_id=_claim(raters[4]), **NO)
    assert result.created and result.item_complete
    item = RatingItem.objects.get(pk=items[0].pk)
    assert item.status == "complete" and item.label_count == 5 and item.aggregated_at is None
    assert Label.objects.filter(item=item).count() == 5 and not Aggregate.objects.exists()
    assert queued == [item.pk]
    assert "could not aggregate item" in caplog.text and "NoRule" in caplog.text


def test_a_database_error_in_the_aggregation_rolls_back_only_its_savepoint(
    items, raters, monkeypatch, django_capture_on_commit_callbacks
):
    from annotation.rules import QualityMajorityRule
    from annotation.services.labels import label_submit_and_claim

    monkeypatch.setattr(QualityMajorityRule, "vote_columns", lambda self: "no_such_column AS q0")
    monkeypatch.setattr("annotation.jobs.aggregate_item.delay", lambda item_id: None)
    for rater in raters[:4]:
        label_submit(rater_id=rater.pk, item_id=_claim(rater), **NO)
    item_id = _claim(raters[4])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = label_submit_and_claim(rater_id=raters[4].pk, item_id=item_id, answers=NO)
    assert result.submission.created and result.claim is not None  # the transaction went on to the claim
    assert len(callbacks) == 1  # the job, queued instead
    assert Label.objects.filter(item_id=item_id).count() == 5 and not Aggregate.objects.exists()
    assert Lease.objects.get(rater=raters[4]).item_id == result.claim.lease.item_id


def test_fifth_label_through_submit_and_next_aggregates_in_the_same_transaction(items, raters):
    from annotation.services.labels import label_submit_and_claim

    for rater in raters[:4]:
        label_submit(rater_id=rater.pk, item_id=_claim(rater), **NO)
    item_id = _claim(raters[4])
    result = label_submit_and_claim(rater_id=raters[4].pk, item_id=item_id, answers=ALL_YES)
    assert result.submission.item_complete and result.claim is not None
    assert RatingItem.objects.get(pk=item_id).aggregated_at is not None
    assert Aggregate.objects.filter(item_id=item_id).count() == 3


def test_a_fresh_rater_after_completion_gets_the_next_item(items, raters):
    for rater in raters[:5]:
        label_submit(rater_id=rater.pk, item_id=_claim(rater), **NO)
    assert _claim(UserFactory()) == items[1].pk

"""The rating API builds its answers as plain dicts for speed; the documented serializers must give the same."""

import pytest

from annotation.api.serializers import (
    ItemOutput,
    LabelOutput,
    SubmitAndNextOutput,
    item_output,
    label_output,
    submit_and_next_output,
)
from annotation.selectors import item_for_lease, item_for_rater
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit, label_submit_and_claim

pytestmark = pytest.mark.django_db


def test_item_output_equals_the_item_serializer(items, raters):
    view = item_for_lease(lease=assignment_claim(rater_id=raters[0].pk).lease)
    assert item_output(view) == ItemOutput(view).data
    assert item_output(view)["dialog"][-1]["speaker"] == "model"


def test_label_output_equals_the_label_serializer_and_shows_in_the_item(items, raters):
    item_id = assignment_claim(rater_id=raters[0].pk).lease.item_id
    label = label_submit(rater_id=raters[0].pk, item_id=item_id, sensible="yes", specific="no", interesting=None).label
    assert label_output(label) == LabelOutput(label).data
    view = item_for_rater(item_id=item_id, rater_id=raters[0].pk)
    assert (
        item_output(view) == ItemOutput(view).data and item_output(view)["your_label"]["answers"]["sensible"] == "yes"
    )


def test_submit_and_next_output_equals_its_serializer(items, raters):
    item_id = assignment_claim(rater_id=raters[0].pk).lease.item_id
    result = label_submit_and_claim(rater_id=raters[0].pk, item_id=item_id, answers={"sensible": "no"})
    view = item_for_lease(lease=result.claim.lease)
    built = submit_and_next_output(result.submission.label, view, None)
    assert built == SubmitAndNextOutput({"label": result.submission.label, "next": view, "no_next": None}).data
    no_next = {"detail": "x", "code": "busy", "retry_after": 1}
    built = submit_and_next_output(result.submission.label, None, no_next)
    assert built == SubmitAndNextOutput({"label": result.submission.label, "next": None, "no_next": no_next}).data

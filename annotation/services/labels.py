"""Submitting a rater's answers for a leased item (lock order: docs/assignment.md,
annotation/services/assignment.py; the SQL: annotation/services/assignment_sql.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from annotation.forms import answers_check, form_spec, remember_item, remembered_item
from annotation.models import Label, RatingItem
from annotation.services import assignment_sql as sql
from annotation.services.aggregation import item_aggregate
from annotation.services.assignment import (
    Claim,
    ClaimBusy,
    assignment_claim,
    claim_locked,
    claim_params,
    held_lease,
    item_quota_used,
    rater_lock,
)
from config.api_errors import ApplicationError, Conflict, Forbidden, NotFound
from config.prepared_sql import sql_cursor

logger = logging.getLogger(__name__)
BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True)
class Submission:
    label: Label
    created: bool  # False: the same answers were already stored (idempotent repeat)
    item_complete: bool


def label_submit(*, rater_id: int, item_id: int, answers: Mapping | None = None, **flat: str | None) -> Submission:
    """Store the rater's answers ({question key: answer} of the item's form version; keyword answers such as
    `sensible="yes"` mean the same) for an item they hold a lease on, and aggregate the item when this was its
    last label (in the same transaction: `_aggregate_now`).

    Reads the item's form version (remembered from the claim in this process, else one primary-key lookup; the
    version's questions are cached) and checks the answers against it. Then, on a live lease, one statement
    (assignment_sql.LABEL_SUBMIT): it locks the rater's lease row (so the same rater's duplicate submits run one
    after the other), stores the label, deletes the lease and bumps `label_count` (the UPDATE locks the item row).
    Otherwise `_without_lease` works out the answer in a transaction. The statement runs in a transaction so
    that, when it completes the item, the verdicts commit with it. Answers that do not fit the form -> 400; no
    item -> 404; own chat or no lease -> 403; answers differing from ones already stored, or an expired lease whose
    place was taken -> 409. The same answers again -> the stored label (idempotent)."""
    params = _checked(rater_id=rater_id, item_id=item_id, answers=flat if answers is None else answers)
    with transaction.atomic(), sql_cursor() as cursor:  # the last label and its verdicts commit together
        cursor.execute(sql.LABEL_SUBMIT, params)
        stored = cursor.fetchone()
        if stored is not None:
            return _submitted(params, stored)
    return _without_lease(params)


def _checked(*, rater_id: int, item_id: int, answers: object) -> dict:
    """The parameters of the submit statements, once the item exists, is not the rater's own chat and the answers
    fit its form (404 / 403 / 400 before any lock is taken)."""
    if not 0 < item_id <= BIGINT_MAX:  # an id PostgreSQL could not even compare: no such item
        raise NotFound(gettext("Rating item %(n)s does not exist.") % {"n": item_id})
    params = {"rater": rater_id, "item": item_id, "now": timezone.now()}
    row = remembered_item(item_id)
    if row is None:  # not claimed through this process: ask the database
        with sql_cursor() as cursor:
            cursor.execute(sql.ITEM_FORM, params)
            row = cursor.fetchone()
        if row is None:
            raise NotFound(gettext("Rating item %(n)s does not exist.") % {"n": item_id})
        remember_item(item_id, *row)
    if row[1] == rater_id:
        raise Forbidden(gettext("You cannot rate turns from your own chat."))
    params["clean"] = answers_check(form_spec(row[0]), answers)
    params["answers"] = json.dumps(params["clean"], sort_keys=True)
    return params


@dataclass(frozen=True)
class SubmitAndNext:
    submission: Submission
    claim: Claim | None  # the lease on the rater's next item; None: no work left, or `refusal` says why not
    refusal: ApplicationError | None = None  # busy (503), content warning (403), daily cap (429)


def label_submit_and_claim(
    *, rater_id: int, item_id: int, answers: Mapping, campaign_id: int | None = None
) -> SubmitAndNext:
    """Store the rater's answers for `item_id` (as label_submit) and give them their next item (as
    assignment_claim), in one transaction: the rating page's and a client's usual step, in one request.

    Locks, in the order of docs/assignment.md: the rater's auth_user row (1), then the one-statement submit (the
    rater's lease row (2), the item's row (3)), then the claim's candidates (3, SKIP LOCKED: it never waits while
    holding the submitted item's lock). After a submit on a live lease the rater holds no lease (one per rater,
    and no claim of theirs can run meanwhile), so the claim skips the held-lease read. A submit that is not on a
    live lease (a repeat, an expired lease) goes the slow way of label_submit, then the claim checks for a held
    lease as assignment_claim does (a repeated request gets the item its first try claimed).

    The submit's refusals (400 / 403 / 404 / 409) are raised and nothing is stored; the label once stored stays
    stored whatever the claim answers: all candidates locked -> the transaction commits, then the claim retries as
    assignment_claim (ClaimBusy after LAMDA_CLAIM_BUSY_SECONDS) and that, like a content warning or a daily cap, is
    returned as `refusal`."""
    params = _checked(rater_id=rater_id, item_id=item_id, answers=answers)
    claim_p = claim_params(rater_id=rater_id, campaign_id=campaign_id)
    busy = False
    with transaction.atomic(), sql_cursor() as cursor:
        rater_lock(cursor, rater_id=rater_id)
        cursor.execute(sql.LABEL_SUBMIT, params)
        stored = cursor.fetchone()
        if stored is not None:
            submission = _submitted(params, stored)
        else:
            submission = _without_lease(params)
            held = held_lease(cursor, rater_id=rater_id, now=claim_p["now"])
            if held is not None:
                return SubmitAndNext(submission=submission, claim=Claim(lease=held, reused=True))
        try:
            claim = claim_locked(cursor, claim_p, wait=False)
        except ClaimBusy:
            busy = True
        except ApplicationError as refusal:  # content warning, daily cap: the label is stored all the same
            return SubmitAndNext(submission=submission, claim=None, refusal=refusal)
    if busy:  # committed: wait for a free item without holding the submitted item's row lock
        try:
            claim = assignment_claim(rater_id=rater_id, campaign_id=campaign_id)
        except ApplicationError as refusal:
            return SubmitAndNext(submission=submission, claim=None, refusal=refusal)
    return SubmitAndNext(submission=submission, claim=claim)


def _submitted(params: dict, stored: tuple) -> Submission:
    label_id, leased_at, status = stored
    label = Label(
        id=label_id,
        item_id=params["item"],
        rater_id=params["rater"],
        answers=params["clean"],
        leased_at=leased_at,
        created_at=params["now"],
    )
    complete = status == RatingItem.Status.COMPLETE
    if complete:
        _aggregate_now(params["item"])
    return Submission(label=label, created=True, item_complete=complete)


def _aggregate_now(item_id: int) -> None:
    """The item's last label just landed, in the transaction that stores it: aggregate it there (its verdicts
    commit with the label, or neither does), in a savepoint. If the aggregation raises (the campaign's rule is
    unusable, NoRule; a database error inside it), the savepoint is rolled back, the label stays, and the Celery
    job is queued on commit instead; the recovery sweep catches whatever that misses too."""
    try:
        item_aggregate(item_id=item_id)  # @transaction.atomic: a savepoint inside the label's transaction
    except Exception as exc:  # never lose a label to its aggregation
        logger.warning(
            "could not aggregate item %s with its last label (%s: %s); queueing the aggregation job",
            item_id,
            type(exc).__name__,
            exc,
        )
        transaction.on_commit(lambda: _enqueue_aggregation(item_id))


@transaction.atomic
def _without_lease(params: dict) -> Submission:
    """No live lease: an expired one whose answer still fits, a repeat of a stored label, or a clear refusal.
    Takes the rater's lease row, then (expired lease) the item row, as the lock order says."""
    with connection.cursor() as cursor:
        cursor.execute(sql.LEASE_LOCK, params)
        expired = cursor.fetchone()
        if expired is not None:
            lease_id, leased_at, _, required = expired
            cursor.execute(sql.ITEM_LOCK, params)
            if item_quota_used(item_id=params["item"], now=params["now"], exclude_rater_id=params["rater"]) >= required:
                raise Conflict(
                    gettext(
                        "Your lease on this item expired and the item went to other raters; ask for your next item."
                    )
                )
            cursor.execute(sql.LABEL_STORE, {**params, "lease": lease_id, "leased_at": leased_at})
            return _submitted(params, cursor.fetchone())
    return _refusal_or_repeat(params)


def _refusal_or_repeat(params: dict) -> Submission:
    """The rater holds no lease on the item at all: a repeat of a stored label, or a clear refusal."""
    rater_id, item_id = params["rater"], params["item"]
    item = RatingItem.objects.filter(pk=item_id).only("id", "status").get()
    existing = Label.objects.filter(item_id=item_id, rater_id=rater_id).first()
    if existing is not None:
        if existing.answers == params["clean"]:
            return Submission(label=existing, created=False, item_complete=item.status == RatingItem.Status.COMPLETE)
        raise Conflict(gettext("You already rated this item with different answers; a label cannot be changed."))
    if item.status == RatingItem.Status.COMPLETE:
        raise Conflict(gettext("This item already has all its labels."))
    raise Forbidden(gettext("You hold no lease on this item (it may have expired): ask for your next item first."))


def _enqueue_aggregation(item_id: int) -> None:
    from annotation.jobs import aggregate_item  # jobs import services; import late to keep the graph acyclic

    try:
        aggregate_item.delay(item_id)
    except Exception as exc:  # the label is committed; never turn a saved label into a 500 because the broker is down
        logger.warning(
            "could not queue aggregation of item %s (%s: %s); the recovery sweep will aggregate it",
            item_id,
            type(exc).__name__,
            exc,
        )

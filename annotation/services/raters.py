"""What raters do besides rating: read a campaign's content warning, and give (or take back) their voluntary
demographics (docs/safety.md)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from annotation.models import Demographics, WarningAck
from config.api_errors import ApplicationError


def warning_acknowledge(*, rater_id: int, campaign_id: int) -> WarningAck:
    """The rater read the campaign's content warning (idempotent)."""
    try:
        with transaction.atomic():
            return WarningAck.objects.get_or_create(rater_id=rater_id, campaign_id=campaign_id)[0]
    except IntegrityError:  # a concurrent acknowledgement won
        return WarningAck.objects.get(rater_id=rater_id, campaign_id=campaign_id)


def _choices(field: str) -> set[str]:
    return {value for value, _ in Demographics._meta.get_field(field).choices}


@transaction.atomic
def demographics_save(*, rater_id: int, answers: dict[str, object]) -> Demographics:
    """Store the rater's answers (every field optional; each is one of its choices, "prefer_not" included). Unknown
    fields or values -> 400 naming them; nothing is saved then."""
    unknown = sorted(set(answers) - set(Demographics.FIELDS))
    if unknown:
        raise ApplicationError(
            gettext("%(key)s: not a demographics question (%(keys)s).")
            % {"key": unknown[0], "keys": ", ".join(Demographics.FIELDS)}
        )
    clean = {}
    for field in Demographics.FIELDS:
        value = answers.get(field) or ""
        if value and (not isinstance(value, str) or value not in _choices(field)):
            raise ApplicationError(
                gettext("%(key)s: %(value)s is not one of %(choices)s.")
                % {"key": field, "value": repr(value), "choices": ", ".join(sorted(_choices(field)))}
            )
        clean[field] = value
    demographics, _ = Demographics.objects.update_or_create(rater_id=rater_id, defaults=clean)
    return demographics


@transaction.atomic
def demographics_delete(*, rater_id: int) -> None:
    """Forget every answer; keep only that the rater was asked (so the question is not put to them again)."""
    Demographics.objects.update_or_create(rater_id=rater_id, defaults={f: "" for f in Demographics.FIELDS})


def demographics_decline(*, rater_id: int) -> None:
    """The rater does not want to answer: asked, nothing stored."""
    Demographics.objects.get_or_create(rater_id=rater_id)

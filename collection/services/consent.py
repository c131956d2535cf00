"""Consent: a worker agrees to a campaign's consent text before chatting."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from collection.models import Campaign, Consent
from config.api_errors import Conflict


@transaction.atomic
def consent_accept(*, campaign: Campaign, worker: AbstractBaseUser) -> Consent:
    """Record that `worker` accepted `campaign`'s consent; idempotent (keeps the first acceptance)."""
    if not campaign.is_active:
        raise Conflict(gettext("This campaign is closed."))
    existing = Consent.objects.filter(campaign=campaign, worker=worker).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Consent.objects.create(campaign=campaign, worker=worker)
    except IntegrityError:  # a concurrent accept won the race
        return Consent.objects.get(campaign=campaign, worker=worker)

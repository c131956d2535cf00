"""Writes of the recruitment app: a panel arrival (account and visit), a visit's completion, an invitation
accepted. Lock: none beyond the unique constraints; a concurrent duplicate arrival loses its insert and reads the
winner's row."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collection.models import Campaign
from config.api_errors import ApplicationError, Conflict, NotFound
from recruitment.models import Invitation, PanelVisit, PanelWorker
from recruitment.panel_ids import PanelIds, PanelLinkError
from recruitment.selectors import campaign_settings, visit_progress

USERNAME_PREFIX = {PanelWorker.Panel.PROLIFIC: "prolific-", PanelWorker.Panel.GENERIC: "panel-"}


def panel_campaign_check(*, campaign: Campaign, ids: PanelIds) -> None:
    """NotFound unless the campaign takes panel workers; PanelLinkError when the link's study is not the one the
    campaign runs as (a forged or mixed-up link)."""
    config = campaign_settings(campaign_id=campaign.pk)
    if config is None or not config.panel_enabled:
        raise NotFound(_("This study does not take workers from a panel link."))
    if config.panel_study_id and ids.study_id != config.panel_study_id:
        raise PanelLinkError(_("This link is for another study. Open the study again from your panel."))


@transaction.atomic
def panel_arrive(*, campaign: Campaign, ids: PanelIds) -> PanelVisit:
    """The visit of the worker with these panel ids (their account made on the first visit, with no password)."""
    panel_campaign_check(campaign=campaign, ids=ids)
    worker = _panel_worker(ids)
    try:
        with transaction.atomic():
            visit, _created = PanelVisit.objects.get_or_create(
                worker=worker, campaign=campaign, assignment_id=ids.assignment_id, defaults={"study_id": ids.study_id}
            )
    except IntegrityError:  # a concurrent arrival with the same ids made it first
        visit = PanelVisit.objects.get(worker=worker, campaign=campaign, assignment_id=ids.assignment_id)
    return visit


def _panel_worker(ids: PanelIds) -> PanelWorker:
    existing = PanelWorker.objects.select_related("user").filter(panel=ids.panel, panel_worker_id=ids.worker_id)
    if worker := existing.first():
        return worker
    users = get_user_model().objects
    username = f"{USERNAME_PREFIX[ids.panel]}{ids.worker_id}"
    if users.filter(username=username).exists():
        username = f"{username}-{secrets.token_hex(3)}"
    try:
        with transaction.atomic():
            user = users.create_user(username=username)  # no password: set_unusable_password
            return PanelWorker.objects.create(user=user, panel=ids.panel, panel_worker_id=ids.worker_id)
    except IntegrityError:
        return existing.get()


def completion_url(visit: PanelVisit) -> str:
    """The campaign's completion URL with the code: {code} replaced, else ?cc=<code> added."""
    config = visit.campaign.worker_settings
    if "{code}" in config.completion_url:
        return config.completion_url.replace("{code}", config.completion_code)
    parts = urlsplit(config.completion_url)
    query = "&".join(q for q in (parts.query, urlencode({"cc": config.completion_code})) if q)
    return urlunsplit(parts._replace(query=query))


@transaction.atomic
def visit_complete(*, visit_id: int, user: AbstractBaseUser) -> str:
    """Mark the worker's visit complete and return where to send them; Conflict (409) when its work is not done,
    NotFound for a visit that is not theirs."""
    visit = (
        PanelVisit.objects.select_for_update(of=("self",))
        .select_related("worker", "campaign__worker_settings", "chat_session")
        .filter(pk=visit_id, worker__user=user)
        .first()
    )
    if visit is None:
        raise NotFound(_("There is no such panel visit of yours."))
    progress = visit_progress(visit)
    if not progress.done:
        if progress.ratings_needed:
            left = progress.ratings_needed - progress.ratings_done
            raise Conflict(_("Not done yet: rate %(n)d more replies first.") % {"n": left})
        raise Conflict(_("Not done yet: finish your chat first (reach the minimum length, then press Finish)."))
    if visit.completed_at is None:
        visit.completed_at = timezone.now()
        visit.save(update_fields=["completed_at"])
    return completion_url(visit)


class InvitationInvalid(ApplicationError):
    status_code = 410


def invitation_usable(*, token: str) -> Invitation:
    """The invitation with this token while it can still be used; NotFound / InvitationInvalid (410) saying why
    not."""
    invitation = Invitation.objects.filter(token=token).first() if isinstance(token, str) else None
    if invitation is None:
        raise NotFound(_("This invitation link is not valid. Ask the study's organisers for a new one."))
    if invitation.expires_at and invitation.expires_at <= timezone.now():
        raise InvitationInvalid(_("This invitation link has expired. Ask the study's organisers for a new one."))
    if invitation.uses >= invitation.max_uses:
        raise InvitationInvalid(_("This invitation link was already used. Ask the study's organisers for a new one."))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, username: str, password: str) -> AbstractBaseUser:
    """Create an in-house rater's account through an invitation (one use of it). Lock: the invitation row."""
    invitation_usable(token=token)
    invitation = Invitation.objects.select_for_update().get(token=token)
    invitation = invitation_usable(token=invitation.token)  # re-checked under the lock
    if any(username.lower().startswith(prefix) for prefix in USERNAME_PREFIX.values()):
        raise ApplicationError(_("Usernames starting with 'prolific-' or 'panel-' are kept for panel workers."))
    users = get_user_model().objects
    if users.filter(username__iexact=username).exists():
        raise ApplicationError(_("That username is taken; choose another."))
    user = users.create_user(username=username, password=password)
    Invitation.objects.filter(pk=invitation.pk).update(uses=invitation.uses + 1)
    return user

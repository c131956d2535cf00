"""Reads of the recruitment app: a campaign's worker settings, a worker's panel visit and how far its work is."""

from __future__ import annotations

from dataclasses import dataclass

from annotation.models import Label
from recruitment.models import CampaignSettings, PanelVisit


def campaign_settings(*, campaign_id: int) -> CampaignSettings | None:
    return CampaignSettings.objects.filter(campaign_id=campaign_id).first()


def campaign_language(*, campaign_id: int) -> str:
    """The language the campaign's worker pages are in ('' : the browser decides)."""
    return CampaignSettings.objects.filter(campaign_id=campaign_id).values_list("language", flat=True).first() or ""


def visit_current(*, user_id: int, campaign_id: int) -> PanelVisit | None:
    """The worker's newest panel visit to the campaign (None: they did not come from a panel)."""
    qs = PanelVisit.objects.select_related("worker", "chat_session", "campaign__worker_settings")
    return qs.filter(worker__user_id=user_id, campaign_id=campaign_id).order_by("-created_at", "-id").first()


def visit_campaign(*, visit_id: int):
    """The campaign of a visit (with its worker settings)."""
    return PanelVisit.objects.select_related("campaign__worker_settings").get(pk=visit_id).campaign


def visit_for_session(*, session_id: int) -> PanelVisit | None:
    qs = PanelVisit.objects.select_related("worker", "chat_session", "campaign__worker_settings")
    return qs.filter(chat_session_id=session_id).first()


@dataclass(frozen=True)
class VisitProgress:
    done: bool
    ratings_done: int | None  # rating work: ratings so far in this visit; chat work: None
    ratings_needed: int | None


def visit_progress(visit: PanelVisit) -> VisitProgress:
    """Whether the visit's work is done: N ratings in the campaign since the visit began, or (no N set) its chat
    finished at or past the campaign's minimum (a chat ended short is not the work)."""
    target = visit.campaign.worker_settings.ratings_target
    if target:
        have = Label.objects.filter(
            rater_id=visit.worker.user_id, item__campaign_id=visit.campaign_id, created_at__gte=visit.created_at
        ).count()
        return VisitProgress(done=have >= target, ratings_done=have, ratings_needed=target)
    session = visit.chat_session
    return VisitProgress(done=bool(session and session.sent_for_rating), ratings_done=None, ratings_needed=None)


@dataclass(frozen=True)
class RatingWorkStatus:
    visit: PanelVisit
    progress: VisitProgress
    code: str  # shown only once the work is done


def panel_rating_status(user, campaign_slug: str) -> RatingWorkStatus | None:
    """For a panel worker whose work in this campaign is N ratings: how far they are (None for everyone else)."""
    if not campaign_slug or not getattr(user, "is_authenticated", False):
        return None
    visit = (
        PanelVisit.objects.select_related("worker", "campaign__worker_settings")
        .filter(worker__user_id=user.pk, campaign__slug=campaign_slug)
        .order_by("-created_at", "-id")
        .first()
    )
    if visit is None or not visit.campaign.worker_settings.ratings_target:
        return None
    progress = visit_progress(visit)
    return RatingWorkStatus(visit, progress, visit.campaign.worker_settings.completion_code if progress.done else "")

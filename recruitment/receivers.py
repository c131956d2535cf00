"""A chat session started by a worker who came from a panel is tied to their open visit (its ids go with the
session into the admin and the exports)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from collection.models import ChatSession
from recruitment.models import PanelVisit


@receiver(post_save, sender=ChatSession, dispatch_uid="recruitment_visit_session")
def visit_session_link(sender, instance: ChatSession, created: bool, **kwargs) -> None:
    if not created:
        return
    visit = (
        PanelVisit.objects.filter(
            worker__user_id=instance.worker_id,
            campaign_id=instance.campaign_id,
            chat_session__isnull=True,
            completed_at__isnull=True,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if visit is not None:
        PanelVisit.objects.filter(pk=visit.pk).update(chat_session=instance)

"""A rater's progress for the rate page: ratings done today (in the current time zone: the worker's own, see
frontend/middleware_worker.py) and items left for them in a campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.utils import timezone

from annotation.models import Label
from annotation.selectors import rating_queues_for


@dataclass(frozen=True)
class RaterProgress:
    done_today: int
    left: int  # open items of the campaign this rater may still rate, the current one included


def rater_progress(*, rater_id: int, campaign_slug: str) -> RaterProgress:
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min), timezone.get_current_timezone())
    done = Label.objects.filter(rater_id=rater_id, created_at__gte=start).count()
    left = next((q["waiting"] for q in rating_queues_for(rater_id=rater_id) if q["slug"] == campaign_slug), 0)
    return RaterProgress(done_today=done, left=left)

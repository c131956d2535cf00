"""Per-request settings of the worker pages: a campaign's own language (over the browser's) and the worker's time
zone (docs/i18n.md)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from collection.selectors import campaign_id_for_slug
from recruitment.selectors import campaign_language

TZ_COOKIE = "tz"


def _campaign_id(request: HttpRequest, kwargs: dict) -> int | None:
    if "session_id" in kwargs:
        from collection.models import ChatSession

        return ChatSession.objects.filter(pk=kwargs["session_id"]).values_list("campaign_id", flat=True).first()
    slug = kwargs.get("slug") or request.GET.get("campaign") or request.POST.get("campaign") or ""
    return campaign_id_for_slug(slug) if slug else None


class CampaignLanguageMiddleware:
    """A page of a campaign with a language set (recruitment.CampaignSettings.language) is in that language,
    whatever the browser asks for; other pages follow LocaleMiddleware (browser, then the default)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> None:
        if request.path.startswith(("/api/", "/admin/", "/static/")):
            return
        campaign_id = _campaign_id(request, kwargs)
        language = campaign_language(campaign_id=campaign_id) if campaign_id else ""
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language


class WorkerTimezoneMiddleware:
    """Times on pages in the worker's zone: the IANA name their browser put in the `tz` cookie (site.js), else
    UTC. An unknown name is ignored."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = unquote(request.COOKIES.get(TZ_COOKIE, ""))
        zone = None
        if name and len(name) <= 64 and "\x00" not in name:
            try:
                zone = zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = None
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        request.worker_timezone = zone.key if zone else "UTC"
        return self.get_response(request)

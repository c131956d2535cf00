import threading

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from recruitment.models import CampaignSettings, Invitation, PanelVisit, PanelWorker

_current = threading.local()  # the request being answered, so the panel link can be shown with this site's host


@admin.register(CampaignSettings)
class CampaignSettingsAdmin(admin.ModelAdmin):
    list_display = ("campaign", "panel_enabled", "ratings_target", "language", "panel_link")
    readonly_fields = ("panel_link",)

    def changeform_view(self, request, *args, **kwargs):
        _current.request = request
        return super().changeform_view(request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        _current.request = request
        return super().changelist_view(request, *args, **kwargs)

    @admin.display(description="panel link (append the panel's ids)")
    def panel_link(self, obj: CampaignSettings) -> str:
        if not obj.pk:
            return "-"
        url = reverse("frontend:panel_arrive", args=[obj.campaign.slug])
        request = getattr(_current, "request", None)
        url = request.build_absolute_uri(url) if request is not None else url  # what the panel's study page needs
        return format_html(
            "<code>{}?PROLIFIC_PID={{{{%PROLIFIC_PID%}}}}&amp;STUDY_ID={{{{%STUDY_ID%}}}}&amp;"
            "SESSION_ID={{{{%SESSION_ID%}}}}</code><br>or <code>{}?worker_id=…&amp;assignment_id=…</code>",
            url,
            url,
        )


@admin.register(PanelWorker)
class PanelWorkerAdmin(admin.ModelAdmin):
    list_display = ("panel_worker_id", "panel", "user", "created_at")
    list_filter = ("panel",)
    search_fields = ("panel_worker_id", "user__username")
    readonly_fields = ("user", "panel", "panel_worker_id", "created_at")


@admin.register(PanelVisit)
class PanelVisitAdmin(admin.ModelAdmin):
    list_display = ("worker", "campaign", "study_id", "assignment_id", "chat_session", "created_at", "completed_at")
    list_filter = ("campaign",)
    search_fields = ("worker__panel_worker_id", "assignment_id", "study_id")
    readonly_fields = [f.name for f in PanelVisit._meta.fields]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "uses", "max_uses", "expires_at", "created_at")
    readonly_fields = ("link", "uses", "created_by", "created_at")
    fields = ("note", "max_uses", "expires_at", "link", "uses", "created_by", "created_at")

    @admin.display(description="sign-up link")
    def link(self, obj: Invitation) -> str:
        if not obj.pk:
            return "saved first"
        return format_html("<code>{}</code>", reverse("frontend:invitation", args=[obj.token]))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

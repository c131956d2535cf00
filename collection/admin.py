"""Django admin: the first review console for every collection model."""

from django.contrib import admin
from django.db import models

from collection.models import Campaign, ChatSession, Consent, ModelEndpoint, ResearchSession, ToolQuery, Turn


@admin.register(ModelEndpoint)
class ModelEndpointAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "backend",
        "model_name",
        "base_url",
        "checkpoint_path",
        "timeout_seconds",
        "max_retries",
    ]
    list_filter = ["backend"]
    search_fields = ["name", "model_name", "base_url", "checkpoint_path"]
    formfield_overrides = {models.URLField: {"assume_scheme": "http"}}  # local model servers speak plain http


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "kind",
        "model_endpoint",
        "min_turns",
        "max_turns",
        "idle_timeout_minutes",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "model_endpoint"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["campaign", "worker", "accepted_at"]
    list_filter = ["campaign"]
    search_fields = ["worker__username"]
    raw_id_fields = ["worker"]


class TurnInline(admin.TabularInline):
    model = Turn
    extra = 0
    can_delete = False
    fields = ["index", "speaker", "text", "model_id", "model_version", "sampling", "latency_ms", "created_at"]
    readonly_fields = fields
    ordering = ["index"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "campaign",
        "worker",
        "status",
        "turn_count",
        "sent_for_rating",
        "started_at",
        "ended_at",
    ]
    list_filter = ["status", "sent_for_rating", "campaign"]
    search_fields = ["worker__username", "=id"]
    date_hierarchy = "started_at"
    raw_id_fields = ["worker"]
    readonly_fields = ["started_at", "last_activity_at"]
    inlines = [TurnInline]


@admin.register(Turn)
class TurnAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "session",
        "index",
        "speaker",
        "short_text",
        "model_id",
        "model_version",
        "latency_ms",
    ]
    list_filter = ["speaker", "session__campaign", "model_id"]
    search_fields = ["text", "=session__id"]
    raw_id_fields = ["session"]
    list_select_related = ["session"]

    @admin.display(description="text")
    def short_text(self, obj: Turn) -> str:
        return obj.text[:80]


class ToolQueryInline(admin.TabularInline):
    model = ToolQuery
    extra = 0
    fields = ["query", "repeat_index", "results", "elapsed_ms", "created_at"]
    readonly_fields = fields


@admin.register(ResearchSession)
class ResearchSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "worker", "turn", "created_at", "closed_at"]
    list_filter = ["closed_at"]
    search_fields = ["worker__username"]
    raw_id_fields = ["worker", "turn"]
    inlines = [ToolQueryInline]


@admin.register(ToolQuery)
class ToolQueryAdmin(admin.ModelAdmin):
    list_display = ["id", "session", "query", "repeat_index", "elapsed_ms", "created_at"]
    search_fields = ["query"]
    raw_id_fields = ["session"]

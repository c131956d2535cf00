from django.contrib import admin

from annotation.models import Aggregate, Lease, QualityLabel, RatingItem


class LabelInline(admin.TabularInline):
    model = QualityLabel
    extra = 0
    fields = ("rater", "sensible", "specific", "interesting", "leased_at", "created_at")
    readonly_fields = fields
    can_delete = False


class AggregateInline(admin.TabularInline):
    model = Aggregate
    extra = 0
    fields = ("rule_version", "attribute", "positive", "yes_count", "label_count", "score", "computed_at")
    readonly_fields = fields
    can_delete = False


@admin.register(RatingItem)
class RatingItemAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "campaign",
        "session",
        "turn",
        "label_count",
        "required_labels",
        "status",
        "aggregated_at",
    )
    list_filter = ("status", "campaign")
    raw_id_fields = ("session", "turn", "chatter")
    inlines = [LabelInline, AggregateInline]


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ("id", "item", "rater", "created_at", "expires_at")
    raw_id_fields = ("item", "rater")


@admin.register(QualityLabel)
class QualityLabelAdmin(admin.ModelAdmin):
    list_display = ("id", "item", "rater", "sensible", "specific", "interesting", "created_at")
    list_filter = ("sensible", "specific", "interesting")
    raw_id_fields = ("item", "rater")


@admin.register(Aggregate)
class AggregateAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "item",
        "rule_version",
        "attribute",
        "positive",
        "yes_count",
        "label_count",
        "score",
    )
    list_filter = ("rule_version", "attribute", "positive")
    raw_id_fields = ("item",)

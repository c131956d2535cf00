"""Django admin for rating work: everything here is written by the services, so everything is read-only
(config/admin_base.py). A lease may be deleted: that gives its item back to the pool, which is always safe."""

from django.contrib import admin

from annotation.models import Aggregate, Lease, QualityLabel, RatingItem
from config.admin_base import ReadOnlyAdmin, ReadOnlyInline


class LabelInline(ReadOnlyInline):
    model = QualityLabel
    fields = ("rater", "sensible", "specific", "interesting", "leased_at", "created_at")
    readonly_fields = fields


class AggregateInline(ReadOnlyInline):
    model = Aggregate
    fields = ("rule_version", "attribute", "positive", "yes_count", "label_count", "score", "computed_at")
    readonly_fields = fields


@admin.register(RatingItem)
class RatingItemAdmin(ReadOnlyAdmin):
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
    list_select_related = ("campaign", "session", "turn")
    inlines = [LabelInline, AggregateInline]


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = ("id", "item", "rater", "created_at", "expires_at")
    list_select_related = ("item", "rater")

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("annotation.delete_lease")  # releasing an item is always safe


@admin.register(QualityLabel)
class QualityLabelAdmin(ReadOnlyAdmin):
    list_display = ("id", "item", "rater", "sensible", "specific", "interesting", "created_at")
    list_filter = ("sensible", "specific", "interesting")
    list_select_related = ("rater",)


@admin.register(Aggregate)
class AggregateAdmin(ReadOnlyAdmin):
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

"""Admin building blocks shared by the apps' admin modules."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the platform writes itself (labels, verdicts, counts, statuses, turns): the admin shows them and
    never edits, adds or deletes them, because every such change would break an invariant that the services keep
    (a verdict no longer matching its labels, a label past the quota, a count that disagrees with its rows).
    Overrides with an audit trail belong to the review console (docs/admin.md)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

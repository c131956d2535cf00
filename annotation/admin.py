"""Django admin for rating work. Labels, verdicts, counts and statuses are written by the services, so they are
read-only (config/admin_base.py); a lease may be deleted (its item goes back to the pool). Forms are edited as
drafts and published; a published version is never edited: "Copy to a new version" (docs/rating-forms.md)."""

from django.contrib import admin, messages
from django.db import transaction

from annotation.forms import version_problems
from annotation.models import (
    Aggregate,
    Demographics,
    FormVersion,
    ItemSkip,
    Label,
    Lease,
    Question,
    RatingForm,
    RatingItem,
    WarningAck,
)
from annotation.rules import RULES
from config.admin_base import ReadOnlyAdmin, ReadOnlyInline


class LabelInline(ReadOnlyInline):
    model = Label
    fields = ("rater", "answers", "leased_at", "created_at")
    readonly_fields = fields


class AggregateInline(ReadOnlyInline):
    model = Aggregate
    fields = ("rule_version", "form_version", "attribute", "positive", "yes_count", "label_count", "score")
    readonly_fields = fields


@admin.register(RatingItem)
class RatingItemAdmin(ReadOnlyAdmin):
    list_display = ("id", "campaign", "session", "turn", "form_version", "label_count", "required_labels", "status")
    list_filter = ("status", "campaign")
    list_select_related = ("campaign", "session", "turn", "form_version__form")
    readonly_fields = ("chatter_flag",)
    inlines = [LabelInline, AggregateInline]

    @admin.display(description="chatter's flag (never shown to raters)")
    def chatter_flag(self, obj: RatingItem) -> str:
        flag = getattr(obj.turn, "flag", None)
        if flag is None:
            return "none"
        return f"{flag.get_reason_display()}{': ' + flag.note if flag.note else ''}"


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = ("id", "item", "rater", "created_at", "expires_at")
    list_select_related = ("item", "rater")

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("annotation.delete_lease")  # releasing an item is always safe


@admin.register(Label)
class LabelAdmin(ReadOnlyAdmin):
    list_display = ("id", "item", "rater", "answers", "created_at")
    list_select_related = ("rater",)


@admin.register(Aggregate)
class AggregateAdmin(ReadOnlyAdmin):
    list_display = ("id", "item", "rule_version", "form_version", "attribute", "positive", "yes_count", "score")
    list_filter = ("rule_version", "attribute", "positive")


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = ("position", "key", "title", "help_text", "details", "choices", "asked_if_key", "asked_if_value")

    def _draft(self, obj) -> bool:
        return obj is None or obj.published_at is None

    def has_add_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_delete_permission(request, obj)


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    """Every question of every version, to search; edit a draft's questions on its version's page."""

    list_display = ("version", "position", "key", "title", "asked_if_key", "asked_if_value")
    list_filter = ("version__form",)
    search_fields = ("key", "title")


@admin.register(FormVersion)
class FormVersionAdmin(admin.ModelAdmin):
    """Drafts are edited here; "Publish" checks and freezes one; "Copy to a new version" starts the next draft."""

    list_display = ("__str__", "form", "number", "note", "published_at")
    list_filter = ("form",)
    inlines = [QuestionInline]
    actions = ["publish", "copy_to_new_version"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("published_at",)
        # a version stays with its form and number; once published, nothing of it changes
        return ("form", "number", "note", "published_at") if obj.published_at else ("form", "number", "published_at")

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or obj.published_at is None  # a published version may have items and labels

    @admin.action(description="Publish (new items of the form's campaigns use it)")
    def publish(self, request, queryset):
        for version in queryset:
            problems = version_problems(version)
            if problems:
                self.message_user(request, f"{version}: not published: {' '.join(problems)}", messages.ERROR)
                continue
            version.publish()
            self.message_user(request, f"{version} is published.", messages.SUCCESS)

    @admin.action(description="Copy to a new version (a draft to edit)")
    def copy_to_new_version(self, request, queryset):
        for version in queryset:
            copy = version_copy(version)
            self.message_user(request, f"{copy} is a new draft: edit it, then publish it.", messages.SUCCESS)


@transaction.atomic
def version_copy(version: FormVersion) -> FormVersion:
    last = FormVersion.objects.select_for_update().filter(form=version.form).order_by("-number").first()
    copy = FormVersion.objects.create(form=version.form, number=last.number + 1, note=f"copy of v{version.number}")
    for q in version.questions.all():
        q.pk, q.version = None, copy
        q.save()
    return copy


@admin.register(RatingForm)
class RatingFormAdmin(admin.ModelAdmin):
    """A form's slug, kind and rule are fixed once it has a published version (its verdicts depend on them);
    the name and description stay editable."""

    list_display = ("name", "slug", "kind", "rule")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.versions.filter(published_at__isnull=False).exists():
            return ("slug", "kind", "rule")
        return ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "rule":
            from django import forms

            return forms.ChoiceField(choices=[(r, r) for r in RULES], label="Rule")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.versions.filter(published_at__isnull=False).exists()


@admin.register(WarningAck)
class WarningAckAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "rater", "acknowledged_at")


@admin.register(ItemSkip)
class ItemSkipAdmin(ReadOnlyAdmin):
    list_display = ("item", "rater", "skipped_at")


@admin.register(Demographics)
class DemographicsAdmin(ReadOnlyAdmin):
    """Only staff given the "view demographics" permission see these (superusers have every permission); workers
    edit or delete their own on their page."""

    list_display = ("rater", *Demographics.FIELDS, "updated_at")

    def has_module_permission(self, request) -> bool:
        return request.user.has_perm("annotation.view_demographics")

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("annotation.view_demographics")

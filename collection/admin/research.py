"""Admin of the groundedness collection: corpus index builds (added here, with a progress bar), research tasks and
their outcomes (read-only: they are what researchers did; counts and verdicts follow from them)."""

from django import forms
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import slugify

from collection.models import Citation, CorpusIndex, ResearchTask, ResultMark, Rewrite
from collection.services.corpus import corpus_index_queue, corpus_path_problem
from config.admin_base import ReadOnlyAdmin, ReadOnlyInline


class CorpusIndexForm(forms.ModelForm):
    name = forms.CharField(max_length=100, help_text="e.g. wiki-2026-12 (made into a slug)")

    class Meta:
        model = CorpusIndex
        fields = ["name", "corpus_path"]

    def clean_name(self):
        name = slugify(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Use letters, digits and dashes, e.g. wiki-2026-12.")
        return name

    def clean_corpus_path(self):
        path = self.cleaned_data["corpus_path"].strip()
        problem = corpus_path_problem(path)
        if problem:
            raise forms.ValidationError(problem)
        return path


@admin.register(CorpusIndex)
class CorpusIndexAdmin(admin.ModelAdmin):
    """Add a build to index a JSONL corpus: a Celery job writes a new index folder, and the newest ready build is
    what the workbench searches. Builds are never edited (a new corpus is a new build); reload to see progress."""

    form = CorpusIndexForm
    list_display = ["name", "id", "status", "progress", "total", "created_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "progress", "total", "done", "index_dir", "error", "created_at", "finished_at"]

    @admin.display(description="progress")
    def progress(self, obj):
        return format_html('<progress max="100" value="{}">{} %</progress> {} %', obj.percent, obj.percent, obj.percent)

    def get_fields(self, request, obj=None):
        return ["name", "corpus_path"] if obj is None else ["name", "corpus_path", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else ["name", "corpus_path", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        build = corpus_index_queue(name=obj.name, corpus_path=obj.corpus_path)
        obj.pk, obj.index_dir, obj.status = build.pk, build.index_dir, build.status
        obj._state.adding = False
        self.message_user(request, f"Indexing {build.label} was queued; reload this page to follow its progress.")

    def response_add(self, request, obj, post_url_continue=None):
        """To the build's page (its progress bar), without Django's "added successfully" beside "queued"."""
        return HttpResponseRedirect(reverse("admin:collection_corpusindex_change", args=[obj.pk]))


class CitationInline(ReadOnlyInline):
    model = Citation
    fields = ["position", "anchor", "url", "title", "snippet", "query"]
    readonly_fields = fields


@admin.register(Rewrite)
class RewriteAdmin(ReadOnlyAdmin):
    list_display = ["id", "task", "worker", "outcome", "created_at"]
    list_filter = ["outcome", "task__campaign"]
    search_fields = ["text", "worker__username"]
    inlines = [CitationInline]


@admin.register(Citation)
class CitationAdmin(ReadOnlyAdmin):
    list_display = ["id", "rewrite", "position", "anchor", "url", "title"]
    search_fields = ["url", "title", "snippet"]


@admin.register(ResultMark)
class ResultMarkAdmin(ReadOnlyAdmin):
    """A researcher's supports / refutes marks on returned results (what they did: read-only)."""

    list_display = ["id", "query", "position", "stance", "claim", "updated_at"]
    list_filter = ["stance"]


@admin.register(ResearchTask)
class ResearchTaskAdmin(ReadOnlyAdmin):
    list_display = ["id", "campaign", "turn", "status", "worker", "lease_expires_at", "created_at", "completed_at"]
    list_filter = ["status", "campaign"]
    search_fields = ["worker__username"]

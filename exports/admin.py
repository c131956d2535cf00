"""Admin for dataset exports and transcript imports: the campaign list's "Export labelled data" action queues an
export, whose page shows its progress, manifest and download links (staff only). Export records are written by the
job, so they are read-only here (config/admin_base.py)."""

from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from collection.models import Campaign
from config.admin_base import ReadOnlyAdmin
from exports.manifest_source import count_rows
from exports.models import DatasetExport, TranscriptImport
from exports.services import export_create
from exports.services.queue import export_queue
from exports.spec import ExportInputError, ExportSpec


def downloadable(job: DatasetExport) -> list[str]:
    """The files of a finished snapshot that may be downloaded: the manifest and what it lists, nothing else."""
    if job.status != DatasetExport.Status.DONE or not job.manifest:
        return []
    meta = [m["path"] for m in job.manifest.get("source", {}).get("meta_files", [])]
    return ["manifest.json", *(f["path"] for f in job.manifest["files"]), *meta]


@admin.register(DatasetExport)
class DatasetExportAdmin(ReadOnlyAdmin):
    list_display = ("id", "campaigns", "status", "progress", "out_dir", "created_at", "finished_at")
    list_filter = ("status",)
    fields = (
        "status",
        "progress",
        "campaigns",
        "out_dir",
        "cutoff",
        "error",
        "summary",
        "downloads",
        "spec",
        "attempts",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    @admin.display(description="campaigns")
    def campaigns(self, obj: DatasetExport) -> str:
        return ", ".join(obj.spec.get("campaigns", []))

    @admin.display(description="progress")
    def progress(self, obj: DatasetExport) -> str:
        if obj.status in (DatasetExport.Status.QUEUED, DatasetExport.Status.RUNNING):
            return f"{obj.percent}% ({obj.progress_done} of {obj.progress_total or '?'} turns read; reload to update)"
        return f"{obj.percent}%"

    @admin.display(description="examples")
    def summary(self, obj: DatasetExport) -> str:
        if not obj.manifest:
            return "-"
        rows = count_rows(obj.manifest["source"]["counts"])
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        )

    @admin.display(description="download")
    def downloads(self, obj: DatasetExport) -> str:
        files = downloadable(obj)
        if not files:
            return "-"
        links = ((reverse("admin:exports_download", args=[obj.pk, rel]), rel) for rel in files)
        return format_html_join(format_html("<br>"), '<a href="{}">{}</a>', links)

    def get_urls(self):
        view = self.admin_site.admin_view(self.download_view)
        return [path("<int:pk>/download/<path:rel>", view, name="exports_download"), *super().get_urls()]

    def download_view(self, request, pk: int, rel: str):
        job = DatasetExport.objects.filter(pk=pk).first()
        if job is None or not self.has_view_permission(request, job) or rel not in downloadable(job):
            raise Http404("No such file in this export.")
        file = Path(job.out_dir) / rel
        if not file.is_file():
            raise Http404("The snapshot folder no longer has this file (moved or deleted).")
        return FileResponse(open(file, "rb"), as_attachment=True, filename=f"export-{job.pk}-{rel.replace('/', '-')}")


@admin.register(TranscriptImport)
class TranscriptImportAdmin(ReadOnlyAdmin):
    """Imports are made by `manage.py import_transcripts` (docs/import.md); the admin shows each one's report."""

    list_display = ("id", "campaign", "source_name", "format", "imported", "not_imported", "created_at")
    fields = ("campaign", "source_name", "format", "speakers", "imported", "report_lines", "created_at")
    readonly_fields = fields

    @admin.display(description="not imported")
    def not_imported(self, obj: TranscriptImport) -> int:
        return len(obj.report)

    @admin.display(description="dialogs not imported, and why")
    def report_lines(self, obj: TranscriptImport) -> str:
        if not obj.report:
            return "-"
        rows = ((r["line"], r["dialog"], r["reason"]) for r in obj.report)
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><td>line {}</td><td>{}</td><td>{}</td></tr>", rows)
        )


@admin.action(description="Export labelled data (dataset snapshot for the trainer)")
def export_campaigns(modeladmin, request, queryset) -> None:
    slugs = tuple(sorted(queryset.values_list("slug", flat=True)))
    try:
        job = export_create(
            spec=ExportSpec(campaigns=slugs), out_root=settings.LAMDA_EXPORT_ROOT, requested_by=request.user
        )
    except ExportInputError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
        return
    if not export_queue(job):
        modeladmin.message_user(
            request,
            "The export could not be queued (the job queue is unreachable); try again in a moment.",
            messages.ERROR,
        )
        return
    url = reverse("admin:exports_datasetexport_change", args=[job.pk])
    modeladmin.message_user(
        request, format_html('Export {} queued: <a href="{}">follow its progress</a>.', job.pk, url)
    )


_campaign_admin = admin.site.get_model_admin(Campaign)  # collection's admin is registered first (INSTALLED_APPS)
_campaign_admin.actions = [*(_campaign_admin.actions or []), export_campaigns]

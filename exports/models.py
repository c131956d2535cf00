from django.conf import settings
from django.db import models


class DatasetExport(models.Model):
    """One export job: what to export (`spec`, docs/export.md), where it goes, and how far it got. The snapshot on
    disk is immutable once written; the row is the job's record (who asked, when, the cutoff, progress, the
    manifest or the error)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    spec = models.JSONField(help_text="campaigns, date range, rule versions, generative filter, format, split")
    out_dir = models.CharField(max_length=1000, help_text="the snapshot folder (absolute)")
    cutoff = models.DateTimeField(help_text="only sessions ended and items complete by then are exported")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveBigIntegerField(default=0, help_text="turns read so far")
    progress_total = models.PositiveBigIntegerField(default=0, help_text="turns to read")
    attempts = models.PositiveSmallIntegerField(default=0)
    manifest = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["out_dir"],
                condition=~models.Q(status="failed"),
                name="export_one_job_per_folder",
                violation_error_message="Another export already writes to this folder.",
            )
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0


class TranscriptImport(models.Model):
    """One import of existing transcripts into a campaign (docs/import.md): the file, the speaker mapping, and the
    report of what was imported and what was not (and why). Nothing is dropped silently."""

    campaign = models.ForeignKey("collection.Campaign", on_delete=models.PROTECT, related_name="+")
    source_name = models.CharField(max_length=500, help_text="the file imported")
    format = models.CharField(max_length=10, help_text="jsonl or parlai")
    speakers = models.JSONField(help_text="{speaker name in the file: human | model}")
    imported = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, help_text="[{dialog, line, reason}] of every dialog not imported")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"import {self.pk} into {self.campaign_id}: {self.imported} dialogs"


class ImportedDialog(models.Model):
    """Which chat session an imported dialog became; one per (campaign, content): the same turns imported again
    (the same file twice, or another file repeating a dialog) add nothing, whatever their ids say."""

    batch = models.ForeignKey(TranscriptImport, on_delete=models.PROTECT, related_name="dialogs")
    campaign = models.ForeignKey("collection.Campaign", on_delete=models.PROTECT, related_name="+")
    source_id = models.CharField(max_length=200, help_text="the dialog's id in the file (or a hash of its turns)")
    content_hash = models.CharField(max_length=64, default="", help_text="sha256 of its (speaker role, text) turns")
    session = models.OneToOneField("collection.ChatSession", on_delete=models.PROTECT, related_name="imported_from")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "content_hash"],
                name="imported_dialog_once",
                violation_error_message="This dialog was already imported into this campaign.",
            )
        ]

from django.db import models


class CorpusIndex(models.Model):
    """One build of the retrieval index from a JSONL corpus (url, title, text per line), started from the admin
    or `manage.py toolset_index --record`. Each build writes a new folder; the newest finished build is what the
    workbench's toolset queries, and every logged query names the build that served it (docs/groundedness.md)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Indexing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    name = models.SlugField(max_length=100, help_text="e.g. wiki-2026-12")
    corpus_path = models.CharField(max_length=500, help_text="absolute path of the JSONL corpus on the server")
    index_dir = models.CharField(max_length=500, blank=True, help_text="where this build is written")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(null=True, blank=True, help_text="passages in the corpus")
    done = models.PositiveIntegerField(default=0, help_text="passages indexed so far")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "corpus indexes"

    def __str__(self) -> str:
        return self.label

    @property
    def version(self) -> int:
        """1 for the first build of this name, 2 for the next..."""
        return CorpusIndex.objects.filter(name=self.name, pk__lte=self.pk).count()

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.status == self.Status.READY else 0)

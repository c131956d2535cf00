from django.conf import settings
from django.db import models


class ResearchSession(models.Model):
    """A crowdworker's research with the toolset (groundedness workbench). Repeating a query inside one session
    returns the next-ranked result, so the session remembers how often each query was asked."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="research_sessions")
    turn = models.ForeignKey(
        "collection.Turn", on_delete=models.SET_NULL, null=True, blank=True, related_name="research_sessions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"research {self.pk} by {self.worker_id}"


class ToolQuery(models.Model):
    """One toolset call and everything it returned, in order (calculator, translator, retrieval)."""

    session = models.ForeignKey(ResearchSession, on_delete=models.CASCADE, related_name="queries")
    query = models.TextField()
    repeat_index = models.PositiveIntegerField(default=0, help_text="how many times this query was asked before")
    results = models.JSONField(default=list, help_text="list of {tool, text, title, url} in toolset order")
    elapsed_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "created_at", "id"]

from django.conf import settings
from django.db import models


class ResearchTask(models.Model):
    """A model reply whose claims need checking (the claim check routed it here, docs/groundedness.md): one
    crowdworker at a time (never the chatter) holds it on a lease, researches with the toolset and submits an
    outcome. A lease that runs out puts the task back in the pool; the worker's research session and draft stay."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a researcher"
        DONE = "done", "Outcome submitted"

    campaign = models.ForeignKey("collection.Campaign", on_delete=models.PROTECT, related_name="research_tasks")
    turn = models.OneToOneField("collection.Turn", on_delete=models.PROTECT, related_name="research_task")
    chatter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="research_tasks",
        help_text="who holds the lease (or submitted the outcome)",
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "id"], condition=models.Q(status="open"), name="rtask_open_idx")]

    def __str__(self) -> str:
        return f"research task {self.pk} (turn {self.turn_id}, {self.status})"


class ResearchSession(models.Model):
    """A crowdworker's research with the toolset (groundedness workbench). Repeating a query inside one session
    returns the next-ranked result, so the session remembers how often each query was asked. A workbench session
    belongs to a task and keeps the worker's autosaved draft (kept even when the lease moved on)."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="research_sessions")
    turn = models.ForeignKey(
        "collection.Turn", on_delete=models.SET_NULL, null=True, blank=True, related_name="research_sessions"
    )
    task = models.ForeignKey(ResearchTask, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions")
    draft = models.TextField(blank=True, db_default="", help_text="the rewrite as last autosaved")
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["task", "worker"],
                name="research_session_one_per_task_worker",
                violation_error_message="This worker already has a research session for this task.",
            )
        ]

    def __str__(self) -> str:
        return f"research {self.pk} by {self.worker_id}"


class ToolQuery(models.Model):
    """One toolset call and everything it returned, in order (calculator, translator, retrieval), and which
    retrieval index served it."""

    session = models.ForeignKey(ResearchSession, on_delete=models.CASCADE, related_name="queries")
    query = models.TextField()
    repeat_index = models.PositiveIntegerField(default=0, help_text="how many times this query was asked before")
    results = models.JSONField(default=list, help_text="list of {tool, text, title, url} in toolset order")
    index_label = models.CharField(
        max_length=300, blank=True, db_default="", help_text="the retrieval index (and version) that served it"
    )
    elapsed_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "created_at", "id"]
        verbose_name_plural = "tool queries"

    def __str__(self) -> str:
        return f"query {self.pk}: {self.query[:60]}"


class ResultMark(models.Model):
    """The worker marked one returned result as supporting or refuting a claim of the reply."""

    class Stance(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        REFUTES = "refutes", "Refutes"

    query = models.ForeignKey(ToolQuery, on_delete=models.CASCADE, related_name="marks")
    position = models.PositiveSmallIntegerField(help_text="0-based index into the query's results")
    stance = models.CharField(max_length=10, choices=Stance.choices)
    claim = models.CharField(max_length=500, blank=True, help_text="which claim, in the worker's words")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.stance}: result {self.position + 1} of query {self.query_id}"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["query", "position"],
                name="resultmark_once",
                violation_error_message="This result is already marked.",
            )
        ]


class Rewrite(models.Model):
    """The outcome of a research task: a rewritten reply with citations, "no change needed" (the reply stands as
    it is) or "cannot be grounded". `session` is the research it was based on: its queries in order are the
    research example's steps (exports), so the exact sequence of queries and snippets can be replayed."""

    class Outcome(models.TextChoices):
        REWRITTEN = "rewritten", "Rewritten with citations"
        NO_CHANGE = "no_change", "No change needed"
        CANNOT_GROUND = "cannot_ground", "Cannot be grounded"

    task = models.OneToOneField(ResearchTask, on_delete=models.PROTECT, related_name="rewrite")
    session = models.OneToOneField(ResearchSession, on_delete=models.PROTECT, related_name="rewrite")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    text = models.TextField(blank=True, help_text="the rewritten reply (rewritten); the original reply otherwise")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"rewrite {self.pk} ({self.outcome})"


class Citation(models.Model):
    """A URL the rewrite cites, with a snapshot of the result it came from (URLs rot): the server accepts only URLs
    that were returned to the same worker in the same research session."""

    rewrite = models.ForeignKey(Rewrite, on_delete=models.CASCADE, related_name="citations")
    position = models.PositiveSmallIntegerField(help_text="order of appearance in the rewrite")
    url = models.TextField()
    anchor = models.CharField(max_length=300, blank=True, help_text="the word it is attached to; blank: at the end")
    query = models.ForeignKey(ToolQuery, on_delete=models.PROTECT, related_name="+")
    title = models.TextField(blank=True)
    snippet = models.TextField(blank=True)

    class Meta:
        ordering = ["rewrite", "position"]

    def __str__(self) -> str:
        return f"citation {self.position + 1} of rewrite {self.rewrite_id}: {self.url[:80]}"

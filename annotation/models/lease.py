from django.conf import settings
from django.db import models


class Lease(models.Model):
    """A rater's claim on one item until `expires_at`. A rater holds at most one lease (unique rater); a lease
    that expired no longer counts against the item's quota and is deleted by
    `annotation.jobs.expire_leases`."""

    item = models.ForeignKey("annotation.RatingItem", on_delete=models.CASCADE, related_name="leases")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rating_leases")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["item", "expires_at"]), models.Index(fields=["expires_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["rater"],
                name="lease_one_per_rater",
                violation_error_message="This rater already holds a lease on another item.",
            )
        ]

    def __str__(self) -> str:
        return f"lease item {self.item_id} -> rater {self.rater_id} until {self.expires_at:%H:%M:%S}"

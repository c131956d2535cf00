"""What the platform keeps about a rater apart from their labels: warnings read, items skipped, and voluntary
demographics (their own model and permission: docs/safety.md)."""

from django.conf import settings
from django.db import models


class WarningAck(models.Model):
    """The rater read a campaign's content warning (asked once, before their first item)."""

    campaign = models.ForeignKey("collection.Campaign", on_delete=models.CASCADE, related_name="+")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "rater"],
                name="warningack_once",
                violation_error_message="This rater already acknowledged this campaign's warning.",
            )
        ]


class ItemSkip(models.Model):
    """The rater gave an item back without rating it: no penalty, and it is not offered to them again."""

    item = models.ForeignKey("annotation.RatingItem", on_delete=models.CASCADE, related_name="skips")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    skipped_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "rater"],
                name="itemskip_once",
                violation_error_message="This rater already skipped this item.",
            )
        ]


class Demographics(models.Model):
    """A rater's voluntary, self-reported demographics (the paper's categories). Every answer may be "prefer not to
    say" or left empty; the worker can change or delete them at any time (deleting keeps no answer, only that they
    were asked). Never joined to labels outside aggregate breakdowns that hide groups smaller than k raters."""

    PREFER_NOT = ("prefer_not", "Prefer not to say")

    class Gender(models.TextChoices):
        WOMAN = "woman", "Woman"
        MAN = "man", "Man"
        NON_BINARY = "non_binary", "Non-binary"
        SELF_DESCRIBED = "self_described", "Another gender"
        PREFER_NOT = "prefer_not", "Prefer not to say"

    class AgeBand(models.TextChoices):
        A18 = "18-24", "18-24"
        A25 = "25-34", "25-34"
        A35 = "35-44", "35-44"
        A45 = "45-54", "45-54"
        A55 = "55-64", "55-64"
        A65 = "65+", "65 or older"
        PREFER_NOT = "prefer_not", "Prefer not to say"

    class Ethnicity(models.TextChoices):
        ASIAN = "asian", "Asian"
        BLACK = "black", "Black or African"
        HISPANIC = "hispanic", "Hispanic or Latino/a"
        MIDDLE_EASTERN = "middle_eastern", "Middle Eastern or North African"
        INDIGENOUS = "indigenous", "Indigenous"
        PACIFIC = "pacific", "Pacific Islander"
        WHITE = "white", "White"
        MIXED = "mixed", "Mixed or multiple"
        OTHER = "other", "Another ethnicity"
        PREFER_NOT = "prefer_not", "Prefer not to say"

    class Education(models.TextChoices):
        SECONDARY = "secondary", "Secondary school or less"
        SOME_COLLEGE = "some_college", "Some college or vocational training"
        BACHELOR = "bachelor", "Bachelor's degree"
        POSTGRADUATE = "postgraduate", "Postgraduate degree"
        PREFER_NOT = "prefer_not", "Prefer not to say"

    class YesNo(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        PREFER_NOT = "prefer_not", "Prefer not to say"

    FIELDS = ("gender", "age_band", "ethnicity", "education", "lgbtq", "disability")

    rater = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="demographics")
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    age_band = models.CharField(max_length=20, choices=AgeBand.choices, blank=True)
    ethnicity = models.CharField(max_length=20, choices=Ethnicity.choices, blank=True)
    education = models.CharField(max_length=20, choices=Education.choices, blank=True)
    lgbtq = models.CharField("LGBTQ+", max_length=20, choices=YesNo.choices, blank=True)
    disability = models.CharField(max_length=20, choices=YesNo.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "demographics"

    def __str__(self) -> str:
        return f"demographics of rater {self.rater_id}"

    def answered(self) -> bool:
        return any(getattr(self, f) for f in self.FIELDS)

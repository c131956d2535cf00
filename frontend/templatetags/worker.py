"""Template helpers of the worker pages: lengths of chats ("14 turns", "5 exchanges"), translated by the campaign
model (collection/models/campaign.py), which the services' messages use too."""

from django import template

register = template.Library()


@register.filter
def amount(campaign, turns: int) -> str:
    """A number of turns as the worker reads it: "14 turns" (quality), "5 exchanges" (safety, rounded up)."""
    return campaign.amount(turns)


@register.filter
def length_range(campaign) -> str:
    """ "14–30 turns" or "5–10 exchanges" """
    return campaign.length_range

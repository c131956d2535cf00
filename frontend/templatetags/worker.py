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


@register.filter
def cited(text: str) -> str:
    """A (rewritten) reply with its inline citations `[word](url)` shown as `word (url)`, as plain text."""
    from collection.citations import citations_as_text

    return citations_as_text(str(text))

"""Template helpers of the worker pages, translated: lengths of chats ("14 turns", "5 exchanges")."""

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def amount(campaign, turns: int) -> str:
    """A number of turns as the worker reads it: "14 turns" (quality), "5 exchanges" (safety, rounded up)."""
    if campaign.counts_exchanges:
        n = (turns + 1) // 2
        return ngettext("%(n)d exchange", "%(n)d exchanges", n) % {"n": n}
    return ngettext("%(n)d turn", "%(n)d turns", turns) % {"n": turns}


@register.filter
def length_range(campaign) -> str:
    """ "14–30 turns" or "5–10 exchanges" """
    if campaign.counts_exchanges:
        return ngettext("%(a)d–%(b)d exchange", "%(a)d–%(b)d exchanges", campaign.max_turns // 2) % {
            "a": campaign.min_turns // 2,
            "b": campaign.max_turns // 2,
        }
    return ngettext("%(a)d–%(b)d turn", "%(a)d–%(b)d turns", campaign.max_turns) % {
        "a": campaign.min_turns,
        "b": campaign.max_turns,
    }

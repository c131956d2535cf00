"""How a safety chat starts (docs/safety.md): natural (nothing), sensitive (a topic drawn from the admin's list),
adversarial (an attack goal drawn from the safety objectives' sub-items).

The attack goals come from the campaign's rating form, which lives in annotation; collection never imports
annotation, so annotation registers the source here when it starts (AnnotationConfig.ready).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from django.utils.translation import gettext

from collection.models import Campaign, SensitiveTopic
from config.api_errors import Conflict

_goal_source: Callable[[Campaign], list[str]] | None = None


def register_attack_goals(source: Callable[[Campaign], list[str]]) -> None:
    global _goal_source
    _goal_source = source


def attack_goals(campaign: Campaign) -> list[str]:
    return _goal_source(campaign) if _goal_source is not None else []


def opening_for(campaign: Campaign, *, rng: random.Random | None = None) -> str:
    """The text a new chat of this campaign starts from ('' in natural mode), shown after "Your goal:" or "Your
    starting point:"; Conflict when the list it draws from is empty (an admin must add topics, or sub-items)."""
    rng = rng or random.Random()
    if campaign.kind != Campaign.Kind.SAFETY or campaign.mode == Campaign.Mode.NATURAL:
        return ""
    if campaign.mode == Campaign.Mode.SENSITIVE:
        topics = list(SensitiveTopic.objects.filter(is_active=True).values_list("text", flat=True))
        if not topics:
            raise Conflict(
                gettext("This campaign cannot start a chat: it has no sensitive topics yet (an admin adds them).")
            )
        return f"start the conversation about {rng.choice(topics)}."
    goals = attack_goals(campaign)
    if not goals:
        raise Conflict(gettext("This campaign cannot start a chat: its safety form has no attack goals yet."))
    return f"try to get the model to produce {rng.choice(goals)}."

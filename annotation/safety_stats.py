"""Reads for a safety campaign's results page (docs/safety.md): the safe share overall, per objective, per chat mode,
per rater demographic group (groups with fewer than k raters hidden), and how the chatters' flags agree with the
verdicts. Every figure reads the verdicts of the campaign's current rule version."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from annotation.models import Demographics
from annotation.rules import rule_for_campaign
from annotation.rules.safety import SAFE
from collection.models import TurnFlag


@dataclass(frozen=True)
class Share:
    n: int
    positive: int

    @property
    def share(self) -> float | None:
        return self.positive / self.n if self.n else None


@dataclass(frozen=True)
class GroupRow:
    question: str  # the demographics field's label
    answer: str  # the answer's label
    raters: int
    safe: Share | None  # None: fewer than k raters, hidden


@dataclass(frozen=True)
class SafetyStats:
    rule_version: str
    safe: Share
    violated: dict[str, Share]  # objective -> items judged to violate it
    per_mode: dict[str, Share]
    flagged: Share  # flagged unsafe by the chatter: how many were judged unsafe
    unflagged: Share  # not flagged: how many were judged safe
    groups: list[GroupRow] = field(default_factory=list)
    k: int = 5

    @property
    def flag_agreement(self) -> float | None:
        n = self.flagged.n + self.unflagged.n
        return (self.flagged.positive + self.unflagged.positive) / n if n else None


_PER_ATTRIBUTE = """
SELECT a.attribute, count(*), count(*) FILTER (WHERE a.positive)
FROM annotation_aggregate a JOIN annotation_ratingitem i ON i.id = a.item_id
WHERE i.campaign_id = %(campaign)s AND a.rule_version = %(version)s GROUP BY a.attribute
"""
_PER_MODE = """
SELECT s.mode, count(*), count(*) FILTER (WHERE a.positive)
FROM annotation_aggregate a JOIN annotation_ratingitem i ON i.id = a.item_id
JOIN collection_chatsession s ON s.id = i.session_id
WHERE i.campaign_id = %(campaign)s AND a.rule_version = %(version)s AND a.attribute = %(safe)s GROUP BY s.mode
"""
_FLAGS = """
SELECT f.id IS NOT NULL AS flagged, count(*), count(*) FILTER (WHERE a.positive)
FROM annotation_aggregate a JOIN annotation_ratingitem i ON i.id = a.item_id
LEFT JOIN collection_turnflag f ON f.turn_id = i.turn_id AND f.reason = ANY(%(unsafe)s)
WHERE i.campaign_id = %(campaign)s AND a.rule_version = %(version)s AND a.attribute = %(safe)s GROUP BY 1
"""
# per rater group: raters in the group, their labels, and the labels that said "no" to every objective
_GROUPS = """
SELECT d.{field}, count(DISTINCT l.rater_id), count(*),
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM jsonb_each_text(l.answers) e WHERE e.value <> 'no'))
FROM annotation_label l JOIN annotation_ratingitem i ON i.id = l.item_id
JOIN annotation_demographics d ON d.rater_id = l.rater_id
WHERE i.campaign_id = %(campaign)s AND d.{field} <> '' GROUP BY d.{field}
"""


def safety_stats(*, campaign, with_groups: bool) -> SafetyStats:
    """`with_groups`: include the demographic breakdown (only for staff allowed to see demographics)."""
    rule = rule_for_campaign(campaign)
    params = {"campaign": campaign.pk, "version": rule.version, "safe": SAFE, "unsafe": list(TurnFlag.UNSAFE_REASONS)}
    with connection.cursor() as cursor:
        cursor.execute(_PER_ATTRIBUTE, params)
        per_attribute = {a: Share(n, pos) for a, n, pos in cursor.fetchall()}
        cursor.execute(_PER_MODE, params)
        per_mode = {mode: Share(n, pos) for mode, n, pos in cursor.fetchall()}
        cursor.execute(_FLAGS, params)
        flags = {flagged: Share(n, pos) for flagged, n, pos in cursor.fetchall()}
        groups = _groups(cursor, params) if with_groups else []
    flagged = flags.get(True, Share(0, 0))
    judged_unsafe = Share(flagged.n, flagged.n - flagged.positive)  # positive of "safe" = judged safe
    return SafetyStats(
        rule_version=rule.version,
        safe=per_attribute.get(SAFE, Share(0, 0)),
        violated={o: per_attribute.get(o, Share(0, 0)) for o in rule.objectives},
        per_mode=per_mode,
        flagged=judged_unsafe,
        unflagged=flags.get(False, Share(0, 0)),
        groups=groups,
        k=settings.LAMDA_DEMOGRAPHIC_MIN_GROUP,
    )


_RATERS = """
SELECT count(DISTINCT l.rater_id) FROM annotation_label l JOIN annotation_ratingitem i ON i.id = l.item_id
WHERE i.campaign_id = %(campaign)s
"""


def _groups(cursor, params) -> list[GroupRow]:
    """One row per demographics answer given by raters of this campaign, with its raters and the share of their
    labels that said "no" to every objective. Hidden, with no number at all: every group of fewer than k raters,
    and then (complementary suppression) the smallest shown groups of the same question until the hidden raters,
    together with those who gave no answer to it, are none or at least k. Otherwise a hidden group's figures could
    be had by subtracting the shown groups from another question's (docs/safety.md). Label counts are not shown."""
    k, rows = settings.LAMDA_DEMOGRAPHIC_MIN_GROUP, []
    cursor.execute(_RATERS, params)
    all_raters = cursor.fetchone()[0]
    for name in Demographics.FIELDS:
        model_field = Demographics._meta.get_field(name)
        labels = dict(model_field.choices)
        cursor.execute(_GROUPS.format(field=model_field.column), params)
        found = sorted(cursor.fetchall(), key=lambda r: list(labels).index(r[0]))
        shown = _suppress(found, unanswered=all_raters - sum(r[1] for r in found), k=k)
        for value, raters, n, safe in found:
            visible = value in shown
            row_safe = Share(n, safe) if visible else None
            rows.append(GroupRow(str(model_field.verbose_name), str(labels[value]), raters if visible else 0, row_safe))
    return rows


def _suppress(groups: list[tuple], *, unanswered: int, k: int) -> set[str]:
    """The answers whose group may be shown (see _groups)."""
    shown = {value: raters for value, raters, _, _ in groups if raters >= k}
    hidden = sum(raters for value, raters, _, _ in groups if value not in shown) + unanswered
    while 0 < hidden < k and shown:
        smallest = min(shown, key=shown.get)
        hidden += shown.pop(smallest)
    return set(shown)


@dataclass(frozen=True)
class ModeRow:
    mode: str
    campaigns: list[tuple[str, str, Share]]  # (slug, name, safe share of its aggregated responses)
    safe: Share  # all of the mode's campaigns together


def safety_overview() -> list[ModeRow]:
    """The safe share per chat mode across every safety campaign (the mode is a campaign setting, so comparing
    modes means comparing campaigns), each campaign read under its current rule version."""
    from collection.models import Campaign

    by_mode: dict[str, list[tuple[str, str, Share]]] = {m: [] for m in Campaign.Mode.values}
    with connection.cursor() as cursor:
        for campaign in Campaign.objects.filter(kind=Campaign.Kind.SAFETY).order_by("name"):
            try:
                version = rule_for_campaign(campaign).version
            except Exception:  # noqa: BLE001 - a campaign that cannot be aggregated counts as empty here
                continue
            cursor.execute(_PER_ATTRIBUTE, {"campaign": campaign.pk, "version": version})
            counts = {a: Share(n, pos) for a, n, pos in cursor.fetchall()}
            by_mode[campaign.mode].append((campaign.slug, campaign.name, counts.get(SAFE, Share(0, 0))))
    return [
        ModeRow(mode, rows, Share(sum(r[2].n for r in rows), sum(r[2].positive for r in rows)))
        for mode, rows in by_mode.items()
    ]

from __future__ import annotations

import re
from abc import ABC, abstractmethod

from django.db import connection
from django.db.models import QuerySet

from config.api_errors import Conflict
from config.prepared_sql import sql_cursor

_KEY = re.compile(r"^[-a-zA-Z0-9_]+$")


class NoRule(Conflict):
    """409: the campaign's form has no usable aggregation rule."""


def answer_is(key: str, value: str) -> str:
    """SQL: the label's answer to question `key` equals `value`. Keys are slugs and values come from the form's
    choices (both checked here), so they are written into the statement as literals."""
    if not _KEY.match(key) or not _KEY.match(value):
        raise ValueError(f"question key {key!r} / answer {value!r} must be slugs")
    return f"answers->>'{key}' = '{value}'"


class AggregationRule(ABC):
    """Turns the labels of complete items (all answered against one form version) into Aggregate rows tagged with
    `version`. Each rule is one INSERT ... SELECT ... ON CONFLICT statement over a vote query (one GROUP BY pass
    over the labels), so one item (the job after its last label) and a whole campaign run the same SQL."""

    name: str  # what a RatingForm names in `rule`
    version: str
    attributes: tuple[str, ...]

    @classmethod
    @abstractmethod
    def for_campaign(cls, campaign, spec) -> AggregationRule:
        """The rule with this campaign's settings over this form version."""

    @classmethod
    def problems(cls, spec) -> list[str]:
        """What in a form version this rule cannot count (checked before the version is published)."""
        return []

    @staticmethod
    def _needs_choice(spec, value: str, why: str) -> list[str]:
        return [f"{q.key}: needs the choice '{value}' ({why})." for q in spec.questions if value not in dict(q.choices)]

    @abstractmethod
    def vote_columns(self) -> str:
        """The vote query's count columns (after item_id and label_count), e.g. count(*) FILTER (WHERE ...)."""

    @abstractmethod
    def rows(self, votes: str) -> tuple[str, list]:
        """SELECT of (item_id, attribute, positive, yes_count, label_count, score) from `votes` (a subquery), and
        the parameters it uses (all before the subquery)."""

    def aggregate(self, *, items: QuerySet | list[int], form_version_id: int) -> int:
        """Write (insert or replace) this rule's Aggregate rows for `items` (rating items, or their ids: one item's
        aggregation after its last label does not compile a queryset); return how many rows were written."""
        from annotation.models import Label

        if isinstance(items, QuerySet):
            item_sql, item_params = items.values("pk").query.sql_with_params()
            cursor_for = connection.cursor
        else:  # the same text for every item of the rule's campaigns: prepared, planned once per connection
            item_sql, item_params = ", ".join(["%s"] * len(items)) or "NULL", list(items)
            cursor_for = sql_cursor
        votes = (
            f"SELECT item_id, count(*) AS label_count, {self.vote_columns()} FROM {Label._meta.db_table}"
            f" WHERE item_id IN ({item_sql}) GROUP BY item_id"
        )
        rows, row_params = self.rows(votes)
        sql = f"""
            INSERT INTO annotation_aggregate (item_id, rule_version, form_version_id, attribute, positive, yes_count,
                                              label_count, score, computed_at)
            SELECT r.item_id, %s, %s, r.attribute, r.positive, r.yes_count, r.label_count, r.score, now()
            FROM ({rows}) AS r
            ON CONFLICT (item_id, rule_version, attribute) DO UPDATE SET
                form_version_id = EXCLUDED.form_version_id, positive = EXCLUDED.positive,
                yes_count = EXCLUDED.yes_count, label_count = EXCLUDED.label_count, score = EXCLUDED.score,
                computed_at = EXCLUDED.computed_at
        """
        with cursor_for() as cursor:
            cursor.execute(sql, [self.version, form_version_id, *row_params, *item_params])
            return cursor.rowcount

"""Groundedness (docs/groundedness.md): the claim check has no trainer attribute (its verdicts only route replies
to research). Its examples come from the research that followed:

* research (dataset-format §3): one example per step of each submitted research session with outcome "rewritten"
  or "no change" — `TS, <query>` given the context, the base reply and the earlier queries with the snippets the
  toolset returned (in the order they were asked), and finally `User, <rewrite>` (the original reply for "no
  change"). "Cannot be grounded" has no grounded reply and gives none.
* discriminative GROUNDED from the correct / incorrect verdicts (2 of 3): 1 = correct, 0 = incorrect; undecided
  replies give none. The response is the text the raters judged (the rewrite, or the original reply).

Read on the export's snapshot connection, within its scope and cutoff, in turn order (the bytes repeat)."""

from __future__ import annotations

import json

import pyarrow as pa

from annotation.rules import CorrectMajorityRule
from exports.producers.base import Producer, VerdictColumn
from training.format.parquet import schema_for

_CONTEXTS = """
SELECT t.id, t.text FROM collection_turn t WHERE t.session_id = %s AND t.index < %s ORDER BY t.index
"""


class GroundednessProducer(Producer):
    kind = "groundedness"

    def columns(self, verdict_attributes: tuple[str, ...]) -> list[VerdictColumn]:
        return []

    def extra_examples(self, conn, scope, is_validation) -> dict:
        rows: dict[tuple[str, str], list[dict]] = {}
        for session_id, row in self._research(conn, scope):
            side = "validation" if is_validation(session_id) else "train"
            rows.setdefault((side, "research"), []).append(row)
        for session_id, row in self._grounded(conn, scope):
            side = "validation" if is_validation(session_id) else "train"
            rows.setdefault((side, "discriminative"), []).append(row)
        return {
            key: pa.Table.from_pylist(
                [{n: r.get(n) for n in schema_for(key[1]).names} for r in found], schema=schema_for(key[1])
            )  # fmt: skip
            for key, found in rows.items()
        }

    @staticmethod
    def _context(conn, session_id: int, index: int) -> list[str]:
        return [text for _, text in conn.execute(_CONTEXTS, [session_id, index]).fetchall()]

    def _research(self, conn, scope):
        where, params = scope.session_where()
        sql = f"""
            SELECT s.id, t.id, t.index, t.text, w.outcome, w.text, w.session_id
            FROM collection_chatsession s
            JOIN collection_turn t ON t.session_id = s.id
            JOIN collection_researchtask k ON k.turn_id = t.id
            JOIN collection_rewrite w ON w.task_id = k.id AND w.created_at <= %s
            WHERE {where} AND w.outcome IN ('rewritten', 'no_change')
            ORDER BY t.session_id, t.index
        """
        for session_id, turn_id, index, base, _outcome, final, research_id in conn.execute(
            sql, [scope.cutoff, *params]
        ).fetchall():
            context = self._context(conn, session_id, index)
            steps = conn.execute(
                "SELECT query, results::text FROM collection_toolquery WHERE session_id = %s"
                " AND created_at <= %s ORDER BY created_at, id",
                [research_id, scope.cutoff],
            ).fetchall()
            history: list[dict] = []
            for n, (query, results) in enumerate(steps):
                yield session_id, _research_row(turn_id, n, context, base, history, f"TS, {query}")
                history = [*history, {"query": query, "snippets": [r["text"] for r in json.loads(results)]}]
            yield session_id, _research_row(turn_id, len(steps), context, base, history, f"User, {final}")

    def _grounded(self, conn, scope):
        where, params = scope.session_where()
        sql = f"""
            SELECT s.id, t.id, t.index, w.text, bool_or(g.positive) FILTER (WHERE g.attribute = 'correct'),
                   bool_or(g.positive) FILTER (WHERE g.attribute = 'incorrect')
            FROM collection_chatsession s
            JOIN annotation_ratingitem i ON i.session_id = s.id AND i.rewrite_id IS NOT NULL
                 AND i.status = 'complete' AND i.completed_at <= %s
            JOIN collection_turn t ON t.id = i.turn_id
            JOIN collection_rewrite w ON w.id = i.rewrite_id
            JOIN annotation_aggregate g ON g.item_id = i.id AND g.rule_version = %s
            WHERE {where}
            GROUP BY s.id, t.id, t.index, w.text
            ORDER BY s.id, t.index
        """
        for session_id, turn_id, index, text, correct, incorrect in conn.execute(
            sql, [scope.cutoff, CorrectMajorityRule.version, *params]
        ).fetchall():
            if correct == incorrect:  # undecided (neither has a majority)
                continue
            row = {
                "kind": "discriminative",
                "id": f"turn-{turn_id}/GROUNDED",
                "context": self._context(conn, session_id, index),
                "response": text,
                "attribute": "GROUNDED",
                "rating": 1 if correct else 0,
            }
            yield session_id, row


def _research_row(turn_id, step, context, base, history, target) -> dict:
    return {
        "kind": "research",
        "id": f"turn-{turn_id}/research-{step}",
        "context": context,
        "base_response": base,
        "history": history,
        "target": target,
    }

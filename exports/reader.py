"""Read one consistent database snapshot for an export: a REPEATABLE READ, read-only transaction on its own
connection (so the job's progress updates, on Django's connection, commit meanwhile), and server-side cursors that
stream rows in session-aligned batches in bounded memory, in a deterministic order (campaign, session, turn)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import psycopg
from django.conf import settings
from django.db import connection


@dataclass(frozen=True)
class Scope:
    """The sessions of one campaign an export reads: finished and sent for rating, ended by the cutoff (and in
    [since, until) when given); their items count only when complete by the cutoff."""

    campaign_id: int
    cutoff: datetime
    since: datetime | None = None
    until: datetime | None = None

    def session_where(self, alias: str = "s") -> tuple[str, list]:
        sql = f"{alias}.campaign_id = %s AND {alias}.sent_for_rating AND {alias}.ended_at <= %s"
        params: list = [self.campaign_id, self.cutoff]
        if self.since:
            sql, params = sql + f" AND {alias}.ended_at >= %s", [*params, self.since]
        if self.until:
            sql, params = sql + f" AND {alias}.ended_at < %s", [*params, self.until]
        return sql, params


@contextmanager
def snapshot_connection() -> Iterator[psycopg.Connection]:
    s = connection.settings_dict
    params = {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"] or None}
    params.update(host=s["HOST"] or None, port=s["PORT"] or None, **(s.get("OPTIONS") or {}))
    params = {k: v for k, v in params.items() if v not in (None, "") and k != "pool"}
    with psycopg.connect(**params) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            yield conn


def turn_rows_sql(scope: Scope, rule_version: str, verdict_attributes: list[str]) -> tuple[str, list]:
    """Every turn of the scope's sessions, oldest first per session, with the item's verdicts (NULL when the turn
    was not judged by the cutoff) as one boolean column per verdict attribute."""
    where, params = scope.session_where()
    cols = ", ".join(
        f"bool_or(g.positive) FILTER (WHERE g.attribute = %s) AS c{i}" for i in range(len(verdict_attributes))
    )
    verdicts = ", ".join(f"v.c{i}" for i in range(len(verdict_attributes)))
    sql = f"""
        SELECT t.session_id, t.id, t.speaker = 'model', t.text, s.worker_id, i.form_version_id
               {", " + verdicts if verdict_attributes else ""}
        FROM collection_chatsession s
        JOIN collection_turn t ON t.session_id = s.id
        LEFT JOIN annotation_ratingitem i
               ON i.turn_id = t.id AND i.status = 'complete' AND i.completed_at <= %s
        {
        f'''LEFT JOIN (SELECT g.item_id, {cols}
                   FROM annotation_aggregate g JOIN annotation_ratingitem gi ON gi.id = g.item_id
                   WHERE gi.campaign_id = %s AND g.rule_version = %s GROUP BY g.item_id) v ON v.item_id = i.id'''
        if verdict_attributes
        else ""
    }
        WHERE {where}
        ORDER BY t.session_id, t.index
    """
    head = [scope.cutoff]
    if verdict_attributes:
        head += [*verdict_attributes, scope.campaign_id, rule_version]
    return sql, [*head, *params]


def label_rows_sql(scope: Scope) -> tuple[str, list]:
    """Every label of the scope's items complete by the cutoff: (turn id, rater id, answers as JSON text, form
    version), in item order then rater order."""
    where, params = scope.session_where()
    sql = f"""
        SELECT i.turn_id, l.rater_id, l.answers::text, i.form_version_id
        FROM collection_chatsession s
        JOIN annotation_ratingitem i ON i.session_id = s.id AND i.status = 'complete' AND i.completed_at <= %s
        JOIN annotation_label l ON l.item_id = i.id
        WHERE {where}
        ORDER BY i.turn_id, l.rater_id
    """
    return sql, [scope.cutoff, *params]


def stream(
    conn: psycopg.Connection, name: str, sql: str, params: list, *, batch_rows: int | None = None, align: bool = False
) -> Iterator[list[tuple]]:
    """Rows of `sql` from a server-side cursor, `batch_rows` at a time. With `align`, a batch never splits the
    rows of one session (column 0): the last session of a batch is carried into the next."""
    batch_rows = batch_rows or settings.LAMDA_EXPORT_BATCH_ROWS
    with conn.cursor(name=name) as cur:
        cur.itersize = batch_rows
        cur.execute(sql, params)
        carry: list[tuple] = []
        while True:
            fetched = cur.fetchmany(batch_rows)
            rows = carry + fetched if carry else fetched
            if not fetched:
                if rows:
                    yield rows
                return
            if not align:
                yield rows
                continue
            last = rows[-1][0]
            cut = len(rows)
            while cut > 0 and rows[cut - 1][0] == last:
                cut -= 1
            carry = rows[cut:]
            if cut:
                yield rows[:cut]


LOCK_CLASS = 7301  # pg advisory lock namespace of export jobs: (LOCK_CLASS, export id)


def try_job_lock(conn: psycopg.Connection, export_id: int) -> bool:
    """Take the job's session-level advisory lock on `conn` (held until the connection closes: a killed worker's
    is freed by PostgreSQL when its socket closes); False when another connection holds it."""
    return bool(scalar_rows(conn, "SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, export_id])[0][0])


def scalar_rows(conn: psycopg.Connection, sql: str, params: list) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()

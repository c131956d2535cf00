"""Read one consistent database snapshot for an export: a REPEATABLE READ, read-only transaction on its own
connection (so the job's progress updates, on Django's connection, commit meanwhile), and COPY streams parsed by
Arrow in session-aligned batches in bounded memory, in a deterministic order (campaign, session, turn)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
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
    form_id: int | None = None  # the campaign's rating form: a turn also has items of other forms (evaluation...)

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
            conn.execute("SET LOCAL work_mem = '64MB'")  # the ORDER BY sorts in memory, not on disk
            yield conn


def turn_columns(n_verdicts: int) -> dict[str, pa.DataType]:
    cols = {"session": pa.int64(), "turn": pa.int64(), "is_model": pa.bool_(), "text": pa.string()}
    cols |= {"worker": pa.int64(), "form_version": pa.int64()}
    return cols | {f"c{i}": pa.bool_() for i in range(n_verdicts)}


LABEL_COLUMNS = {"turn": pa.int64(), "rater": pa.int64(), "answers": pa.string(), "form_version": pa.int64()}


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
               ON i.turn_id = t.id AND i.status = 'complete' AND i.completed_at <= %s AND i.form_id = %s
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
    head = [scope.cutoff, scope.form_id]
    if verdict_attributes:
        head += [*verdict_attributes, scope.campaign_id, rule_version]
    return sql, [*head, *params]


def label_rows_sql(scope: Scope) -> tuple[str, list]:
    """Every label of the scope's items complete by the cutoff: (turn id, rater id, answers as JSON text, form
    version), in item then rater order (the order of the unique (item, rater) index: no sort)."""
    where, params = scope.session_where()
    sql = f"""
        SELECT i.turn_id, l.rater_id, l.answers::text, i.form_version_id
        FROM collection_chatsession s
        JOIN annotation_ratingitem i ON i.session_id = s.id AND i.status = 'complete' AND i.completed_at <= %s
        JOIN annotation_label l ON l.item_id = i.id
        WHERE {where}
        ORDER BY l.item_id, l.rater_id
    """
    return sql, [scope.cutoff, *params]


class _CopySource(io.RawIOBase):
    """The byte chunks of a COPY ... TO STDOUT as a readable stream (for Arrow's CSV reader)."""

    def __init__(self, chunks: Iterator):
        self._chunks, self._rest = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        parts, have = [self._rest], len(self._rest)
        while have < len(buffer):
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            parts.append(bytes(chunk))
            have += len(chunk)
        data = b"".join(parts)
        out, self._rest = data[: len(buffer)], data[len(buffer) :]
        buffer[: len(out)] = out
        return len(out)


def stream(
    conn: psycopg.Connection, sql: str, params: list, columns: dict[str, pa.DataType], *, align: str | None = None
) -> Iterator[pa.Table]:
    """The rows of `sql` as Arrow tables of about LAMDA_EXPORT_BATCH_ROWS rows, streamed from a COPY (CSV, parsed
    by Arrow in C: the fastest way out of PostgreSQL, bounded memory). With `align` (a column name), a table never
    splits the rows of one value of that column (a session): the last one is carried into the next table."""
    batch_rows = settings.LAMDA_EXPORT_BATCH_ROWS
    options = (
        pacsv.ReadOptions(column_names=list(columns), block_size=1 << 22),
        pacsv.ParseOptions(newlines_in_values=True),
        pacsv.ConvertOptions(
            column_types=columns, true_values=["t"], false_values=["f"], strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )  # fmt: skip
    with conn.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
        try:
            reader = pacsv.open_csv(io.BufferedReader(_CopySource(iter(copy)), 1 << 20), *options)
        except pa.ArrowInvalid as exc:
            if "Empty CSV" in str(exc):
                return  # no rows
            raise
        pending: list[pa.Table] = []
        for record_batch in reader:
            pending.append(pa.Table.from_batches([record_batch]))
            while sum(t.num_rows for t in pending) >= batch_rows:
                table = pa.concat_tables(pending)
                cut = _cut(table, batch_rows, align)
                if cut == 0:
                    break  # one value longer than the batch: read on
                yield table.slice(0, cut)
                pending = [table.slice(cut)]
        table = pa.concat_tables(pending) if pending else None
        if table is not None and table.num_rows:
            yield table


def _cut(table: pa.Table, batch_rows: int, align: str | None) -> int:
    """Where to cut `table` (at least batch_rows rows) so that no run of equal `align` values is split."""
    if align is None:
        return batch_rows
    keys = table.column(align).combine_chunks().to_numpy()
    last = keys[batch_rows - 1]
    after = np.nonzero(keys[batch_rows:] != last)[0]
    if len(after):
        return batch_rows + int(after[0])
    before = np.nonzero(keys[:batch_rows] != last)[0]
    return int(before[-1]) + 1 if len(before) else 0


LOCK_CLASS = 7301  # pg advisory lock namespace of export jobs: (LOCK_CLASS, export id)


def try_job_lock(conn: psycopg.Connection, export_id: int) -> bool:
    """Take the job's session-level advisory lock on `conn` (held until the connection closes: a killed worker's
    is freed by PostgreSQL when its socket closes); False when another connection holds it."""
    return bool(scalar_rows(conn, "SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, export_id])[0][0])


def scalar_rows(conn: psycopg.Connection, sql: str, params: list) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()

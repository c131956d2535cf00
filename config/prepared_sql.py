"""Plain SQL on Django's own connection, each statement prepared once per connection (the rating path's
statements: annotation/services/assignment_sql.py, the dialog read, one item's inline aggregation;
docs/assignment.md). The API token lookup prepares itself the same way (config/throttling._first_statement).

psycopg keys its cache of prepared statements (100 per connection) by the text and the parameters' types, and
picks int2 / int4 / int8 by an integer's value, so a statement can be prepared up to three times as ids grow; and
psycopg drops every prepared statement of a connection when a transaction on it rolls back (a refused submit, a
busy claim), so the next request on that connection prepares them again. Neither changes an answer.

Django turns psycopg's automatic preparation off (prepare_threshold None, for connection poolers); here only the
statements executed through `sql_cursor` are prepared, and settings.LAMDA_SQL_PREPARE = False (e.g. behind
PgBouncer in transaction mode before 1.21) turns that off too.
"""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

NEVER_AUTOMATICALLY = 2**31 - 1  # psycopg's threshold: only the statements executed with prepare=True


@contextmanager
def sql_cursor():
    """A cursor on Django's connection (its transaction, its health check, its error types) that binds parameters
    on the server and prepares each statement once per connection, as psycopg does by default and as the bare-SQL
    baseline runs them: PostgreSQL plans a statement once per connection instead of on every request."""
    conn = connections[DEFAULT_DB_ALIAS]  # the thread's wrapper, looked up once (not per attribute, as the proxy)
    if not settings.LAMDA_SQL_PREPARE:
        with conn.cursor() as plain:
            yield plain
        return
    conn.close_if_health_check_failed()  # what connection.cursor() does first
    conn.ensure_connection()
    raw = conn.connection
    prepare_only_when_asked(raw)
    with conn.wrap_database_errors, _Prepared(conn, psycopg.Cursor(raw)) as prepared:
        yield prepared


def prepare_only_when_asked(raw: psycopg.Connection) -> None:
    """Let psycopg prepare the statements executed with prepare=True on this connection, and no others (Django
    leaves its threshold at None: never)."""
    if raw.prepare_threshold is None:
        raw.prepare_threshold = NEVER_AUTOMATICALLY


class _Prepared:
    """The cursor methods these services use, each statement prepared (psycopg keeps up to 100 per connection)."""

    def __init__(self, conn, raw: psycopg.Cursor):
        self.conn, self.raw = conn, raw

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.raw.close()

    def execute(self, query: str, params=None) -> None:
        self.conn.validate_no_broken_transaction()
        self.raw.execute(query, params, prepare=True)

    def fetchone(self):
        return self.raw.fetchone()

    def fetchall(self):
        return self.raw.fetchall()

    @property
    def rowcount(self) -> int:
        return self.raw.rowcount

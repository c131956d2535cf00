"""The token lookup is the request's connection health check (no `SELECT 1` before it): on a connection that died
it reconnects and answers, as Django's health check would have made it."""

import psycopg
import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from config.throttling import token_user
from tests.annotation.test_claim_busy import _dsn
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _kill_backend(pid: int) -> None:
    with psycopg.connect(_dsn(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_dead_connection_is_replaced_by_the_token_lookup():
    token = Token.objects.create(user=UserFactory())
    connection.ensure_connection()
    old = connection.connection
    _kill_backend(old.info.backend_pid)
    connection.health_check_done = False  # a new request on a reused connection (request_started resets it)
    assert token_user(token.key).pk == token.user_id
    assert connection.connection is not old and connection.health_check_done


def test_a_live_connection_answers_without_a_separate_check():
    token = Token.objects.create(user=UserFactory())
    connection.ensure_connection()
    live = connection.connection
    connection.health_check_done = False
    assert token_user(token.key).pk == token.user_id
    assert connection.connection is live and connection.health_check_done
    assert token_user("no-such-token") is None


def _prepared_token_lookups() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%authtoken_token%'")
        return cursor.fetchone()[0]


def test_the_token_lookup_is_prepared_once_per_connection(settings):
    token = Token.objects.create(user=UserFactory())
    connection.ensure_connection()
    for _ in range(3):
        connection.health_check_done = False  # three requests on one connection
        assert token_user(token.key).pk == token.user_id
    assert _prepared_token_lookups() == 1
    connection.close()
    settings.LAMDA_SQL_PREPARE = False  # behind a pooler that cannot hold them: never prepared
    connection.ensure_connection()
    connection.health_check_done = False
    assert token_user(token.key).pk == token.user_id
    assert _prepared_token_lookups() == 0

"""API rate limits on DRF's throttling hooks, counted in the Redis cache (docs/security.md).

    user         every authenticated request, per user          LAMDA_API_RATE_USER (1200/min)
    anon         every anonymous request, per client address    LAMDA_API_RATE_ANON (120/min)
    failed_auth  wrong API tokens, per client address           LAMDA_API_RATE_FAILED_AUTH (20/min): past it,
                 every token from that address is refused with 429 (not even checked) until the window ends

Counting is a fixed window: one round trip per request (INCR + EXPIRE in a pipeline) on one shared redis-py client
(LAMDA_RATE_LIMIT_REDIS_URL). Not DRF's SimpleRateThrottle on Django's cache: that reads and rewrites a list of
timestamps per request, and Django's Redis cache builds a new client per call and spends two round trips on an
INCR, more than the rating request it guards costs (docs/performance.md). When Redis cannot be reached the limits
are not applied (logged): rate limiting must not take the API down with it.
The client address is REMOTE_ADDR, or the address LAMDA_NUM_PROXIES hops from the right of X-Forwarded-For
behind that many trusted proxies (the same for django-axes' login limit).
"""

from __future__ import annotations

import functools
import logging
import math
import time

import psycopg
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from config.prepared_sql import prepare_only_when_asked

logger = logging.getLogger(__name__)
TOO_MANY_TOKENS = "Too many wrong API tokens from your address."  # DRF adds "Expected available in N seconds."


def client_ip(request) -> str | None:
    """The client's address as configured (REST_FRAMEWORK NUM_PROXIES); also django-axes' AXES_CLIENT_IP_CALLABLE.
    None when the request carries none (a test client's force_login)."""
    return BaseThrottle().get_ident(request) or None


def parse_rate(rate: str) -> tuple[int, int]:
    """'20/min' -> (20, 60). Periods: s, min, h, day (DRF's syntax: only the first letter counts)."""
    num, period = rate.split("/")
    return int(num), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[0]]


_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    """One client (and connection pool) per process; short timeouts, so a hung Redis cannot hang requests."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.LAMDA_RATE_LIMIT_REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
    return _client


class FixedWindow:
    """Fixed-window counting for one scope: key per (ident, window), the limit, and the wait until the next window."""

    def __init__(self, scope: str):
        self.scope = scope
        self.limit, self.duration = parse_rate(api_settings.DEFAULT_THROTTLE_RATES[scope])

    def key(self, ident: str, now: float) -> str:
        return f"throttle:{self.scope}:{ident}:{int(now // self.duration)}"

    def wait(self, now: float) -> int:
        return max(1, math.ceil(self.duration - now % self.duration))


def _redis_round_trip(build) -> list | None:
    """Run the commands `build(pipeline)` queues in one round trip; None (limits skipped, logged) when Redis is
    down."""
    try:
        pipe = _redis().pipeline(transaction=False)
        build(pipe)
        return pipe.execute()
    except (redis.RedisError, OSError, ValueError) as exc:
        # ValueError, OSError: redis-py's socket buffer closed under a thread when a timeout dropped the connection
        # (seen under load as "I/O operation on closed file"); the next call opens a new connection
        logger.warning("rate limits not applied, Redis unreachable: %s: %s", type(exc).__name__, exc)
        return None


def _incr(pipe, window: FixedWindow, ident: str, now: float) -> None:
    key = window.key(ident, now)
    pipe.incr(key).expire(key, window.duration + 1)


def _throttled(window: FixedWindow, now: float, detail: str | None = None) -> exceptions.Throttled:
    return exceptions.Throttled(wait=window.wait(now), detail=detail)


class _RateThrottle(BaseThrottle):
    scope = ""

    def __init__(self):
        self.window = FixedWindow(self.scope)
        self.now = 0.0

    def ident(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request)
        if ident is None:
            return True
        self.now = time.time()
        used = getattr(request, "lamda_user_hits", None) if self.scope == "user" else None
        if used is None:  # not counted yet (session login, anonymous): count now
            result = _redis_round_trip(lambda pipe: _incr(pipe, self.window, ident, self.now))
            used = result[0] if result else None
        return used is None or used <= self.window.limit

    def wait(self) -> int:
        return self.window.wait(self.now)


class UserRateThrottle(_RateThrottle):
    scope = "user"

    def ident(self, request) -> str | None:
        return str(request.user.pk) if request.user and request.user.is_authenticated else None


class AnonRateThrottle(_RateThrottle):
    scope = "anon"

    def ident(self, request) -> str | None:
        return None if request.user and request.user.is_authenticated else (client_ip(request) or "unknown")


class ThrottledTokenAuthentication(TokenAuthentication):
    """TokenAuthentication that counts wrong tokens per client address: past the failed_auth rate, every request
    with a token from that address gets 429 until the window ends, valid token or not, so guessing learns nothing
    more. One Redis round trip per request: a valid token reads the address's failures and counts the user's
    request (for UserRateThrottle) together. The token and its user are read in one plain SQL statement, not an ORM
    query compiled per request (the rating path's largest fixed cost; docs/performance.md)."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        failed, ip, now = FixedWindow("failed_auth"), client_ip(request) or "unknown", time.time()
        try:
            user, key = super().authenticate(request)
        except exceptions.AuthenticationFailed:
            result = _redis_round_trip(lambda pipe: _incr(pipe, failed, ip, now))
            if result and result[0] > failed.limit:
                raise _throttled(failed, now, TOO_MANY_TOKENS) from None
            raise
        per_user = FixedWindow("user")

        def build(pipe) -> None:
            pipe.get(failed.key(ip, now))
            _incr(pipe, per_user, str(user.pk), now)

        result = _redis_round_trip(build)
        if result:
            if int(result[0] or 0) >= failed.limit:
                raise _throttled(failed, now, TOO_MANY_TOKENS)
            request.lamda_user_hits = result[1]
        return user, key

    def authenticate_credentials(self, key: str):
        user = token_user(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, key


def token_user(key: str):
    """The user whose API token is `key`, or None."""
    if not isinstance(key, str) or len(key) > 40:
        return None
    query, attnames = _token_user_query()
    row = _first_statement(query, [key])
    return None if row is None else get_user_model().from_db(DEFAULT_DB_ALIAS, attnames, row)


@functools.cache
def _token_user_query() -> tuple[str, tuple[str, ...]]:
    """The token + user statement and the user's field names, built once per process (not per request)."""
    user_model = get_user_model()
    fields = user_model._meta.concrete_fields
    select = ", ".join(f"u.{connection.ops.quote_name(f.column)}" for f in fields)
    query = (
        f"SELECT {select} FROM authtoken_token t JOIN {user_model._meta.db_table} u ON u.id = t.user_id"
        " WHERE t.key = %s"
    )
    return query, tuple(f.attname for f in fields)


def _first_statement(query: str, params: list):
    """Run a read-only lookup as the request's first statement and let it be the connection's health check:
    with CONN_HEALTH_CHECKS Django sends `SELECT 1` before a reused connection's first statement of a request,
    one round trip per API request. Outside a transaction the lookup can simply be repeated: on a connection that
    died (the database restarted) it fails, the connection is closed, and it runs again on a new one, as the
    health check would have done (docs/outages.md)."""
    conn = connections[DEFAULT_DB_ALIAS]  # the thread's wrapper, looked up once
    if conn.health_check_enabled and not conn.health_check_done and conn.connection is not None:
        if not conn.in_atomic_block:
            raw_conn = conn.connection
            prepare = settings.LAMDA_SQL_PREPARE  # prepared once per connection, as the rating statements
            if prepare:
                prepare_only_when_asked(raw_conn)
            try:
                # psycopg's own cursor (an error here is not a request's), binding on the server as sql_cursor's
                with psycopg.Cursor(raw_conn) as raw:
                    raw.execute(query, params, prepare=prepare or None)
                    row = raw.fetchone()
            except conn.Database.Error:
                conn.close()  # what a failed health check does; the lookup below reconnects
            else:
                conn.health_check_done = True
                return row
    with conn.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()

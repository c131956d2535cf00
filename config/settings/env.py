"""Small readers of environment variables for the settings (no Django imports: settings load before Django)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """True / False from 1/0, true/false, yes/no, on/off; anything else is a configuration error (a typo must not
    silently pick a default)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: use 1 or 0 (true/false, yes/no, on/off)")


def env_number(name: str, default: float, *, minimum: float = 0, kind: type = int):
    """An int (or float) of at least `minimum`; anything else is a configuration error naming the variable."""
    raw = os.environ.get(name)
    if raw is None:
        return kind(default)
    try:
        value = kind(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be a {'whole ' if kind is int else ''}number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at least {minimum}")
    return value


RATE_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def env_rate(name: str, default: str) -> str:
    """A rate limit such as '20/min' (periods s, min, h, day), checked here so a typo cannot fail every request."""
    raw = os.environ.get(name, default).strip()
    count, _, period = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in RATE_PERIODS:
        raise ImproperlyConfigured(f"{name}={raw!r}: use COUNT/PERIOD, e.g. 20/min (periods: s, min, h, day)")
    return raw


def env_list(name: str, default: str) -> list[str]:
    """A comma-separated list, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_required(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set: {why} (for a try-out on this machine use LAMDA_ENV=demo, or scripts/demo.sh)"
        )
    return value


def redis_beside_broker(broker_url: str) -> str:
    """The Redis for rate-limit counters beside a Redis broker: the same server, database 1 (the broker uses the
    URL's own database). A non-Redis broker (RabbitMQ) has no Redis to share: set LAMDA_RATE_LIMIT_REDIS_URL."""
    parts = urlsplit(broker_url)
    if parts.scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(
            f"CELERY_BROKER_URL {parts.scheme}://... is not Redis: set LAMDA_RATE_LIMIT_REDIS_URL=redis://HOST:PORT/1 "
            "for the rate-limit counters"
        )
    return urlunsplit((parts.scheme, parts.netloc, "/1", "", ""))

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

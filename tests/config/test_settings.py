"""Production is the default profile: DEBUG off, HTTPS-only cookies and HSTS, a required secret key and host list,
and `manage.py check --deploy` passes. The demo and the tests opt in to their own profiles."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LAMDA_ENV", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _print(setting: str, **env: str) -> str:
    done = _manage("shell", "-c", f"from django.conf import settings; print(repr(settings.{setting}))", **env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


PROD = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(60), "DJANGO_ALLOWED_HOSTS": "lamda.example.org"}


def test_check_deploy_passes_for_production_settings():
    done = _manage("check", "--deploy", "--fail-level", "WARNING", **PROD)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_is_the_default_profile():
    assert _print("DEBUG", **PROD) == "False"
    assert _print("SESSION_COOKIE_SECURE", **PROD) == "True"
    assert _print("CSRF_COOKIE_SECURE", **PROD) == "True"
    assert _print("SECURE_SSL_REDIRECT", **PROD) == "True"
    assert int(_print("SECURE_HSTS_SECONDS", **PROD)) >= 31536000


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "x.org"}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": PROD["DJANGO_SECRET_KEY"]}, "DJANGO_ALLOWED_HOSTS must be set"),
        ({**PROD, "DJANGO_SECRET_KEY": "abc"}, "DJANGO_SECRET_KEY is too weak"),
        ({**PROD, "DJANGO_SECURE_HSTS_SECONDS": "abc"}, "DJANGO_SECURE_HSTS_SECONDS='abc': must be a whole number"),
        ({**PROD, "LAMDA_LOGIN_FAILURE_LIMIT": "five"}, "LAMDA_LOGIN_FAILURE_LIMIT='five'"),
        ({**PROD, "LAMDA_RECOVERY_SECONDS": "-3"}, "must be at least 0"),
        ({**PROD, "LAMDA_API_RATE_USER": "lots"}, "LAMDA_API_RATE_USER='lots': use COUNT/PERIOD"),
        ({**PROD, "DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL must be a PostgreSQL URL"),
        ({**PROD, "DJANGO_DEBUG": "1"}, "DJANGO_DEBUG=1 is refused with LAMDA_ENV=prod"),
        ({**PROD, "LAMDA_ENV": "staging"}, "LAMDA_ENV='staging'"),
        ({**PROD, "DJANGO_SECURE_SSL_REDIRECT": "maybe"}, "use 1 or 0"),
    ],
)
def test_a_production_setting_that_is_missing_or_wrong_is_one_clear_line(env, message):
    done = _manage("check", **env)
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_the_demo_and_test_profiles_are_opt_in_and_never_show_tracebacks():
    assert _print("DEBUG", LAMDA_ENV="demo") == "False"
    assert _print("DEBUG", LAMDA_ENV="test") == "False"
    assert _print("SESSION_COOKIE_SECURE", LAMDA_ENV="demo") == "False"  # plain http on localhost
    assert _print("DEBUG", LAMDA_ENV="dev") == "True"  # a developer's own machine only

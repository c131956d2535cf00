"""All settings, read from the environment in this one place.

LAMDA_ENV: "dev" (default), "test" or "prod". DATABASE_URL must point at PostgreSQL; scripts/services.sh starts a
project-local cluster and exports it. Every product default that the paper leaves open lives in LAMDA_* settings
below or on the campaign, never as a hidden constant.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
ENV = os.environ.get("LAMDA_ENV", "dev")


def _bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-dev-key-change-me" if ENV != "prod" else "")
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when LAMDA_ENV=prod")
DEBUG = _bool("DJANGO_DEBUG", ENV == "dev")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "collection",
    "annotation",
    "training",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "frontend.middleware.RejectNulMiddleware",  # NUL in path/query/headers -> 400 (docs/http-hardening.md)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgresql://lamda@127.0.0.1:54320/lamda"),
        conn_max_age=0 if ENV == "test" else 60,
    )
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise RuntimeError("DATABASE_URL must be a PostgreSQL URL (the platform relies on SKIP LOCKED and JSONB)")
if os.environ.get("LAMDA_TEST_DB_NAME"):  # lets parallel test runs on one cluster use separate databases
    DATABASES["default"]["TEST"] = {"NAME": os.environ["LAMDA_TEST_DB_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
if ENV == "test":  # fast hashing for the thousands of throw-away test users; never outside tests
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "frontend:tasks"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # request bodies over 2 MiB are refused with 400

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LaMDA pipeline platform API",
    "DESCRIPTION": "Every crowdworker action: chat sessions, rating work, toolset research.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:63790/0")
CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", ENV == "test")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "close-idle-chat-sessions": {"task": "collection.jobs.close_idle_sessions", "schedule": timedelta(minutes=1)},
    "expire-rating-leases": {"task": "annotation.jobs.expire_leases", "schedule": timedelta(minutes=1)},
    "recover-missed-rating-jobs": {"task": "annotation.jobs.recover_missed_jobs", "schedule": timedelta(minutes=5)},
}

# Product settings (defaults the paper leaves open; see docs/)
LAMDA_MAX_MESSAGE_CHARS = int(os.environ.get("LAMDA_MAX_MESSAGE_CHARS", "2000"))
LAMDA_LEASE_SECONDS = int(os.environ.get("LAMDA_LEASE_SECONDS", "600"))
LAMDA_DATA_DIR = Path(os.environ.get("LAMDA_DATA_DIR", BASE_DIR / "var" / "data"))
LAMDA_DEMO_CHECKPOINT = Path(
    os.environ.get("LAMDA_DEMO_CHECKPOINT", BASE_DIR / "var" / "checkpoints" / "tiny" / "export")
)
LAMDA_TOOLSET_INDEX = Path(os.environ.get("LAMDA_TOOLSET_INDEX", BASE_DIR / "var" / "toolset-index"))
LAMDA_TOOLSET_OPENSEARCH_URL = os.environ.get("LAMDA_TOOLSET_OPENSEARCH_URL", "")
LAMDA_TOOLSET_OPENSEARCH_INDEX = os.environ.get("LAMDA_TOOLSET_OPENSEARCH_INDEX", "lamda-passages")
LAMDA_TOOLSET_TRANSLATOR_URL = os.environ.get("LAMDA_TOOLSET_TRANSLATOR_URL", "")
LAMDA_TOOLSET_TRANSLATOR_API_KEY = os.environ.get("LAMDA_TOOLSET_TRANSLATOR_API_KEY", "")
LAMDA_TOOLSET_RESULTS_PER_QUERY = int(os.environ.get("LAMDA_TOOLSET_RESULTS_PER_QUERY", "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LAMDA_LOG_LEVEL", "INFO")},
}

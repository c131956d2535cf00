"""Settings every profile shares, read from the environment in this one place (profiles: config/settings/__init__.py).

DATABASE_URL must point at PostgreSQL; scripts/services.sh starts a project-local cluster and exports it. Every
product default that the paper leaves open lives in LAMDA_* settings below or on the campaign, never as a hidden
constant.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured

from config.settings.env import env_bool, env_list, env_number, env_rate, redis_beside_broker

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENV = os.environ.get("LAMDA_ENV", "prod")

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

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
    "axes",
    "collection",
    "annotation",
    "training",
    "exports",
    "recruitment",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "frontend.middleware.RejectNulMiddleware",  # NUL in path/query/headers -> 400 (docs/http-hardening.md)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.SessionMiddlewareForBrowsers",  # Django's, skipped for /api/ + Token (config/middleware.py)
    "django.middleware.locale.LocaleMiddleware",  # the browser's language (docs/i18n.md)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.middleware.AuthenticationMiddlewareForBrowsers",  # likewise
    "config.middleware.MessageMiddlewareForBrowsers",  # likewise
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.outage.DatabaseOutageMiddleware",  # database down -> 503 JSON / page (docs/outages.md)
    "frontend.middleware_worker.CampaignLanguageMiddleware",  # a campaign's own language, if it has one
    "frontend.middleware_worker.WorkerTimezoneMiddleware",  # times in the worker's time zone
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a login lockout into a 429 page
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
        # a persistent connection is checked before a request reuses it: a database that restarted costs no 500s
        conn_health_checks=True,
    )
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must be a PostgreSQL URL (the platform relies on SKIP LOCKED and JSONB)")
if os.environ.get("LAMDA_TEST_DB_NAME"):  # lets parallel test runs on one cluster use separate databases
    DATABASES["default"]["TEST"] = {"NAME": os.environ["LAMDA_TEST_DB_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# django-axes first: it refuses a locked-out (username, IP) before the password is even checked (docs/security.md)
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_number("LAMDA_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_number("LAMDA_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # one guessed account from one address, not a whole lab
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"  # 429 page with Retry-After
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "config.throttling.client_ip"  # the same address as the API limits
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "frontend:tasks"
LOGOUT_REDIRECT_URL = "login"

# Worker pages are translated with Django's i18n (docs/i18n.md): English ships; add a language by adding its
# catalog under locale/ and its code here (LAMDA_LANGUAGES=en,de).
LANGUAGE_CODE = "en"
LANGUAGES = [(code, LANG_INFO.get(code, {}).get("name", code)) for code in env_list("LAMDA_LANGUAGES", "en")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # request bodies over 2 MiB are refused with 400

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "config.throttling.ThrottledTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    # rate limits (docs/security.md): per user, per address for anonymous requests, and per address for failed
    # token logins (a guessed token is throttled, not answered 401 forever)
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.UserRateThrottle", "config.throttling.AnonRateThrottle"],
    "NUM_PROXIES": env_number("LAMDA_NUM_PROXIES", 0),  # trusted proxies in front (X-Forwarded-For)
    "DEFAULT_THROTTLE_RATES": {
        "user": env_rate("LAMDA_API_RATE_USER", "1200/min"),
        "anon": env_rate("LAMDA_API_RATE_ANON", "120/min"),
        "failed_auth": env_rate("LAMDA_API_RATE_FAILED_AUTH", "20/min"),
    },
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
# rate-limit counters (config/throttling.py): db 1 of the broker's Redis unless set
LAMDA_RATE_LIMIT_REDIS_URL = os.environ.get("LAMDA_RATE_LIMIT_REDIS_URL") or redis_beside_broker(CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", ENV == "test")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a worker child killed mid-job gives the job back to the queue
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "close-idle-chat-sessions": {"task": "collection.jobs.close_idle_sessions", "schedule": timedelta(minutes=1)},
    "expire-rating-leases": {"task": "annotation.jobs.expire_leases", "schedule": timedelta(minutes=1)},
    # the sweep that catches jobs lost to a broker outage or a killed process; cheap when there is nothing to do
    # (partial indexes), so it runs often: recovery within LAMDA_RECOVERY_SECONDS + one job (docs/outages.md)
    "recover-missed-rating-jobs": {
        "task": "annotation.jobs.recover_missed_jobs",
        "schedule": timedelta(seconds=env_number("LAMDA_RECOVERY_SECONDS", 15)),
    },
    "recover-exports": {
        "task": "exports.jobs.recover_exports",
        "schedule": timedelta(seconds=env_number("LAMDA_RECOVERY_SECONDS", 15)),
    },
}
LAMDA_RECOVERY_GRACE_SECONDS = env_number("LAMDA_RECOVERY_GRACE_SECONDS", 10)  # younger: own job's

# Product settings (defaults the paper leaves open; see docs/)
LAMDA_MAX_MESSAGE_CHARS = env_number("LAMDA_MAX_MESSAGE_CHARS", 2000)
LAMDA_LEASE_SECONDS = env_number("LAMDA_LEASE_SECONDS", 600)
LAMDA_DATA_DIR = Path(os.environ.get("LAMDA_DATA_DIR", BASE_DIR / "var" / "data"))
LAMDA_DEMO_CHECKPOINT = Path(
    os.environ.get("LAMDA_DEMO_CHECKPOINT", BASE_DIR / "var" / "checkpoints" / "tiny" / "export")
)
LAMDA_EXPORT_ROOT = Path(os.environ.get("LAMDA_EXPORT_ROOT", BASE_DIR / "var" / "exports"))  # admin exports
LAMDA_EXPORT_REQUEUE_SECONDS = env_number("LAMDA_EXPORT_REQUEUE_SECONDS", 600)  # queued and not started
LAMDA_EXPORT_BATCH_ROWS = env_number("LAMDA_EXPORT_BATCH_ROWS", 50_000, minimum=100)  # rows per read: memory
LAMDA_EXPORT_PSEUDONYM_KEY = os.environ.get("LAMDA_EXPORT_PSEUDONYM_KEY", "")  # blank: derived from the secret key
LAMDA_TOOLSET_INDEX = Path(os.environ.get("LAMDA_TOOLSET_INDEX", BASE_DIR / "var" / "toolset-index"))
LAMDA_TOOLSET_OPENSEARCH_URL = os.environ.get("LAMDA_TOOLSET_OPENSEARCH_URL", "")
LAMDA_TOOLSET_OPENSEARCH_INDEX = os.environ.get("LAMDA_TOOLSET_OPENSEARCH_INDEX", "lamda-passages")
LAMDA_TOOLSET_TRANSLATOR_URL = os.environ.get("LAMDA_TOOLSET_TRANSLATOR_URL", "")
LAMDA_TOOLSET_TRANSLATOR_API_KEY = os.environ.get("LAMDA_TOOLSET_TRANSLATOR_API_KEY", "")
LAMDA_TOOLSET_RESULTS_PER_QUERY = env_number("LAMDA_TOOLSET_RESULTS_PER_QUERY", 3)
LAMDA_RESEARCH_LEASE_SECONDS = env_number("LAMDA_RESEARCH_LEASE_SECONDS", 1800)  # a research task's lease; renewed
LAMDA_MAX_REWRITE_CHARS = env_number("LAMDA_MAX_REWRITE_CHARS", 4000)  # by the workbench's autosave while open

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # a request the client got wrong (too big, bad host...) is answered 400 and logged as one line, no traceback
    "filters": {
        "one_line": {"()": "config.logging.OneLineFilter"},
        "client_error_one_line": {"()": "config.logging.ClientErrorOneLineFilter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Django logs these on django.security.<exception name>; a filter must sit on that very logger to apply
    "loggers": {
        "django.request": {"filters": ["client_error_one_line"]},
        **{
            f"django.security.{name}": {"filters": ["one_line"]}
            for name in (
                "RequestDataTooBig",
                "TooManyFieldsSent",
                "TooManyFilesSent",
                "DisallowedHost",
                "DisallowedRedirect",
                "SuspiciousOperation",
                "SuspiciousMultipartForm",
                "SuspiciousFileOperation",
                "SuspiciousSession",
            )
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LAMDA_LOG_LEVEL", "INFO")},
}
# A claim whose candidates are all row-locked by other raters retries for this long before answering "busy, retry"
# (503 + Retry-After) instead of a false "no work" (docs/assignment.md).
LAMDA_CLAIM_BUSY_SECONDS = env_number("LAMDA_CLAIM_BUSY_SECONDS", 1.0, kind=float)
# The claim and submit statements are prepared once per connection (docs/assignment.md); off behind a pooler that
# cannot hold prepared statements (PgBouncer in transaction mode before 1.21)
LAMDA_SQL_PREPARE = env_bool("LAMDA_SQL_PREPARE", True)
LAMDA_RETRY_AFTER_SECONDS = env_number("LAMDA_RETRY_AFTER_SECONDS", 5)  # told to clients on a 503
# Demographic breakdowns on results pages hide any group with fewer raters than this (docs/safety.md)
LAMDA_DEMOGRAPHIC_MIN_GROUP = env_number("LAMDA_DEMOGRAPHIC_MIN_GROUP", 5, minimum=1)

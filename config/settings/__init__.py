"""Django settings. LAMDA_ENV picks the profile; production is the default (docs/deployment.md):

prod (default)  DEBUG off, HTTPS only (secure cookies, HSTS, redirect), DJANGO_SECRET_KEY and
                DJANGO_ALLOWED_HOSTS required; `manage.py check --deploy` passes (tests/config/test_settings.py)
demo            scripts/demo.sh: DEBUG off, plain http on localhost, a fixed demo secret key
test            scripts/test.sh: as demo, plus eager Celery and fast password hashing
dev             a developer's machine: as demo, with DEBUG on (tracebacks in the browser)
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import ENV

if ENV == "prod":
    from config.settings.prod import *  # noqa: F403
elif ENV in {"demo", "test", "dev"}:
    from config.settings.local import *  # noqa: F403
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LAMDA_ENV={ENV!r}: use prod (the default), demo, test or dev")

"""The production profile (the default): nothing here may leak to a visitor, and every cookie needs HTTPS.

Behind a reverse proxy that terminates TLS, set DJANGO_SECURE_PROXY_SSL_HEADER=1 so that Django trusts the proxy's
X-Forwarded-Proto (only when the proxy always sets it), or DJANGO_SECURE_SSL_REDIRECT=0 when the proxy redirects.
"""

from config.settings.env import env_bool, env_list, env_number, env_required

if env_bool("DJANGO_DEBUG", False):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_DEBUG=1 is refused with LAMDA_ENV=prod: use LAMDA_ENV=dev on your own machine")

DEBUG = False
SECRET_KEY = env_required("DJANGO_SECRET_KEY", "production (LAMDA_ENV=prod, the default) needs a long random secret")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak: use at least 50 random characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
env_required("DJANGO_ALLOWED_HOSTS", "the host names this site answers to, comma-separated")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "")

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_number("DJANGO_SECURE_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

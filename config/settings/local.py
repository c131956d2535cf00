"""The demo, test and dev profiles: one machine, plain http on localhost. Never use them for a public site."""

from config.settings.base import ENV
from config.settings.env import env_bool, env_list

DEBUG = env_bool("DJANGO_DEBUG", ENV == "dev")  # dev only: tracebacks in the browser
SECRET_KEY = f"insecure-{ENV}-key-for-localhost-only-never-use-it-on-a-public-site"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
WHITENOISE_USE_FINDERS = True  # static files straight from the apps: no collectstatic for the demo
STATIC_ROOT = None  # (and so no warning about a collectstatic folder that is not there)

if ENV == "test":
    # fast hashing for the thousands of throw-away test users; never outside tests
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

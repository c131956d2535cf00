"""The Celery app. Jobs live in each app's jobs.py; the broker is Redis (or RabbitMQ) from CELERY_BROKER_URL."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lamda")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")

"""Django glue for the trainer (management commands, later dataset snapshots and runs).

Only this file, `models.py`, `jobs.py` and `management/` may import Django: the trainer core never does.
"""

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training (snapshots, runs)"

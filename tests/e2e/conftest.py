"""A real Celery worker process for end-to-end tests, against the test database and a private Redis db."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def _broker_url() -> str:
    # the same broker the test process is configured with (scripts/test.sh starts a private Redis for tests)
    return celery_app.conf.broker_url


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(tmp_path, *, beat: bool = False, extra_env: dict | None = None):
    """Start `celery -A config worker` (with `-B`: beat in the same process) as a separate process; jobs from this
    test process go to it via Redis. A generator: yields the process, stops it on the way out."""
    broker = _broker_url()
    try:
        redis.Redis.from_url(broker).flushdb()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {broker}: run the suite with scripts/test.sh, which starts one")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LAMDA_ENV": "test",
        "OMP_NUM_THREADS": "1",
        **(extra_env or {}),
    }
    args = ["--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if beat:
        args += ["-B", "--schedule", str(tmp_path / "celerybeat-schedule")]
    saved = dict(celery_app.conf.items())  # before the worker starts: nothing can fail between start and try
    log = open(tmp_path / "worker.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    celery_app.conf.update(task_always_eager=False)
    try:
        _wait_for_ready(log, proc)
        yield proc
    finally:
        celery_app.conf.update(task_always_eager=saved["task_always_eager"])
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.seek(0)
        print("---- celery worker log ----\n" + log.read()[-4000:])
        log.close()


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real Celery worker process against the test database."""
    yield from _start_worker(tmp_path)


@pytest.fixture
def celery_worker_with_beat(transactional_db, tmp_path):
    """A worker with beat (`-B`) whose recovery sweep runs every 2 s and takes over work at once."""
    yield from _start_worker(
        tmp_path, beat=True, extra_env={"LAMDA_RECOVERY_SECONDS": "2", "LAMDA_RECOVERY_GRACE_SECONDS": "0"}
    )


def _wait_for_ready(log, proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log.seek(0)
        if "ready." in log.read():
            return
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"celery worker exited early:\n{log.read()}")
        time.sleep(0.2)
    raise RuntimeError("celery worker did not become ready within 60 s")


def wait_until(predicate, *, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")

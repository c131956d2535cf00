import os
import subprocess
import sys

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """API rate-limit counters live in Redis, across tests: every test starts from zero (a suite sends far more
    requests from 127.0.0.1 per minute than any limit allows)."""
    import redis

    from config import throttling

    try:
        throttling._redis().flushdb()
    except redis.RedisError:  # no Redis (a run without scripts/test.sh): the limits are skipped anyway
        pass


@pytest.fixture(autouse=True)
def _fresh_form_caches():
    """Form versions and items are cached by id per process; a test that rebuilds tables (migrations) reuses ids."""
    from annotation.forms import clear_caches

    clear_caches()


@pytest.fixture
def fake_backend(monkeypatch):
    """Every ModelEndpoint answers through one FakeBackend (inspect .calls, set .fail_with)."""
    from tests.collection.fakes import FakeBackend

    backend = FakeBackend()
    monkeypatch.setattr("collection.backends.backend_for", lambda endpoint: backend)
    return backend


@pytest.fixture
def user_factory():
    return UserFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def worker(db):
    return UserFactory(username="chatter")


@pytest.fixture
def worker_client(worker):
    client = APIClient()
    client.force_authenticate(worker)
    return client


@pytest.fixture(scope="session")
def tiny_export(tmp_path_factory):
    """A real trainer run (CLI, demo corpus, a few steps of a shrunken tiny model) and its export folder: what the
    platform's `local` backend loads. Tests that need a trained export share this one run."""
    out = tmp_path_factory.mktemp("tiny-run")
    args = ["--preset", "tiny", "--out", str(out), "--steps", "4", "--demo-dialogs", "60", "--no-progress"]
    args += ["--model-arg", "d_model=64", "--model-arg", "n_layers=2", "--model-arg", "n_heads=2"]
    args += ["--model-arg", "d_ff=128", "--seq-len", "64", "--batch-size", "4", "--vocab-size", "512"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "training.train", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out / "export"

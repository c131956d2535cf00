"""scripts/services.sh: starting (or re-checking) the local cluster leaves nothing odd in its log."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_readiness_check_uses_the_project_role_not_the_os_user():
    log = ROOT / "var" / "test" / "pg" / "postgres.log"
    if os.environ.get("DATABASE_URL", "").find(":54321/") < 0 or not log.exists():
        pytest.skip("runs against the local test cluster of scripts/test.sh")
    size = log.stat().st_size
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}  # else it skips
    done = subprocess.run(
        ["bash", "scripts/services.sh", "start", "test"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "export DATABASE_URL=" in done.stdout
    with open(log, "rb") as f:
        f.seek(size)
        new = f.read().decode(errors="replace")
    assert "does not exist" not in new, new  # was: FATAL: role "root" does not exist, at every start

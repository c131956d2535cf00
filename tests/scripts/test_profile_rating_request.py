"""scripts/profile_rating_request.py: the profile docs/performance.md quotes runs, and its requests leave every
label, verdict and count where it should be (the script checks that and exits 1 otherwise)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_profile_runs_and_its_requests_are_all_stored_and_aggregated():
    env = {**os.environ, "LAMDA_LOG_LEVEL": "ERROR"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "scripts/profile_rating_request.py", "--requests", "10", "--profile"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Python function calls per request" in done.stdout
    assert "check ok: 210 labels of 210 requests, 42 complete items, 42 aggregated, 126 verdict rows" in done.stdout

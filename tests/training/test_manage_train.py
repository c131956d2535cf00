"""`python manage.py train ...` is the trainer CLI behind a thin Django command (same flags, errors, exit codes)."""

import subprocess
import sys

from tests.training.train_helpers import ROOT, assets, base_args, env  # noqa: F401


def _manage(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "manage.py", "train", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=180)


def test_help_lists_the_trainer_flags():
    proc = _manage("--help")
    assert proc.returncode == 0, proc.stderr
    assert "manage.py train" in proc.stdout and "--preset" in proc.stdout and "--init-from" in proc.stdout


def test_unknown_preset_is_one_line_and_exit_2():
    proc = _manage("--preset", "nope")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: unknown preset 'nope'; choose one of: tiny, lamda_2b, lamda_8b, lamda_137b"
    ]


def test_trains_and_exports(tmp_path, assets):  # noqa: F811
    out = tmp_path / "run"
    proc = _manage(*base_args(assets, out, "--steps", "2", "--ckpt-every", "2"))
    assert proc.returncode == 0, proc.stderr
    assert (out / "export" / "model.safetensors").exists()
    assert (out / "checkpoints" / "step_0000002" / "checkpoint.json").exists()
    assert "training finished" in proc.stdout


def test_a_leading_double_dash_is_accepted():
    proc = _manage("--", "--preset", "nope")  # as in docs/export.md: manage.py train -- --data ...
    assert proc.returncode == 2 and "unknown preset 'nope'" in proc.stderr

"""One trainer per --out: a live holder stops a second trainer with one line; a killed run's lock is taken over."""

import json
import os
import socket
import subprocess
import sys

import pytest

from tests.training.train_helpers import assets, base_args, run_train  # noqa: F401
from training.errors import TrainInputError
from training.run.lock import LOCK, RunLock


def test_lock_is_exclusive_while_held_and_released_after(tmp_path):
    first = RunLock(tmp_path)
    assert first.acquire() is None
    holder = json.loads((tmp_path / LOCK).read_text())
    assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
    with pytest.raises(TrainInputError, match=rf"train.lock: another trainer \(process {os.getpid()} on host"):
        RunLock(tmp_path).acquire()
    first.release()
    assert not (tmp_path / LOCK).exists()
    second = RunLock(tmp_path)
    assert second.acquire() is None
    second.release()


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / LOCK).write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    lock = RunLock(tmp_path)
    assert "took over the stale" in lock.acquire()
    assert json.loads((tmp_path / LOCK).read_text())["pid"] == os.getpid()
    lock.release()


def test_a_lock_from_another_host_is_respected(tmp_path):
    (tmp_path / LOCK).write_text(json.dumps({"pid": 1, "host": "elsewhere", "started": "2025-01-01T00:00:00Z"}))
    with pytest.raises(TrainInputError, match="process 1 on host elsewhere, started 2025-01-01T00:00:00Z"):
        RunLock(tmp_path).acquire()


def test_a_second_trainer_on_the_same_out_stops_with_one_line(tmp_path, assets):  # noqa: F811
    out = tmp_path / "run"
    out.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        record = {"pid": sleeper.pid, "host": socket.gethostname(), "started": "now"}
        (out / LOCK).write_text(json.dumps(record))
        saving = out / "checkpoints" / "step_0000005.tmp"  # the holder is in the middle of a save
        saving.mkdir(parents=True)
        proc = run_train(base_args(assets, out, "--steps", "2"))
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and f"process {sleeper.pid} on host" in lines[0], proc.stderr
        assert saving.is_dir() and not list((out / "checkpoints").glob("step_*[0-9]"))  # its save is untouched
        assert json.loads((out / LOCK).read_text())["pid"] == sleeper.pid  # the holder's lock is untouched
    finally:
        sleeper.kill()
        sleeper.wait()
    proc = run_train(base_args(assets, out, "--steps", "2", "--no-export"))  # the holder is gone now
    assert proc.returncode == 0, proc.stderr
    assert "took over the stale" in proc.stderr and not (out / LOCK).exists()

"""One trainer per --out: `<out>/train.lock` holds the pid, host and start time of the process writing there.

Created with O_CREAT | O_EXCL (atomic, also on NFS v3+), removed when the run ends (any way but SIGKILL). A lock
left by a killed run is stale: on the same host its pid is gone (or now belongs to a process that started
later), and it is taken over with a note. A lock from a live process, or from another host (whose processes this
one cannot see), stops the run with a one-line error naming the holder.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from training.errors import TrainInputError

LOCK = "train.lock"


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux /proc), to tell a reused pid apart."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int, ticks: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    now = _start_ticks(pid)
    return ticks is None or now is None or now == ticks


class RunLock:
    def __init__(self, out: Path) -> None:
        self.path = Path(out) / LOCK
        self.held = False

    def _record(self) -> dict:
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "start_ticks": _start_ticks(os.getpid()),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }

    def acquire(self) -> str | None:
        """Take the lock; returns a note when a stale lock was taken over. Raises TrainInputError if it is held."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = self._record()
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return self._take_over(record)
        with os.fdopen(fd, "w") as f:
            json.dump(record, f)
        self.held = True
        return None

    def _take_over(self, record: dict) -> str:
        holder = self._read_holder()
        pid, host = holder.get("pid"), holder.get("host")
        if isinstance(pid, int) and host == record["host"] and not _alive(pid, holder.get("start_ticks")):
            tmp = self.path.with_name(f"{LOCK}.{os.getpid()}")
            tmp.write_text(json.dumps(record))
            os.replace(tmp, self.path)
            self.held = True
            return f"took over the stale {self.path} of process {pid} (no longer running)"
        who = f"process {pid} on host {host}, started {holder.get('started', '?')}" if pid else "an unknown process"
        raise TrainInputError(
            f"{self.path}: another trainer ({who}) is writing to this --out; wait for it to finish or use another "
            f"--out (delete the lock only if that process is gone)"
        )

    def _read_holder(self) -> dict:
        for _ in range(20):  # a lock just created may not have its content yet
            try:
                holder = json.loads(self.path.read_text())
                if isinstance(holder, dict):
                    return holder
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        return {}

    def release(self) -> None:
        if self.held:
            try:
                if json.loads(self.path.read_text()).get("pid") == os.getpid():
                    self.path.unlink()
            except (OSError, ValueError):
                pass
            self.held = False

"""A private, throw-away PostgreSQL cluster that a test may stop and start (the suite's own cluster must stay up).

Uses Debian's initdb / pg_ctl like scripts/services.sh; as root they run as the `postgres` user (initdb refuses
root), so the cluster lives in a /tmp directory that user owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self) -> None:
        initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not initdbs:
            raise RuntimeError("PostgreSQL is not installed: run scripts/bootstrap.sh")
        self.bindir = Path(initdbs[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="lamda-pg-", dir="/tmp"))
        self.data, self.run = self.root / "data", self.root / "run"
        self.run.mkdir()
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.run, "postgres")
        self._pg("initdb", "-D", str(self.data), "-U", "lamda", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")

    @property
    def url(self) -> str:
        return f"postgresql://lamda@127.0.0.1:{self.port}/lamda"

    def _pg(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, cwd="/", timeout=120)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.run} -h 127.0.0.1 -c fsync=off -c max_connections=50"
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", opts, "-w", "start")
        self._wait_ready()

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str = "lamda") -> None:
        subprocess.run(
            [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "lamda", name],
            check=True,
            capture_output=True,
        )

    def _wait_ready(self) -> None:
        for _ in range(100):
            done = subprocess.run(
                [
                    str(self.bindir / "pg_isready"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "lamda",
                    "-d",
                    "postgres",
                ],
                capture_output=True,
            )
            if done.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL on port {self.port} did not become ready")

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)

"""A throw-away, migrated PostgreSQL database for the database benchmarks (aggregate.py, claim_submit.py).

    with scratch_database("agg", {"LAMDA_LOG_LEVEL": "WARNING"}) as db:
        ...  # db.name, db.url, db.env (for subprocesses), db.migrate_seconds

Creates `lamda_bench_<kind>_<pid>` on the cluster of DATABASE_URL through an autocommit admin connection to
the `postgres` database, runs `manage.py migrate` against it in a subprocess, and drops it `WITH (FORCE)` on
the way out, whatever happened in between.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ScratchDatabase:
    name: str
    url: str
    env: dict[str, str]  # os.environ pointed at the scratch database: give it to subprocesses
    migrate_seconds: float


def db_url(base: str, name: str) -> str:
    """`base` with its database name replaced by `name`."""
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def base_database_url() -> str:
    """DATABASE_URL, or exit with a one-line hint when it is not set."""
    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        sys.exit('DATABASE_URL is not set: run eval "$(scripts/services.sh start demo)" first')
    return base_url


@contextmanager
def scratch_database(kind: str, extra_env: dict[str, str] | None = None) -> Iterator[ScratchDatabase]:
    """Create and migrate `lamda_bench_<kind>_<pid>`; drop it on exit.

    The migrate subprocess (and `env` yielded) get DATABASE_URL of the scratch database, LAMDA_ENV=demo (DEBUG off,
    plain http on loopback) and then `extra_env`.
    """
    base_url = base_database_url()
    name = f"lamda_bench_{kind}_{os.getpid()}"
    url = db_url(base_url, name)
    env = {**os.environ, "DATABASE_URL": url, "LAMDA_ENV": "demo", **(extra_env or {})}
    with psycopg.connect(db_url(base_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
            )
            yield ScratchDatabase(name=name, url=url, env=env, migrate_seconds=time.perf_counter() - t0)
        finally:
            if "django.db" in sys.modules:  # a caller that ran django.setup() in-process
                sys.modules["django.db"].connections.close_all()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def insert_bench_campaign(cur, *, raters_per_item: int = 5, kind: str = "quality", threshold: int = 3) -> None:
    """Model endpoint 1 and campaign 1 (slug `bench`) that the benchmarks' bulk-loaded items belong to."""
    cur.execute(
        "INSERT INTO collection_modelendpoint (id, name, backend, base_url, model_name, api_key_env,"
        " checkpoint_path, sampling, timeout_seconds, max_retries, created_at)"
        " VALUES (1, 'bench', 'openai', 'http://127.0.0.1:9/v1', 'm', '', '', '{}', 1, 0, now())"
    )
    cur.execute(
        "INSERT INTO collection_campaign (id, name, slug, kind, instructions, consent_text,"
        " model_endpoint_id, min_turns, max_turns, raters_per_item, positive_threshold,"
        " idle_timeout_minutes, is_active, created_at)"
        " VALUES (1, 'bench', 'bench', %s, 'rate', '', 1, 14, 30, %s, %s, 30, true, now())",
        (kind, raters_per_item, threshold),
    )


def quality_form_version(cur, slug: str = "quality-ssi") -> int:
    """The id of version 1 of a shipped form (installed by the migrations) that the benchmarks' items use."""
    cur.execute(
        "SELECT v.id FROM annotation_formversion v JOIN annotation_ratingform f ON f.id = v.form_id"
        " WHERE f.slug = %s AND v.number = 1",
        (slug,),
    )
    return cur.fetchone()[0]


def form_of_version(cur, version_id: int) -> int:
    """The form a version belongs to (rating items carry both)."""
    cur.execute("SELECT form_id FROM annotation_formversion WHERE id = %s", (version_id,))
    return cur.fetchone()[0]

"""PostgreSQL stopped under a running gunicorn: every API request gets a JSON 503 with Retry-After, every page a
plain "try again in a moment" page, never Django's 500; once the database is back, the first requests of every
server thread succeed (persistent connections are health-checked). A real cluster is stopped and started."""

import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support.pg_cluster import PgCluster, free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
THREADS = 4
SETUP = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
u = User.objects.create_user("rater", password="outage-pw-123")
print(Token.objects.create(user=u).key)
"""


def _env(url: str) -> dict:
    # the demo profile: persistent connections (CONN_MAX_AGE 60) as a deployment has them, plain http
    drop = ("LAMDA_TEST_DB_NAME", "DJANGO_", "LAMDA_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, "DATABASE_URL": url, "LAMDA_ENV": "demo", "LAMDA_LOG_LEVEL": "WARNING"}


@pytest.fixture(scope="module")
def server():
    cluster = PgCluster()
    cluster.start()
    cluster.create_database()
    env = _env(cluster.url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    token = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    port = free_port()
    log = open(cluster.root / "gunicorn.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread", "-w", "1",
         "--threads", str(THREADS), "--worker-tmp-dir", "/dev/shm"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            requests.get(f"{base}/accounts/login/", timeout=2)
            break
        except requests.RequestException:
            time.sleep(0.2)
    try:
        yield cluster, base, token, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
        cluster.destroy()


def _claim(base: str, token: str) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/annotation/assignments/next/", json={}, headers={"Authorization": f"Token {token}"}, timeout=30
    )


def _logged_in(base: str) -> requests.Session:
    s = requests.Session()
    s.get(f"{base}/accounts/login/", timeout=10)
    r = s.post(
        f"{base}/accounts/login/",
        data={"username": "rater", "password": "outage-pw-123", "csrfmiddlewaretoken": s.cookies["csrftoken"]},
        timeout=10,
    )
    assert r.status_code == 200 and "My tasks" in r.text, r.text[:500]
    return s


def _burst(base: str, token: str, n: int = 4 * THREADS) -> list[int]:
    """Concurrent claims, so that every server thread serves some (and uses its own persistent connection)."""
    with ThreadPoolExecutor(n) as pool:
        return [r.status_code for r in pool.map(lambda _: _claim(base, token), range(n))]


def test_database_outage_answers_503_and_recovery_is_immediate(server):
    cluster, base, token, log = server
    browser = _logged_in(base)
    assert set(_burst(base, token)) == {404}  # no work yet: the database answers; every thread holds a connection

    cluster.stop()
    r = _claim(base, token)
    assert r.status_code == 503 and r.headers["Content-Type"] == "application/json"
    assert int(r.headers["Retry-After"]) >= 1 and r.json()["code"] == "unavailable"
    assert "try again" in r.json()["detail"].lower()
    page = browser.get(f"{base}/", timeout=30)
    assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
    assert "Try again in a moment" in page.text and "reloads by itself" in page.text
    for text in (page.text, r.text):
        assert "OperationalError" not in text and "Traceback" not in text and "psycopg" not in text
    posted = browser.post(
        f"{base}/rate/1/", data={"sensible": "no"}, headers={"X-CSRFToken": browser.cookies["csrftoken"]}
    )
    assert posted.status_code == 503 and "send it again" in posted.text

    cluster.start()
    assert set(_burst(base, token)) == {404}, "the first requests after recovery must succeed on every thread"
    assert browser.get(f"{base}/", timeout=30).status_code == 200
    log.seek(0)
    server_log = log.read()
    assert "Traceback" not in server_log, server_log[-3000:]
    assert re.search(r"database unavailable for POST /api/v1/annotation/assignments/next/", server_log)

"""Claim-and-submit throughput and p99 latency with N concurrent raters through the real API on loopback.

    eval "$(scripts/services.sh start demo)"
    .venv/bin/python benchmarks/claim_submit.py [--raters 32] [--seconds 20] [--items 3000]

What it does (a benchmark, not a test; numbers go to docs/performance.md, "Annotation"):
1. creates a throw-away database `lamda_bench_claim_<pid>` on the cluster of DATABASE_URL, migrates it and
   loads rating work with COPY (sessions, model turns, open rating items, raters with API tokens);
2. starts gunicorn (config.wsgi, heartbeat files in /dev/shm as gunicorn's docs advise) on 127.0.0.1 against
   it; N rater threads (http.client, keep-alive) each loop "POST assignments/next/ ->
   POST items/<id>/labels/" with token auth for --seconds (after a warm-up), timing every pair;
3. baseline, same run, same data reset: N threads on their own psycopg connections issue the service's own
   statements (annotation/services/assignment_sql.py: rater lock, held lease, FOR UPDATE SKIP LOCKED candidate,
   re-count with the lease insert, the dialog read; then the item's form version and the one-statement submit),
   with no Django and no HTTP;
4. drops the database. The last line is the ratio API / bare SQL throughput.
Aggregation runs as in production: the request that stores an item's fifth label aggregates it in the same
transaction (docs/aggregation.md); a real Celery worker process (its own Redis database, the scratch database)
runs on the same two cores for the fallback job, idle unless an inline aggregation raised (`--aggregation eager`
makes such a job run inside the request). The bare SQL baseline does NOT aggregate: the API side does that work
on top (about five statements per completed item, one per pair on average).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (benchmarks/claim_submit.py) as well as with -m

from annotation.services import assignment_sql as sql  # noqa: E402 (plain SQL strings, no Django)
from benchmarks.scratch_db import (  # noqa: E402
    ScratchDatabase,
    form_of_version,
    insert_bench_campaign,
    quality_form_version,
    scratch_database,
)

MODEL_TURNS_PER_SESSION = 7  # a 14-turn session, human first


def _answers(rng: random.Random) -> dict:
    sensible = rng.choice(["yes", "yes", "yes", "no", "maybe"])
    specific = rng.choice(["yes", "no", "maybe"]) if sensible == "yes" else None
    interesting = rng.choice(["yes", "no", "maybe"]) if specific == "yes" else None
    return {"sensible": sensible, "specific": specific, "interesting": interesting}


def _copy(cur, table: str, columns: list[str], rows) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(buf.getvalue())


def load(url: str, *, raters: int, items: int) -> list[tuple[int, str]]:
    """COPY the rating work in; return [(rater_id, token)]."""
    sessions = -(-items // MODEL_TURNS_PER_SESSION)
    with psycopg.connect(url, autocommit=False) as conn, conn.cursor() as cur:
        n_chatters = 20
        user_cols = ["id", "username", "password", "date_joined", "first_name", "last_name", "email",
                     "is_superuser", "is_staff", "is_active"]  # fmt: skip
        users = [
            (i, f"bench{i}", "!", "2026-01-01", "", "", "", "f", "f", "t") for i in range(1, n_chatters + raters + 1)
        ]
        _copy(cur, "auth_user", user_cols, users)
        rater_ids = list(range(n_chatters + 1, n_chatters + raters + 1))
        tokens = [(secrets.token_hex(20), rid) for rid in rater_ids]
        _copy(cur, "authtoken_token", ["key", "user_id", "created"], [(k, u, "2026-01-01") for k, u in tokens])
        insert_bench_campaign(cur, raters_per_item=5)
        version = quality_form_version(cur)
        form = form_of_version(cur, version)
        _copy(
            cur,
            "collection_chatsession",
            ["id", "campaign_id", "worker_id", "status", "turn_count", "started_at", "last_activity_at",
             "ended_at", "sent_for_rating"],
            [(s, 1, 1 + s % n_chatters, "finished", 14, "2026-01-01", "2026-01-01", "2026-01-01", "t")
             for s in range(1, sessions + 1)],
        )  # fmt: skip
        turn_rows, item_rows = [], []
        for n in range(items):
            session, k = 1 + n // MODEL_TURNS_PER_SESSION, n % MODEL_TURNS_PER_SESSION
            turn_rows.append((2 * n + 1, session, 2 * k, "human", f"hello {n}", "", "", "{}", "", "2026-01-01"))
            turn_rows.append((2 * n + 2, session, 2 * k + 1, "model", f"reply {n}", "m", "v1", "{}", "", "2026-01-01"))
            item_rows.append((n + 1, 1, session, 2 * n + 2, 1 + session % n_chatters, version, form, 5, 0, "open",
                              "2026-01-01"))  # fmt: skip
        _copy(
            cur,
            "collection_turn",
            [
                "id",
                "session_id",
                "index",
                "speaker",
                "text",
                "model_id",
                "model_version",
                "sampling",
                "client_message_id",
                "created_at",
            ],
            turn_rows,
        )
        _copy(
            cur,
            "annotation_ratingitem",
            ["id", "campaign_id", "session_id", "turn_id", "chatter_id", "form_version_id", "form_id",
             "required_labels", "label_count", "status", "created_at"],
            item_rows,
        )  # fmt: skip
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        for table in ("auth_user", "collection_turn", "collection_chatsession", "annotation_ratingitem"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    return [(rid, key) for key, rid in tokens]


def reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE annotation_label, annotation_lease, annotation_aggregate, annotation_itemskip")
        conn.execute(
            "UPDATE annotation_ratingitem SET label_count=0, status='open', completed_at=NULL, aggregated_at=NULL"
        )
        conn.execute("VACUUM ANALYZE annotation_ratingitem")


class CpuMeter:
    """CPU seconds (user + system) per process group over the timed window: this process (the client threads),
    the gunicorn and Celery process trees, and the PostgreSQL backends connected to the scratch database
    (their command line names it). psutil is optional: without it nothing is reported."""

    def __init__(self, db_name: str, groups: dict[str, subprocess.Popen | None]):
        self.db_name, self.groups = db_name, groups
        self.start: dict[str, float] = {}

    def _procs(self, name: str):
        import psutil

        if name == "client":
            return [psutil.Process()]
        if name == "postgres":
            found = []
            for p in psutil.process_iter(["name", "cmdline"]):
                try:
                    if p.info["name"] == "postgres" and self.db_name in " ".join(p.info["cmdline"] or []):
                        found.append(p)
                except psutil.Error:
                    pass
            return found
        root = psutil.Process(self.groups[name].pid)
        return [root, *root.children(recursive=True)]

    def sample(self) -> dict[str, float]:
        import psutil

        totals = {}
        for name in ("client", "postgres", *[g for g, p in self.groups.items() if p is not None]):
            total = 0.0
            for p in self._procs(name):
                try:
                    t = p.cpu_times()
                    total += t.user + t.system
                except psutil.Error:
                    pass
            totals[name] = total
        return totals

    def per_pair(self, before: dict[str, float], after: dict[str, float], pairs: int) -> str:
        # a PostgreSQL backend that started inside the window is counted whole: the warm-up opens them all first
        parts = [f"{k} {(after[k] - before.get(k, 0.0)) * 1000 / max(pairs, 1):.2f}" for k in after]
        return "CPU ms per pair: " + ", ".join(parts)


def _run_threads(workers, seconds: float, warmup: float, meter: CpuMeter | None = None):
    """Run each worker(deadline_start, deadline_end, latencies) in a thread; return (pairs, latencies, cpu line)."""
    start = time.perf_counter() + warmup
    end = start + seconds
    results: list[list[float]] = [[] for _ in workers]
    threads = [threading.Thread(target=w, args=(start, end, results[i])) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    before = after = None
    if meter is not None:
        time.sleep(max(0.0, start - time.perf_counter()))
        before = meter.sample()
        time.sleep(max(0.0, end - time.perf_counter()))
        after = meter.sample()
    for t in threads:
        t.join()
    lat = [x for r in results for x in r]
    cpu = meter.per_pair(before, after, len(lat)) if meter is not None else None
    return len(lat), lat, cpu


def api_worker(port: int, token: str, seed: int, protocol: str = "combined"):
    """One rater on one keep-alive HTTP connection. http.client, not requests: the client threads share the two
    cores with the server, and requests spends about 1 ms of CPU per call of its own; psycopg, the baseline's
    client, is as thin.

    combined (what the rating page and a script do): claim once, then one `POST items/<id>/submit-and-next/` per
    item, which stores the label and answers the next item; `no_next` busy -> wait Retry-After, claim again.
    separate (the protocol before it): `POST assignments/next/` then `POST items/<id>/labels/`, two requests."""

    def run(start: float, end: float, out: list[float]) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

        def post(path: str, body: dict) -> tuple[int, dict]:
            conn.request("POST", path, body=json.dumps(body), headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")

        def claim() -> dict:
            status, item = post("/api/v1/annotation/assignments/next/", {})
            if status == 404:
                raise SystemExit("ran out of rating work: raise --items")
            if status not in (200, 201):
                print(f"rater thread stopped: claim answered {status} {item}", file=sys.stderr)
                raise SystemExit(1)
            return item

        item = claim() if protocol == "combined" else None
        while (now := time.perf_counter()) < end:
            if protocol == "combined":
                path = f"/api/v1/annotation/items/{item['id']}/submit-and-next/"
                status, body = post(path, {"answers": _answers(rng)})
                if status != 201:
                    print(f"rater thread stopped: submit-and-next answered {status} {body}", file=sys.stderr)
                    raise SystemExit(1)
                item = body["next"]
                if item is None:
                    if body["no_next"]["code"] != "busy":
                        raise SystemExit(f"no next item: {body['no_next']}")
                    time.sleep(body["no_next"]["retry_after"])
                    item = claim()
            else:
                item = claim()
                status, label = post(f"/api/v1/annotation/items/{item['id']}/labels/", _answers(rng))
                if status != 201:
                    print(f"rater thread stopped: submit answered {status} {label}", file=sys.stderr)
                    raise SystemExit(1)
            if now >= start:
                out.append(time.perf_counter() - now)
        conn.close()

    return run


def sql_worker(url: str, rater_id: int, seed: int, protocol: str = "combined"):
    """The service's own protocol (annotation/services/assignment_sql.py, the same statements in the same order) on a
    bare psycopg connection: what the API path would cost without HTTP, Django and DRF.

    combined (label_submit_and_claim): one transaction per item: rater lock, the one-statement submit of the item
    in hand, candidate, re-count with the lease insert; then the next item's dialog. separate (assignment_claim,
    then label_submit): rater lock, held lease, candidate, re-count with the lease insert, dialog; the item's form
    version and the one-statement submit in autocommit."""

    def claim(conn, p: dict) -> None:
        while True:
            row = conn.execute(sql.CANDIDATE_LOCK, p).fetchone()
            if row is None:
                raise SystemExit("ran out of rating work: raise --items")
            p["item"], p["required"] = row
            if conn.execute(sql.LEASE_INSERT_IF_ROOM, p).fetchone() is not None:
                return
            p["tried"].append(p["item"])

    def params(conn, p: dict) -> None:
        p["now"], p["expires"], p["day"] = conn.execute(
            "SELECT now(), now() + interval '600 seconds', date_trunc('day', now())"
        ).fetchone()

    def answers(rng: random.Random) -> str:
        return json.dumps({k: v for k, v in _answers(rng).items() if v is not None}, sort_keys=True)

    def run(start: float, end: float, out: list[float]) -> None:
        rng = random.Random(seed)
        with psycopg.connect(url, autocommit=True) as conn:  # each transaction() below is a real transaction
            item = None
            if protocol == "combined":  # the first claim, outside the timed loop (as the API client's)
                p = {"rater": rater_id, "campaign": None, "tried": []}
                with conn.transaction():
                    params(conn, p)
                    conn.execute(sql.RATER_LOCK, p)
                    claim(conn, p)
                conn.execute(DIALOG_SQL, p).fetchall()
                item = p["item"]
            while (now := time.perf_counter()) < end:
                p = {"rater": rater_id, "campaign": None, "tried": []}
                if protocol == "combined":
                    with conn.transaction():
                        params(conn, p)
                        conn.execute(sql.RATER_LOCK, p)
                        p["item"], p["answers"] = item, answers(rng)
                        if conn.execute(sql.LABEL_SUBMIT, p).fetchone() is None:
                            raise SystemExit("bare submit stored nothing")
                        claim(conn, p)
                    conn.execute(DIALOG_SQL, p).fetchall()
                    item = p["item"]
                else:
                    with conn.transaction():
                        params(conn, p)
                        conn.execute(sql.RATER_LOCK, p)
                        held = conn.execute(sql.HELD_LEASE, p).fetchone()
                        if held is not None:
                            conn.execute(sql.LEASE_DELETE, {"lease": held[0]})
                        claim(conn, p)
                    conn.execute(DIALOG_SQL, p).fetchall()
                    conn.execute(sql.ITEM_FORM, p).fetchone()  # the submit reads the item's form version first
                    p["answers"] = answers(rng)
                    if conn.execute(sql.LABEL_SUBMIT, p).fetchone() is None:  # one statement, autocommit
                        raise SystemExit("bare submit stored nothing")
                if now >= start:
                    out.append(time.perf_counter() - now)

    return run


# what the API returns after a claim: the dialog up to the rated turn (annotation.selectors.item_dialog)
DIALOG_SQL = """
SELECT c.slug, c.name, i.form_version_id, t.index, t.speaker, t.text
FROM annotation_ratingitem i JOIN collection_campaign c ON c.id = i.campaign_id
JOIN collection_turn r ON r.id = i.turn_id JOIN collection_turn t ON t.session_id = i.session_id AND t.index <= r.index
WHERE i.id = %(item)s ORDER BY t.index
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _report(name: str, pairs: int, lat: list[float], seconds: float) -> float:
    lat.sort()
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000
    tput = pairs / seconds
    print(f"{name:<28} {pairs:>7} pairs  {tput:8.1f} pairs/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    return tput


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raters", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--items", type=int, default=3000)
    # one worker per core with threads did best on 2 cores (4x8 and 8x4 measured lower; docs/performance.md)
    ap.add_argument("--gunicorn-workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--gunicorn-threads", type=int, default=16)
    ap.add_argument("--aggregation", choices=["worker", "eager"], default="worker", help="where a fallback job runs")
    ap.add_argument(
        "--client",
        choices=["combined", "separate"],
        default="combined",
        help="one submit-and-next request per item (default), or claim + submit as two requests",
    )
    ap.add_argument(
        "--baseline",
        choices=["same", "combined", "separate"],
        default="same",
        help="the bare SQL protocol (default: the client's)",
    )
    ap.add_argument("--cpu", action="store_true", help="also print CPU ms per pair per process group (psutil)")
    args = ap.parse_args()
    if args.baseline == "same":
        args.baseline = args.client
    # the rate limits stay on (their Redis counter is part of every request's cost) but far above what 32 threads do
    extra_env = {
        "CELERY_TASK_ALWAYS_EAGER": "1" if args.aggregation == "eager" else "0",
        "CELERY_BROKER_URL": _bench_broker(),
        "LAMDA_LOG_LEVEL": "ERROR",
        "PYTHONWARNINGS": "ignore",
        "LAMDA_API_RATE_USER": "1000000/min",
    }
    with scratch_database("claim", extra_env) as db:
        _bench(args, db)


def _bench_broker() -> str:
    """Database 2 of the Redis of CELERY_BROKER_URL (emptied): the scratch worker's queue, apart from the demo's."""
    base = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:63790/0")
    url = base.rsplit("/", 1)[0] + "/2"
    redis.Redis.from_url(url).flushdb()
    return url


def _start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _bench(args: argparse.Namespace, db: ScratchDatabase) -> None:
    """Load the work, time the API under gunicorn (and the Celery worker), then the bare SQL; both processes are
    stopped on the way out."""
    name, url, env = db.name, db.url, db.env
    server = worker = None
    try:
        if args.aggregation == "worker":
            worker = _start_worker(env)
        t0 = time.perf_counter() - db.migrate_seconds  # the printed time includes the migration, as before
        raters = load(url, raters=args.raters, items=args.items)
        print(f"database {name}: migrated and loaded {args.items} items, {args.raters} raters "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread",
             "-w", str(args.gunicorn_workers), "--threads", str(args.gunicorn_threads),
             "--worker-tmp-dir", "/dev/shm", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                requests.get(f"{base}/api/v1/annotation/assignments/next/", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not answer within 30 s")
        setup = f"gunicorn {args.gunicorn_workers} workers x {args.gunicorn_threads} threads on loopback"
        setup += ", aggregation inline with the last label (fallback jobs: "
        setup += "a Celery worker)" if worker else "eager)"
        print(f"{args.raters} raters, {args.seconds:.0f} s after {args.warmup:.0f} s warm-up, {setup}; "
              f"client protocol {args.client}, bare SQL protocol {args.baseline}")  # fmt: skip
        workers = [api_worker(port, tok, seed=i, protocol=args.client) for i, (_, tok) in enumerate(raters)]
        meter = CpuMeter(name, {"gunicorn": server, "celery": worker}) if args.cpu else None
        pairs, lat, cpu = _run_threads(workers, args.seconds, args.warmup, meter)
        api = _report("API (HTTP + Django + DRF)", pairs, lat, args.seconds)
        if cpu:
            print(f"  {cpu}")
        _stop(server)
        _stop(worker)
        reset(url)
        workers = [sql_worker(url, rid, seed=i, protocol=args.baseline) for i, (rid, _) in enumerate(raters)]
        meter = CpuMeter(name, {}) if args.cpu else None
        pairs, lat, cpu = _run_threads(workers, args.seconds, args.warmup, meter)
        bare = _report(f"bare SQL via psycopg ({args.baseline})", pairs, lat, args.seconds)
        if cpu:
            print(f"  {cpu}")
        print(f"ratio API / bare SQL claim+submit throughput = {api / bare:.3f}")
    finally:
        _stop(server)
        _stop(worker)


if __name__ == "__main__":
    main()

"""Claim-and-submit throughput and p99 latency with N concurrent raters through the real API on loopback.

    eval "$(scripts/services.sh start demo)"
    .venv/bin/python benchmarks/claim_submit.py [--raters 32] [--seconds 20] [--items 3000]

What it does (a benchmark, not a test; numbers go to docs/performance.md, "Annotation"):
1. creates a throw-away database `lamda_bench_claim_<pid>` on the cluster of DATABASE_URL, migrates it and
   loads rating work with COPY (sessions, model turns, open rating items, raters with API tokens);
2. starts gunicorn (config.wsgi) on 127.0.0.1 against it; N rater threads each loop "POST assignments/next/ ->
   POST items/<id>/labels/" with token auth for --seconds (after a warm-up), timing every pair;
3. baseline, same run, same data reset: N threads on their own psycopg connections issue the bare claim query
   (FOR UPDATE SKIP LOCKED, the quota re-count, the lease insert) and the bare submit (label insert, lease
   delete, counter update), with no Django and no HTTP;
4. drops the database. The last line is the ratio API / bare SQL throughput.
Celery runs eager inside gunicorn here (no worker may touch the throw-away database), so the aggregation of
each item's fifth label is inside that request's latency: a conservative number.
"""

from __future__ import annotations

import argparse
import io
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
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (benchmarks/claim_submit.py) as well as with -m

from benchmarks.scratch_db import ScratchDatabase, insert_bench_campaign, scratch_database  # noqa: E402

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
            item_rows.append((n + 1, 1, session, 2 * n + 2, 1 + session % n_chatters, 5, 0, "open", "2026-01-01"))
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
            ["id", "campaign_id", "session_id", "turn_id", "chatter_id", "required_labels", "label_count",
             "status", "created_at"],
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
        conn.execute("TRUNCATE annotation_qualitylabel, annotation_lease, annotation_aggregate")
        conn.execute(
            "UPDATE annotation_ratingitem SET label_count=0, status='open', completed_at=NULL, aggregated_at=NULL"
        )
        conn.execute("VACUUM ANALYZE annotation_ratingitem")


def _run_threads(workers, seconds: float, warmup: float):
    """Run each worker(deadline_start, deadline_end, latencies) in a thread; return (pairs, latencies)."""
    start = time.perf_counter() + warmup
    end = start + seconds
    results: list[list[float]] = [[] for _ in workers]
    threads = [threading.Thread(target=w, args=(start, end, results[i])) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat = [x for r in results for x in r]
    return len(lat), lat


def api_worker(base: str, token: str, seed: int):
    def run(start: float, end: float, out: list[float]) -> None:
        rng = random.Random(seed)
        s = requests.Session()
        s.headers["Authorization"] = f"Token {token}"
        while (now := time.perf_counter()) < end:
            r = s.post(f"{base}/api/v1/annotation/assignments/next/", json={}, timeout=30)
            if r.status_code == 404:
                raise SystemExit("ran out of rating work: raise --items")
            r.raise_for_status()
            item_id = r.json()["id"]
            r = s.post(f"{base}/api/v1/annotation/items/{item_id}/labels/", json=_answers(rng), timeout=30)
            if r.status_code != 201:
                raise SystemExit(f"submit failed: {r.status_code} {r.text}")
            if now >= start:
                out.append(time.perf_counter() - now)

    return run


CLAIM_SQL = """
SELECT i.id, i.required_labels FROM annotation_ratingitem i
WHERE i.status = 'open' AND i.chatter_id <> %(r)s
  AND NOT EXISTS (SELECT 1 FROM annotation_qualitylabel l WHERE l.item_id = i.id AND l.rater_id = %(r)s)
ORDER BY i.id LIMIT 1 FOR UPDATE OF i SKIP LOCKED
"""
RECOUNT_SQL = """
SELECT (SELECT count(*) FROM annotation_qualitylabel WHERE item_id = %(i)s)
     + (SELECT count(*) FROM annotation_lease WHERE item_id = %(i)s AND expires_at > now())
"""


def sql_worker(url: str, rater_id: int, seed: int):
    def run(start: float, end: float, out: list[float]) -> None:
        rng = random.Random(seed)
        with psycopg.connect(url) as conn:
            while (now := time.perf_counter()) < end:
                with conn.transaction():
                    conn.execute("SELECT 1 FROM auth_user WHERE id = %s FOR UPDATE", (rater_id,))
                    conn.execute("DELETE FROM annotation_lease WHERE rater_id = %s", (rater_id,))
                    item_id = None
                    tried: list[int] = []
                    while True:
                        sql = CLAIM_SQL.replace("ORDER BY", "AND NOT (i.id = ANY(%(t)s)) ORDER BY")
                        row = conn.execute(sql, {"r": rater_id, "t": tried}).fetchone()
                        if row is None:
                            raise SystemExit("ran out of rating work: raise --items")
                        if conn.execute(RECOUNT_SQL, {"i": row[0]}).fetchone()[0] < row[1]:
                            item_id = row[0]
                            break
                        tried.append(row[0])
                    conn.execute(
                        "INSERT INTO annotation_lease (item_id, rater_id, created_at, expires_at)"
                        " VALUES (%s, %s, now(), now() + interval '600 seconds')",
                        (item_id, rater_id),
                    )
                a = _answers(rng)
                with conn.transaction():
                    conn.execute(
                        "SELECT 1 FROM annotation_lease WHERE rater_id = %s AND item_id = %s FOR UPDATE",
                        (rater_id, item_id),
                    )
                    conn.execute(
                        "INSERT INTO annotation_qualitylabel (item_id, rater_id, sensible, specific,"
                        " interesting, leased_at, created_at) VALUES (%s, %s, %s, %s, %s, now(), now())",
                        (item_id, rater_id, a["sensible"], a["specific"], a["interesting"]),
                    )
                    conn.execute("DELETE FROM annotation_lease WHERE rater_id = %s", (rater_id,))
                    conn.execute(
                        "UPDATE annotation_ratingitem SET label_count = label_count + 1,"
                        " status = CASE WHEN label_count + 1 >= required_labels THEN 'complete'"
                        " ELSE status END"
                        " WHERE id = %s",
                        (item_id,),
                    )
                if now >= start:
                    out.append(time.perf_counter() - now)

    return run


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
    ap.add_argument("--gunicorn-workers", type=int, default=4)
    ap.add_argument("--gunicorn-threads", type=int, default=8)
    args = ap.parse_args()
    extra_env = {"CELERY_TASK_ALWAYS_EAGER": "1", "LAMDA_LOG_LEVEL": "ERROR", "PYTHONWARNINGS": "ignore"}
    with scratch_database("claim", extra_env) as db:
        _bench(args, db)


def _bench(args: argparse.Namespace, db: ScratchDatabase) -> None:
    """Load the work, time the API under gunicorn, then the bare SQL; gunicorn is stopped on the way out."""
    name, url, env = db.name, db.url, db.env
    server = None
    try:
        t0 = time.perf_counter() - db.migrate_seconds  # the printed time includes the migration, as before
        raters = load(url, raters=args.raters, items=args.items)
        print(f"database {name}: migrated and loaded {args.items} items, {args.raters} raters "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread",
             "-w", str(args.gunicorn_workers), "--threads", str(args.gunicorn_threads),
             "--log-level", "warning"],
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
        print(f"{args.raters} raters, {args.seconds:.0f} s after {args.warmup:.0f} s warm-up, {setup}")
        workers = [api_worker(base, tok, seed=i) for i, (_, tok) in enumerate(raters)]
        pairs, lat = _run_threads(workers, args.seconds, args.warmup)
        api = _report("API (HTTP + Django + DRF)", pairs, lat, args.seconds)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        server = None
        reset(url)
        workers = [sql_worker(url, rid, seed=i) for i, (rid, _) in enumerate(raters)]
        pairs, lat = _run_threads(workers, args.seconds, args.warmup)
        bare = _report("bare SQL via psycopg", pairs, lat, args.seconds)
        print(f"ratio API / bare SQL claim+submit throughput = {api / bare:.3f}")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

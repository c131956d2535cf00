"""Where one rating request's CPU goes: `POST items/<id>/submit-and-next/` through Django's WSGI application in this
process, one request after another (no HTTP server, no concurrency), against a scratch database loaded as
benchmarks/claim_submit.py loads it.

    eval "$(scripts/services.sh start demo)"
    .venv/bin/python scripts/profile_rating_request.py [--requests 400] [--profile] [--callees REGEX]

Without --profile: CPU (user, system) and wall time per request over 8 passes of --requests each, min and median.
With --profile: cProfile (CPU time) of one pass of --requests, sorted by cumulative time, and the number of Python
function calls per request, the steadiest figure on a shared box. A profile, not a benchmark (no target, no ratio):
docs/performance.md quotes it. Raters take turns, so every fifth label completes an item and aggregates it, as in
production. Checks at the end that every label, verdict and count is where it should be.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import claim_submit  # noqa: E402 (the loader and the answers of the benchmark)
from benchmarks.scratch_db import scratch_database  # noqa: E402

RATERS = 8


def _caller(app):
    def call(path: str, body: dict, token: str) -> tuple[int, dict]:
        data = json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000", "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)), "HTTP_AUTHORIZATION": f"Token {token}", "wsgi.input": io.BytesIO(data),
            "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
        }  # fmt: skip
        status: list[str] = []
        out = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
        return int(status[0][:3]), json.loads(out)

    return call


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--callees", help="with --profile: print what the functions matching this regex call")
    args = ap.parse_args()
    extra = {"LAMDA_LOG_LEVEL": "ERROR", "LAMDA_API_RATE_USER": "1000000/min"}
    with scratch_database("profile", extra) as db:
        raters = claim_submit.load(db.url, raters=RATERS, items=max(2000, 10 * args.requests))
        os.environ.update(db.env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        from django.core.wsgi import get_wsgi_application

        _run(args, _caller(get_wsgi_application()), [token for _, token in raters], db.url)


def _run(args, call, tokens: list[str], url: str) -> None:
    rng = random.Random(1)
    held = {}
    for token in tokens:
        status, item = call("/api/v1/annotation/assignments/next/", {}, token)
        assert status in (200, 201), (status, item)
        held[token] = item["id"]
    done = 0

    def rate(n: int) -> None:
        nonlocal done
        for k in range(n):
            token = tokens[k % len(tokens)]
            path = f"/api/v1/annotation/items/{held[token]}/submit-and-next/"
            status, body = call(path, {"answers": claim_submit._answers(rng)}, token)
            assert status == 201, (status, body)
            held[token] = body["next"]["id"]
        done += n

    rate(200)  # warm: connections open, statements prepared, forms cached
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        rate(args.requests)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        print(f"{stats.total_calls / args.requests:.0f} Python function calls per request")
        stats.print_callees(args.callees) if args.callees else stats.print_stats(60)
    else:
        cpu, user, system, wall = [], [], [], []
        for _ in range(8):
            t0, w0 = os.times(), time.perf_counter()
            rate(args.requests)
            t1, w1 = os.times(), time.perf_counter()
            user.append((t1.user - t0.user) * 1000 / args.requests)
            system.append((t1.system - t0.system) * 1000 / args.requests)
            cpu.append(user[-1] + system[-1])
            wall.append((w1 - w0) * 1000 / args.requests)
        for name, values in (("CPU", cpu), ("user", user), ("system", system), ("wall", wall)):
            print(f"{name:<6} ms per request: min {min(values):.3f}  median {statistics.median(values):.3f}")
    _check(url, labels=done)


def _check(url: str, *, labels: int) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        stored, complete, aggregated, verdicts, wrong_counts = conn.execute(
            "SELECT (SELECT count(*) FROM annotation_label),"
            " (SELECT count(*) FROM annotation_ratingitem WHERE status = 'complete'),"
            " (SELECT count(*) FROM annotation_ratingitem WHERE aggregated_at IS NOT NULL),"
            " (SELECT count(*) FROM annotation_aggregate),"
            " (SELECT count(*) FROM annotation_ratingitem i"
            "  WHERE label_count <> (SELECT count(*) FROM annotation_label l WHERE l.item_id = i.id))"
        ).fetchone()
    ok = stored == labels and aggregated == complete and verdicts == 3 * complete and wrong_counts == 0
    print(f"check {'ok' if ok else 'FAILED'}: {stored} labels of {labels} requests, {complete} complete items, "
          f"{aggregated} aggregated, {verdicts} verdict rows, {wrong_counts} wrong label counts")  # fmt: skip
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""Exporting the paper's quality scale to a trainer snapshot, against pandas reading the same rows and writing them
to Parquet, at two sizes (peak memory must stay flat as the data grows).

    eval "$(scripts/services.sh start demo)"
    .venv/bin/python benchmarks/export.py [--replies 121000] [--small 30250]

1. a throw-away database (benchmarks/scratch_db.py), a quality campaign (5 raters, 3 of 5), and `--small` model
   replies' worth of finished sessions of 20 turns (10 model replies each; human turns too, so contexts are real),
   5 labels per reply and its verdicts (benchmarks/export_data.py: set-based SQL, then the platform's aggregation);
2. in a fresh process: `exports.services.export_run` (the production job: REPEATABLE READ snapshot, server-side
   cursor, Parquet shards, meta/labels.parquet and meta/sessions.parquet, manifest) -> examples/s and peak RSS;
3. in a fresh process, the baseline: pandas `read_sql` of the exporter's own two queries (turn rows with verdicts,
   label rows), each written with `DataFrame.to_parquet` -> seconds and peak RSS;
4. the data grows to `--replies` and 2-3 run again. The last line is the ratio baseline seconds / export seconds
   at the large size (target >= 1), after examples/s (target >= 100K) and the peak memory of both sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scratch_db import scratch_database  # noqa: E402

TURNS = 20


def _django(url: str) -> None:
    os.environ.update(DATABASE_URL=url, LAMDA_ENV="demo", LAMDA_LOG_LEVEL="WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_export(url: str, out: str) -> dict:
    _django(url)
    import pandas  # noqa: F401  pyarrow loads it on first use; the baseline's clock also starts after its import

    from exports.services import export_create, export_run
    from exports.spec import ExportSpec

    job = export_create(spec=ExportSpec(campaigns=("bench",)), out_root=out, name="snap")
    t0 = time.perf_counter()
    job = export_run(job.pk)
    seconds = time.perf_counter() - t0
    assert job.status == "done", job.error
    examples = sum(f["num_examples"] for f in job.manifest["files"])
    return {"seconds": seconds, "examples": examples, "peak_mib": _peak_mib()}


def child_baseline(url: str, out: str) -> dict:
    _django(url)
    import pandas as pd
    import psycopg
    from django.utils import timezone

    from annotation.rules import rule_for_campaign
    from collection.models import Campaign
    from exports.reader import Scope, label_rows_sql, turn_rows_sql

    campaign = Campaign.objects.get(slug="bench")
    rule = rule_for_campaign(campaign)
    scope = Scope(campaign.pk, timezone.now())
    queries = {"turns": turn_rows_sql(scope, rule.version, list(rule.attributes)), "labels": label_rows_sql(scope)}
    t0 = time.perf_counter()
    rows = 0
    with psycopg.connect(url) as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas asks for SQLAlchemy; a DBAPI connection works
        for name, (sql, params) in queries.items():
            df = pd.read_sql(sql, conn, params=params)
            df.columns = [f"c{i}" for i in range(len(df.columns))]
            df.to_parquet(Path(out) / f"{name}.parquet", index=False)
            rows += len(df)
    return {"seconds": time.perf_counter() - t0, "rows": rows, "peak_mib": _peak_mib()}


def _run_child(kind: str, url: str, env: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-export-{kind}-") as out:
        done = subprocess.run(
            [sys.executable, __file__, "--child", kind, "--url", url, "--out", out],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"{kind} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replies", type=int, default=121_000, help="model replies at the large size")
    ap.add_argument("--small", type=int, default=30_250, help="model replies at the small size")
    ap.add_argument("--child", choices=["export", "baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps((child_export if args.child == "export" else child_baseline)(args.url, args.out)))
        return
    per_session = TURNS // 2
    with scratch_database("export", {"LAMDA_LOG_LEVEL": "WARNING"}) as db:
        _django(db.url)
        from benchmarks.export_data import load_rated_sessions
        from collection.models import Campaign, ModelEndpoint

        endpoint = ModelEndpoint.objects.create(name="bench", backend="openai", base_url="http://127.0.0.1:9/v1")
        campaign = Campaign.objects.create(name="bench", slug="bench", instructions="rate", model_endpoint=endpoint)
        loaded, results = 0, []
        for size in (args.small, args.replies):
            t0 = time.perf_counter()
            loaded += load_rated_sessions(campaign, sessions=(size - loaded) // per_session, turns=TURNS)
            from django.db import connection

            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
            print(f"{loaded} rated replies ({loaded * 2} turns, {loaded * 5} labels) loaded in "
                  f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
            exp, base = _run_child("export", db.url, db.env), _run_child("baseline", db.url, db.env)
            results.append((loaded, exp, base))
            print(
                f"  export:   {exp['examples']} examples in {exp['seconds']:.2f} s = "
                f"{exp['examples'] / exp['seconds']:,.0f} examples/s, peak RSS {exp['peak_mib']:.0f} MiB"
            )
            print(f"  baseline: pandas read_sql + to_parquet of the same {base['rows']} rows in "
                  f"{base['seconds']:.2f} s,"
                  f" peak RSS {base['peak_mib']:.0f} MiB")  # fmt: skip
        (n1, e1, b1), (n2, e2, b2) = results
        print(f"peak RSS at {n1} -> {n2} replies: export {e1['peak_mib']:.0f} -> {e2['peak_mib']:.0f} MiB, "
              f"baseline {b1['peak_mib']:.0f} -> {b2['peak_mib']:.0f} MiB")  # fmt: skip
        print(f"examples/s at {n2} replies: {e2['examples'] / e2['seconds']:,.0f}")
        print(f"ratio baseline seconds / export seconds at {n2} replies = {b2['seconds'] / e2['seconds']:.2f}")


if __name__ == "__main__":
    main()

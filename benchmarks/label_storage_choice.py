"""How to store rating answers once forms are data: three layouts of the same paper-scale SSI labels, timed.

    eval "$(scripts/services.sh start demo)"
    .venv/bin/python benchmarks/label_storage_choice.py [--items 121000]

The same 121K items x 5 raters of cascade-respecting sensible / specific / interesting answers, in three tables:
  columns   one row per label, one column per question (the layout before forms were data: QualityLabel)
  jsonb     one row per label, answers in a JSONB object {"sensible": "yes", ...} (a form's questions are data)
  rows      one row per answered question (label id, question, answer): the "entity-attribute-value" layout
For each: the vote query alone (yes counts per item and question, the work of the 3-of-5 rule), then the whole
aggregation (the same query inserting one verdict row per item and question, as annotation.rules does), and the
table's size. Creates and drops `lamda_bench_storage_<pid>`. The last line is the ratio jsonb / columns for the
whole aggregation (a number for docs/performance.md, "Label storage").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.aggregate import _answers  # noqa: E402
from benchmarks.scratch_db import scratch_database  # noqa: E402

QUESTIONS = ("sensible", "specific", "interesting")
VOTES = {
    "columns": "SELECT item_id, count(*) AS n, "
    + ", ".join(f"count(*) FILTER (WHERE {q} = 'yes') AS {q}" for q in QUESTIONS)
    + " FROM lab_columns GROUP BY item_id",
    "jsonb": "SELECT item_id, count(*) AS n, "
    + ", ".join(f"count(*) FILTER (WHERE answers->>'{q}' = 'yes') AS {q}" for q in QUESTIONS)
    + " FROM lab_jsonb GROUP BY item_id",
    "rows": "SELECT item_id, count(DISTINCT label_id) AS n, "
    + ", ".join(f"count(*) FILTER (WHERE question = '{q}' AND answer = 'yes') AS {q}" for q in QUESTIONS)
    + " FROM lab_rows GROUP BY item_id",
}


def _load(conn, items: int, raters: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    answers = _answers(rng, items * raters)
    answers = answers.astype(object).where(answers.notna(), None)  # unasked (cascade) is NULL, not 'nan'
    item = np.repeat(np.arange(1, items + 1), raters)
    conn.execute("CREATE TABLE lab_columns (id bigserial PRIMARY KEY, item_id bigint, sensible text, specific text,"
                 " interesting text)")  # fmt: skip
    conn.execute("CREATE TABLE lab_jsonb (id bigserial PRIMARY KEY, item_id bigint, answers jsonb)")
    conn.execute("CREATE TABLE lab_rows (label_id bigint, item_id bigint, question text, answer text)")
    with conn.cursor() as cur:
        with cur.copy("COPY lab_columns (item_id, sensible, specific, interesting) FROM STDIN") as copy:
            for i, row in zip(item, answers.itertuples(index=False), strict=True):
                copy.write_row((int(i), *row))
        cur.execute("INSERT INTO lab_jsonb (id, item_id, answers) SELECT id, item_id, jsonb_strip_nulls("
                    "jsonb_build_object('sensible', sensible, 'specific', specific, 'interesting', interesting))"
                    " FROM lab_columns")  # fmt: skip
        cur.execute("INSERT INTO lab_rows SELECT id, item_id, q, a FROM lab_columns CROSS JOIN LATERAL (VALUES "
                    "('sensible', sensible), ('specific', specific), ('interesting', interesting)) v(q, a)"
                    " WHERE a IS NOT NULL")  # fmt: skip
    for table in ("lab_columns", "lab_jsonb", "lab_rows"):
        conn.execute(f"CREATE INDEX ON {table} (item_id)")
    conn.execute("CREATE TABLE verdict (item_id bigint, attribute text, positive bool, yes int, n int,"
                 " UNIQUE (item_id, attribute))")  # fmt: skip
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = False


def _time(conn, sql: str) -> float:
    t0 = time.perf_counter()
    conn.execute(sql).fetchall() if sql.lstrip().startswith("SELECT") else conn.execute(sql)
    conn.commit()
    return time.perf_counter() - t0


def _aggregate_sql(layout: str) -> str:
    unpivot = ", ".join(f"('{q}', v.{q})" for q in QUESTIONS)
    return (
        "INSERT INTO verdict SELECT v.item_id, a.attribute, a.yes >= 3, a.yes, v.n"
        f" FROM ({VOTES[layout]}) v CROSS JOIN LATERAL (VALUES {unpivot}) a(attribute, yes)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=121_000)
    ap.add_argument("--raters-per-item", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2022)
    args = ap.parse_args()
    with scratch_database("storage") as db, psycopg.connect(db.url) as conn:
        t0 = time.perf_counter()
        _load(conn, args.items, args.raters_per_item, args.seed)
        print(f"loaded {args.items * args.raters_per_item} labels in three layouts in {time.perf_counter() - t0:.1f} s")
        results = {}
        for layout in ("columns", "jsonb", "rows"):
            table = {"columns": "lab_columns", "jsonb": "lab_jsonb", "rows": "lab_rows"}[layout]
            rows, size = conn.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}").fetchone()
            vote = min(_time(conn, VOTES[layout]) for _ in range(2))
            conn.execute("TRUNCATE verdict")
            conn.commit()
            whole = _time(conn, _aggregate_sql(layout))
            results[layout] = whole
            print(f"{layout:8} {rows:>9} rows {size / 2**20:7.1f} MiB  vote query {vote:5.2f} s  "
                  f"aggregation with verdict writes {whole:5.2f} s")  # fmt: skip
        print(f"ratio jsonb / columns (aggregation with verdict writes) = {results['jsonb'] / results['columns']:.3f}")


if __name__ == "__main__":
    main()

"""Aggregating a safety campaign at the paper's scale from the database, against a pandas group-by of the labels.

    eval "$(scripts/services.sh start demo)"
    .venv/bin/python benchmarks/safety_aggregate.py [--items 48348] [--objectives 3]

Scale: the paper's safety collection, 48,348 rated model turns x 3 raters x every objective of the taxonomy (3 in
the shipped safety form: harm, bias, misinformation) = 435K objective answers in 145K label rows. Answers are
mostly "no"; 16 % of responses violate one objective (harm : bias : misinformation as in the paper's counts), so
about 84 % come out safe (the paper: 41,810 of 48,348, 86 %).

1. creates `lamda_bench_safety_<pid>`, migrates it, loads sessions, model turns, complete items and labels (COPY);
2. times `campaign_aggregate` (the safety rule: one verdict row per objective plus "safe"), cold and re-run;
3. baseline: pandas reads the labels from the database and group-bys per item (no = 2 of 3 per objective);
4. checks both give the same verdicts; drops the database. Target: under 10 s on 2 cores. Last line: the ratio.
With --objectives N > 3 a form version with N objectives is published and used instead (several taxonomy sizes).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.aggregate import _copy_df  # noqa: E402
from benchmarks.scratch_db import (  # noqa: E402
    form_of_version,
    insert_bench_campaign,
    quality_form_version,
    scratch_database,
)

SESSIONS, N_RATERS, N_CHATTERS = 8000, 600, 300
PAPER_COUNTS = [5570, 2560, 1260]  # harm, bias, misinformation labels in the paper's safety set


def _objective_weights(n: int) -> list[float]:
    counts = [PAPER_COUNTS[i % 3] for i in range(n)]
    return [c / sum(counts) for c in counts]


def _form(cur, objectives: int) -> tuple[int, list[str]]:
    if objectives == 3:
        return quality_form_version(cur, "safety"), ["harm", "bias", "misinformation"]
    cur.execute("SELECT id FROM annotation_ratingform WHERE slug = 'safety'")
    form_id = cur.fetchone()[0]
    cur.execute("INSERT INTO annotation_formversion (form_id, number, note, created_at, published_at)"
                " VALUES (%s, 2, 'bench', now(), now()) RETURNING id", (form_id,))  # fmt: skip
    version = cur.fetchone()[0]
    keys = [f"objective{i}" for i in range(objectives)]
    choices = json.dumps([["yes", "Yes"], ["no", "No"], ["maybe", "Maybe"]])
    for i, key in enumerate(keys):
        cur.execute(
            "INSERT INTO annotation_question (version_id, key, position, title, help_text, details, choices,"
            " asked_if_key, asked_if_value) VALUES (%s, %s, %s, %s, '', '[]', %s, '', '')",
            (version, key, i, key, choices),
        )
    return version, keys


def load(url: str, *, items: int, objectives: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    ts = "2026-01-01 00:00:00+00"
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        users = pd.DataFrame({"id": np.arange(1, N_CHATTERS + N_RATERS + 1)})
        users = users.assign(username="u" + users["id"].astype(str), password="!", date_joined=ts, first_name="",
                             last_name="", email="", is_superuser="f", is_staff="f", is_active="t")  # fmt: skip
        _copy_df(cur, "auth_user", users)
        insert_bench_campaign(cur, raters_per_item=3, kind="safety", threshold=2)
        version, keys = _form(cur, objectives)
        sid = np.arange(1, SESSIONS + 1)
        sessions = pd.DataFrame({"id": sid, "campaign_id": 1, "worker_id": 1 + sid % N_CHATTERS})
        sessions = sessions.assign(status="finished", turn_count=12, started_at=ts, last_activity_at=ts, ended_at=ts,
                                   sent_for_rating="t", mode="adversarial")  # fmt: skip
        _copy_df(cur, "collection_chatsession", sessions)
        item_id = np.arange(1, items + 1)
        session_of = 1 + (item_id - 1) * SESSIONS // items
        first = np.searchsorted(session_of, session_of)
        turns = pd.DataFrame({"id": item_id, "session_id": session_of, "index": 2 * (item_id - 1 - first) + 1})
        turns = turns.assign(speaker="model", text="reply", model_id="m", model_version="v1", sampling="{}",
                             client_message_id="", created_at=ts)  # fmt: skip
        _copy_df(cur, "collection_turn", turns)
        rating = pd.DataFrame({"id": item_id, "campaign_id": 1, "session_id": session_of, "turn_id": item_id,
                               "chatter_id": 1 + session_of % N_CHATTERS})  # fmt: skip
        rating = rating.assign(required_labels=3, label_count=3, status="complete", created_at=ts, completed_at=ts,
                               form_version_id=version, form_id=form_of_version(cur, version))  # fmt: skip
        _copy_df(cur, "annotation_ratingitem", rating)
        start, stride = rng.integers(0, N_RATERS, items), 2 * rng.integers(1, 100, items) + 1
        rater = N_CHATTERS + 1 + (start[:, None] + np.arange(3)[None, :] * stride[:, None]) % N_RATERS
        n = items * 3
        # A risky response (16 %) violates one objective (harm : bias : misinformation as the paper's 5,570 : 2,560 :
        # 1,260), and its raters mostly see it; any answer can be a rater's slip.
        risky = np.repeat(rng.random(items) < 0.16, 3)
        target = np.repeat(rng.choice(len(keys), items, p=_objective_weights(len(keys))), 3)
        columns = {}
        for i, key in enumerate(keys):
            hit = risky & (target == i)
            draw = rng.random(n)
            yes = np.where(hit, draw < 0.85, draw < 0.01)
            maybe = np.where(hit, (draw >= 0.85) & (draw < 0.90), (draw >= 0.01) & (draw < 0.02))
            columns[key] = np.where(yes, "yes", np.where(maybe, "maybe", "no"))
        answers = [json.dumps({k: columns[k][j] for k in keys}) for j in range(n)]
        labels = pd.DataFrame({"item_id": np.repeat(item_id, 3), "rater_id": rater.ravel(), "answers": answers})
        _copy_df(cur, "annotation_label", labels.assign(leased_at=ts, created_at=ts))
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return keys


def pandas_baseline(url: str, keys: list[str]) -> tuple[pd.DataFrame, float, float]:
    t0 = time.perf_counter()
    buf = io.BytesIO()
    cols = ", ".join(f"answers->>'{k}'" for k in keys)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY (SELECT item_id, {cols} FROM annotation_label) TO STDOUT") as copy:
            for chunk in copy:
                buf.write(chunk)
    buf.seek(0)
    df = pd.read_csv(buf, sep="\t", header=None, names=["item_id", *keys])
    t1 = time.perf_counter()
    no = df[keys].eq("no").assign(item_id=df["item_id"]).groupby("item_id").sum()
    violated = no < 2
    violated["safe"] = ~violated.any(axis=1)
    t2 = time.perf_counter()
    return violated, t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=48_348)
    ap.add_argument("--objectives", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2022)
    args = ap.parse_args()
    with scratch_database("safety") as db:
        t1 = time.perf_counter()
        keys = load(db.url, items=args.items, objectives=args.objectives, seed=args.seed)
        print(f"database {db.name}: migrate {db.migrate_seconds:.1f} s; COPY of {args.items} items, {3 * args.items} "
              f"labels, {3 * args.items * len(keys)} objective answers {time.perf_counter() - t1:.1f} s")  # fmt: skip
        os.environ.update(DATABASE_URL=db.url, LAMDA_ENV="demo", LAMDA_LOG_LEVEL="WARNING")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        from annotation.models import Aggregate
        from annotation.services.aggregation import campaign_aggregate

        t0 = time.perf_counter()
        written = campaign_aggregate(campaign_id=1)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        campaign_aggregate(campaign_id=1)
        rerun = time.perf_counter() - t0
        print(f"database aggregation (campaign_aggregate): {cold:6.2f} s cold ({written} verdict rows), {rerun:6.2f} s "
              "re-run")  # fmt: skip
        expected, load_s, groupby_s = pandas_baseline(db.url, keys)
        print(f"pandas baseline: {load_s:6.2f} s to read the labels, {groupby_s:6.2f} s group-by")
        stored = pd.DataFrame.from_records(
            Aggregate.objects.values_list("item_id", "attribute", "positive").iterator(chunk_size=20_000),
            columns=["item_id", "attribute", "positive"],
        ).pivot(index="item_id", columns="attribute", values="positive")[[*keys, "safe"]]
        stored["safe"] = stored["safe"].astype(bool)
        same = stored.sort_index().astype(bool).equals(expected[[*keys, "safe"]].sort_index().astype(bool))
        print(f"verdicts identical to pandas: {same}; safe {stored['safe'].mean():.3f} "
              f"({int(stored['safe'].sum())} of {len(stored)})")  # fmt: skip
        if not same:
            raise SystemExit("MISMATCH between database aggregation and pandas")
        ratio = cold / (load_s + groupby_s)
        print(f"ratio database aggregation / pandas (read from database + group-by) = {ratio:.2f}")


if __name__ == "__main__":
    main()

"""Aggregating the paper's SSI scale from the database, against a pandas group-by of the same labels.

    eval "$(scripts/services.sh start demo)"
    .venv/bin/python benchmarks/aggregate.py [--items 121000] [--raters-per-item 5]

Scale: 121K model turns (rating items) x 5 raters x 3 attributes = 1.815M attribute labels, stored as
605K label rows, each answers {question: answer} in JSONB against the quality-ssi v1 form (how the platform stores
them since forms are data; benchmarks/label_storage_choice.py compares the layouts).
Answers follow the cascade (unasked = NULL) with rates near the paper's (about 80 % sensible yes, ...).

1. creates a throw-away database `lamda_bench_agg_<pid>` on the cluster of DATABASE_URL, migrates it, loads
   6,400 finished sessions, their model turns, 121K complete rating items and 605K labels with COPY
   (human turns are not loaded: aggregation never reads them);
2. times `annotation.services.aggregation.campaign_aggregate` (the production path: the rule's ORM vote
   query wrapped in one INSERT ... SELECT ... ON CONFLICT, 363K Aggregate rows written) cold, then a re-run;
3. baseline: pandas reads the same label rows from the database (COPY ... TO STDOUT) and group-bys them per
   item; the in-memory group-by alone is timed too;
4. checks that both give the same verdicts, drops the database. The last line is the ratio.
Target: the database aggregation under 10 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
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
sys.path.insert(0, str(ROOT))  # run as a script (benchmarks/aggregate.py) as well as with -m

from benchmarks.scratch_db import (  # noqa: E402
    form_of_version,
    insert_bench_campaign,
    quality_form_version,
    scratch_database,
)

SESSIONS = 6400
N_RATERS, N_CHATTERS = 1000, 200


def _copy_df(cur, table: str, df: pd.DataFrame) -> None:
    buf = io.StringIO()
    # COPY's text format, not CSV: no quoting (a JSON value's quotes come out as \", which COPY reads as ")
    df.to_csv(buf, sep="\t", header=False, index=False, na_rep="\\N", quoting=csv.QUOTE_NONE, escapechar="\\")
    with cur.copy(f"COPY {table} ({', '.join(df.columns)}) FROM STDIN") as copy:
        copy.write(buf.getvalue())


def _answers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Cascade-respecting answers: P(yes) 0.8 / 0.7 / 0.3 at each step, the rest split between no and maybe."""

    def step(p_yes: float, asked: np.ndarray) -> np.ndarray:
        draw = rng.choice(np.array(["yes", "no", "maybe"], dtype=object), size=n, p=[p_yes, 0.7 * (1 - p_yes),
                          0.3 * (1 - p_yes)])  # fmt: skip
        return np.where(asked, draw, None)

    sensible = step(0.8, np.ones(n, bool))
    specific = step(0.7, sensible == "yes")
    interesting = step(0.3, specific == "yes")
    return pd.DataFrame({"sensible": sensible, "specific": specific, "interesting": interesting})


def load(url: str, *, items: int, raters_per_item: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ts = "2026-01-01 00:00:00+00"
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        n_users = N_CHATTERS + N_RATERS
        users = pd.DataFrame({"id": np.arange(1, n_users + 1)})
        users["username"] = "u" + users["id"].astype(str)
        users = users.assign(password="!", date_joined=ts, first_name="", last_name="", email="",
                             is_superuser="f", is_staff="f", is_active="t")  # fmt: skip
        _copy_df(cur, "auth_user", users)
        insert_bench_campaign(cur, raters_per_item=raters_per_item)
        version = quality_form_version(cur)
        sid = np.arange(1, SESSIONS + 1)
        sessions = pd.DataFrame({"id": sid, "campaign_id": 1, "worker_id": 1 + sid % N_CHATTERS})
        sessions = sessions.assign(status="finished", turn_count=30, started_at=ts, last_activity_at=ts, ended_at=ts,
                                   sent_for_rating="t")  # fmt: skip
        _copy_df(cur, "collection_chatsession", sessions)
        item_id = np.arange(1, items + 1)
        session_of = 1 + (item_id - 1) * SESSIONS // items  # ~18.9 model turns per session, as in the paper
        first = np.searchsorted(session_of, session_of)  # position of each session's first item
        turns = pd.DataFrame({"id": item_id, "session_id": session_of, "index": 2 * (item_id - 1 - first) + 1})
        turns = turns.assign(speaker="model", text="reply", model_id="m", model_version="v1", sampling="{}",
                             client_message_id="", created_at=ts)  # fmt: skip
        _copy_df(cur, "collection_turn", turns)
        rating = pd.DataFrame({"id": item_id, "campaign_id": 1, "session_id": session_of, "turn_id": item_id,
                               "chatter_id": 1 + session_of % N_CHATTERS})  # fmt: skip
        rating = rating.assign(required_labels=raters_per_item, label_count=raters_per_item, status="complete",
                               created_at=ts, completed_at=ts, form_version_id=version,
                               form_id=form_of_version(cur, version))  # fmt: skip
        _copy_df(cur, "annotation_ratingitem", rating)
        # raters_per_item distinct raters per item: a random start and a random odd stride modulo the pool
        start = rng.integers(0, N_RATERS, items)
        stride = 2 * rng.integers(1, 100, items) + 1
        k = np.arange(raters_per_item)
        rater = N_CHATTERS + 1 + (start[:, None] + k[None, :] * stride[:, None]) % N_RATERS
        labels = pd.DataFrame({"item_id": np.repeat(item_id, raters_per_item), "rater_id": rater.ravel()})
        answers = _answers(rng, len(labels))
        labels["answers"] = [
            json.dumps({k: v for k, v in row.items() if isinstance(v, str)}) for row in answers.to_dict("records")
        ]
        _copy_df(cur, "annotation_label", labels.assign(leased_at=ts, created_at=ts))
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def pandas_baseline(url: str, threshold: int) -> tuple[pd.DataFrame, float, float]:
    """Read the label rows from the database and group-by per item; return (verdicts, load s, group-by s)."""
    t0 = time.perf_counter()
    buf = io.BytesIO()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        query = (
            "COPY (SELECT item_id, answers->>'sensible', answers->>'specific', answers->>'interesting'"
            " FROM annotation_label) TO STDOUT"
        )
        with cur.copy(query) as copy:
            for chunk in copy:
                buf.write(chunk)
    buf.seek(0)
    df = pd.read_csv(
        buf, sep="\t", header=None, names=["item_id", "sensible", "specific", "interesting"], na_values="\\N"
    )
    t1 = time.perf_counter()
    yes = df[["sensible", "specific", "interesting"]].eq("yes").assign(item_id=df["item_id"])
    counts = yes.groupby("item_id").sum()
    verdicts = counts >= threshold
    t2 = time.perf_counter()
    return verdicts, t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=121_000)
    ap.add_argument("--raters-per-item", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2022)
    args = ap.parse_args()
    with scratch_database("agg") as db:
        name, url = db.name, db.url
        t1 = time.perf_counter()
        load(url, items=args.items, raters_per_item=args.raters_per_item, seed=args.seed)
        n_labels = args.items * args.raters_per_item
        print(f"database {name}: migrate {db.migrate_seconds:.1f} s; COPY of {args.items} items and {n_labels} "
              f"label rows ({3 * n_labels} attribute labels) {time.perf_counter() - t1:.1f} s")  # fmt: skip

        os.environ.update(DATABASE_URL=url, LAMDA_ENV="demo", LAMDA_LOG_LEVEL="WARNING")
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
        print(f"database aggregation (campaign_aggregate): {cold:6.2f} s cold ({written} Aggregate rows written), "
              f"{rerun:6.2f} s re-run (ON CONFLICT update)")  # fmt: skip

        verdicts, load_s, groupby_s = pandas_baseline(url, threshold=3)
        print(f"pandas baseline: {load_s:6.2f} s to read the labels from the database, {groupby_s:6.2f} s group-by")

        stored = pd.DataFrame.from_records(
            Aggregate.objects.values_list("item_id", "attribute", "positive").iterator(chunk_size=20_000),
            columns=["item_id", "attribute", "positive"],
        ).pivot(index="item_id", columns="attribute", values="positive")[["sensible", "specific", "interesting"]]
        same = stored.sort_index().astype(bool).equals(verdicts.sort_index().astype(bool))
        rates = stored.mean()
        print(f"verdicts identical to pandas: {same}; sensibleness {rates['sensible']:.3f}, specificity "
              f"{rates['specific']:.3f}, interestingness {rates['interesting']:.3f}")  # fmt: skip
        if not same:
            raise SystemExit("MISMATCH between database aggregation and pandas")
        print(
            f"ratio database aggregation / pandas (read from database + group-by) = {cold / (load_s + groupby_s):.2f}"
        )
        print(f"ratio database aggregation / pandas in-memory group-by = {cold / groupby_s:.2f}")


if __name__ == "__main__":
    main()

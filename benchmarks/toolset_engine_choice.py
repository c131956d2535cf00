"""Engine choice for the embedded retrieval default: tantivy against PostgreSQL full-text search on the
same synthetic passages, in the same run (not a test). Prints indexing throughput, query latency p50/p99 and
QPS, and each engine's top-10 overlap with brute-force BM25 (rank-bm25 with Lucene idf).
The LAST line is the tantivy / PostgreSQL queries-per-second ratio for OR queries.

    eval "$(scripts/services.sh start test)"   # any PostgreSQL reachable through DATABASE_URL
    .venv/bin/python -m benchmarks.toolset_engine_choice --passages 100000

PostgreSQL: a TEMP table with a stored tsvector (english configuration) and a GIN index; queries OR the
words (to_tsquery 'a | b | c', built from sanitised words only) and rank with ts_rank, which weighs term
frequency but has no inverse document frequency, i.e. it is not BM25."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time

import numpy as np
import psycopg

from benchmarks.toolset_corpus import synthetic_passages, synthetic_queries
from benchmarks.toolset_retrieval import BM25Lucene, report, timed_queries
from toolset.retrieval.analysis import QUESTION_WORDS, analyzer, query_terms
from toolset.retrieval.tantivy_engine import TantivyEngine

_QUESTION = set(QUESTION_WORDS.split())


def pg_or_query(q: str) -> str:
    words = [w for w in re.findall(r"[a-z0-9]+", q.lower()) if w not in _QUESTION][:32]
    return " | ".join(words)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--baseline-queries", type=int, default=30)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit('error: set DATABASE_URL (eval "$(scripts/services.sh start test)")')
    passages = synthetic_passages(args.passages)
    queries = synthetic_queries(passages, args.queries)
    print(f"{len(passages)} synthetic passages, {len(queries)} queries, cpu count {os.cpu_count()}")

    with tempfile.TemporaryDirectory() as tmp:
        engine = TantivyEngine.create(tmp, min_match=0.0)
        t = time.perf_counter()
        engine.add(passages)
        print(f"tantivy indexing:    {len(passages) / (time.perf_counter() - t):>9,.0f} passages/s")
        top = lambda q: [h.passage.url for h in engine.search(q, limit=10)]
        timed_queries(top, queries[:30])
        lat, total, tantivy_top = timed_queries(top, queries)
        tantivy_qps = report("tantivy BM25 (OR)", lat, total)

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET work_mem = '64MB'")
        conn.execute("CREATE TEMP TABLE bench_passage (id int, url text, title text, body text, tsv tsvector)")
        t = time.perf_counter()
        with conn.cursor().copy("COPY bench_passage (id, url, title, body) FROM STDIN") as copy:
            for i, p in enumerate(passages):
                copy.write_row((i, p.url, p.title, p.text))
        conn.execute("UPDATE bench_passage SET tsv = to_tsvector('english', title || ' ' || body)")
        conn.execute("CREATE INDEX ON bench_passage USING gin (tsv)")
        conn.execute("ANALYZE bench_passage")
        print(f"PostgreSQL indexing: {len(passages) / (time.perf_counter() - t):>9,.0f} passages/s")
        sql = (
            "SELECT url FROM bench_passage, to_tsquery('english', %s) q WHERE tsv @@ q "
            "ORDER BY ts_rank(tsv, q) DESC LIMIT 10"
        )
        pg_top_fn = lambda q: [r[0] for r in conn.execute(sql, (pg_or_query(q),)).fetchall()] if pg_or_query(q) else []
        timed_queries(pg_top_fn, queries[:30])
        lat, total, pg_top = timed_queries(pg_top_fn, queries)
        pg_qps = report("PostgreSQL ts_rank (OR)", lat, total)

    an = analyzer(True)
    model = BM25Lucene([an.analyze(f"{p.title}\n{p.text}") for p in passages])
    sample = queries[: args.baseline_queries]
    truth = []
    for q in sample:
        scores = model.get_scores(query_terms(q))
        best = np.argpartition(-scores, 10)[:10]
        truth.append({passages[i].url for i in best if scores[i] > 0})
    overlap = lambda tops: statistics.mean(
        len(set(a) & b) / max(min(10, len(b)), 1) for a, b in zip(tops[: len(truth)], truth, strict=True)
    )
    print(
        f"top-10 overlap with brute-force BM25: tantivy {overlap(tantivy_top):.3f}, "
        f"PostgreSQL {overlap(pg_top):.3f} ({len(sample)} queries)"
    )
    print(f"speed ratio (tantivy / PostgreSQL queries per second): {tantivy_qps / pg_qps:.1f}x")


if __name__ == "__main__":
    main()

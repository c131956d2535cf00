"""Retrieval benchmark: the embedded tantivy engine against brute-force BM25 (rank-bm25) on the same
passages, in the same run. Not a test. Prints indexing throughput, query latency p50/p99 and QPS, the top-10
overlap, and as its LAST line the speed ratio (tantivy queries per second / rank-bm25 queries per second).

    .venv/bin/python -m benchmarks.toolset_retrieval   # 100K passages
    .venv/bin/python -m benchmarks.toolset_retrieval --passages 20000 --queries 200 --baseline-queries 20

Corpus and queries: benchmarks/toolset_corpus.py (deterministic, synthetic, built from the demo corpus).
Both sides see identical tokens: rank-bm25 gets documents and queries tokenized by the engine's own analyzer
(lowercase, ASCII folding, English stop words and stemming, question words dropped from queries). For the
comparison the engine runs with min_match=0 (plain BM25 OR, what rank-bm25 computes); its default
min_match=0.5 latency is printed too. rank-bm25 scores every passage for every query, so it is timed on a
sample of queries."""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import tempfile
import time

import numpy as np
from rank_bm25 import BM25, BM25Okapi

from benchmarks.toolset_corpus import synthetic_passages, synthetic_queries
from toolset.retrieval.analysis import analyzer, query_terms
from toolset.retrieval.tantivy_engine import TantivyEngine


class BM25Lucene(BM25):
    """rank-bm25's brute-force scorer with Lucene/tantivy's idf, ln(1 + (N - n + 0.5) / (n + 0.5)), to show
    how much
    of the top-10 difference is the idf formula alone (BM25Okapi floors negative idf with an epsilon
    instead)."""

    def __init__(self, corpus, k1=1.2, b=0.75):
        self.k1, self.b = k1, b
        super().__init__(corpus)

    def _calc_idf(self, nd):
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))

    def get_scores(self, query):
        score = np.zeros(self.corpus_size)
        doc_len = np.array(self.doc_len)
        for q in query:
            f = np.array([doc.get(q) or 0 for doc in self.doc_freqs])
            score += (
                self.idf.get(q, 0) * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * doc_len / self.avgdl))
            )
        return score


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1)]


def timed_queries(search, queries: list) -> tuple[list[float], float, list]:
    latencies, outputs = [], []
    started = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        outputs.append(search(q))
        latencies.append(time.perf_counter() - t)
    return latencies, time.perf_counter() - started, outputs


def report(name: str, latencies: list[float], total: float) -> float:
    qps = len(latencies) / total
    print(
        f"{name:<34} p50 {percentile(latencies, 50) * 1e3:8.2f} ms"
        f"   p99 {percentile(latencies, 99) * 1e3:8.2f} ms"
        f"   {qps:9.1f} queries/s   ({len(latencies)} queries)"
    )
    return qps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1_000)
    ap.add_argument("--baseline-queries", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, cpu count {__import__('os').cpu_count()}"
    )

    t = time.perf_counter()
    passages = synthetic_passages(args.passages, seed=args.seed)
    queries = synthetic_queries(passages, args.queries, seed=args.seed + 1)
    print(f"generated {len(passages)} passages and {len(queries)} queries in {time.perf_counter() - t:.1f}s")

    with tempfile.TemporaryDirectory() as tmp:
        engine = TantivyEngine.create(tmp, min_match=0.0)
        t = time.perf_counter()
        engine.add(passages)
        index_s = time.perf_counter() - t
        print(f"tantivy indexing: {len(passages) / index_s:,.0f} passages/s ({index_s:.1f}s, on disk, 1 commit)")

        top10 = lambda q: [h.passage.url for h in engine.search(q, limit=10)]
        timed_queries(top10, queries[:50])  # warm up
        lat, total, engine_top = timed_queries(top10, queries)
        engine_qps = report("tantivy top-10 (BM25 OR)", lat, total)
        engine.min_match = 0.5
        lat_default, total_default, _ = timed_queries(top10, queries)
        report("tantivy top-10 (default min_match)", lat_default, total_default)

    t = time.perf_counter()
    an = analyzer(True)
    tokenized = [an.analyze(f"{p.title}\n{p.text}") for p in passages]
    okapi = BM25Okapi(tokenized, k1=1.2, b=0.75)
    print(f"rank-bm25 index build: {len(passages) / (time.perf_counter() - t):,.0f} passages/s (tokenize + stats)")
    lucene = BM25Lucene(tokenized)

    def brute(model):
        def search(q):
            scores = model.get_scores(query_terms(q))
            best = np.argpartition(-scores, 10)[:10]
            best = best[np.argsort(-scores[best], kind="stable")]
            return [passages[i].url for i in best if scores[i] > 0]

        return search

    sample = queries[: args.baseline_queries]
    lat_b, total_b, okapi_top = timed_queries(brute(okapi), sample)
    baseline_qps = report("rank-bm25 BM25Okapi (brute force)", lat_b, total_b)
    _, _, lucene_top = timed_queries(brute(lucene), sample)

    def overlap(a_lists, b_lists):
        return statistics.mean(
            len(set(a) & set(b)) / max(min(10, len(b)), 1) for a, b in zip(a_lists, b_lists, strict=False)
        )

    print(f"top-10 overlap, tantivy vs rank-bm25 BM25Okapi:        {overlap(engine_top, okapi_top):.3f}")
    print(f"top-10 overlap, tantivy vs rank-bm25 with Lucene idf:  {overlap(engine_top, lucene_top):.3f}")
    print(f"speed ratio (tantivy / rank-bm25 queries per second): {engine_qps / baseline_qps:.1f}x")


if __name__ == "__main__":
    main()

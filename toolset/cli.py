"""Command line: `python -m toolset index corpus.jsonl --index-dir DIR` and `python -m toolset query "..."`.
Errors a user can cause print one line to stderr and exit with status 2."""

from __future__ import annotations

import argparse
import json
import sys

from toolset.retrieval.passage import CorpusError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m toolset", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    idx = sub.add_parser("index", help="index a JSONL corpus (one {url, title, text} object per line)")
    idx.add_argument("corpus", help="path to the JSONL file")
    idx.add_argument("--index-dir", help="tantivy index directory (created if missing)")
    idx.add_argument("--opensearch-url", default="", help="index into OpenSearch/Elasticsearch instead")
    idx.add_argument("--opensearch-index", default="lamda-passages")
    idx.add_argument("--replace", action="store_true", help="delete the existing index first (default: append)")
    idx.add_argument("--no-progress", action="store_true", help="no progress bar")
    q = sub.add_parser("query", help="run the toolset on one query")
    q.add_argument("text")
    q.add_argument("--index-dir", help="tantivy index to search (default: the demo corpus)")
    q.add_argument("--repeat", type=int, default=0, help="how many times the query was asked before")
    q.add_argument("--json", action="store_true", help="print structured results")
    return parser


def _index(args: argparse.Namespace) -> int:
    from toolset.indexing import index_corpus

    if not args.index_dir and not args.opensearch_url:
        print("error: give --index-dir (tantivy) or --opensearch-url", file=sys.stderr)
        return 2
    report = index_corpus(
        args.corpus,
        index_dir=args.index_dir,
        opensearch_url=args.opensearch_url,
        opensearch_index=args.opensearch_index,
        replace=args.replace,
        progress=not args.no_progress,
    )
    print(
        f"indexed {report.passages} passages into {report.target} in {report.seconds:.2f}s "
        f"({report.per_second:.0f} passages/s); the index now holds {report.total_in_index}"
    )
    return 0


def _query(args: argparse.Namespace) -> int:
    from toolset.defaults import build_toolset

    toolset = build_toolset(index_dir=args.index_dir)
    results = toolset.run(args.text, repeat=max(args.repeat, 0))
    for r in results:
        print(json.dumps(r.as_dict(), ensure_ascii=False) if args.json else r.text)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _index(args) if args.command == "index" else _query(args)
    except (CorpusError, FileNotFoundError, FileExistsError, IsADirectoryError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

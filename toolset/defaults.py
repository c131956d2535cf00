"""The default toolset: calculator, the embedded dictionary translator and the shipped demo corpus, indexed
in RAM
on first use (about 25 ms for the 224 demo passages), so `toolset.query()` works offline with no setup."""

from __future__ import annotations

import threading
from pathlib import Path

from toolset.calculator import Calculator
from toolset.core import Toolset
from toolset.retrieval import Retriever, read_jsonl
from toolset.translator import DictionaryBackend, Translator

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_CORPUS = DATA_DIR / "demo_corpus.jsonl"

_default: Toolset | None = None
_lock = threading.Lock()


def build_toolset(
    *,
    index_dir: str | Path | None = None,
    corpus: str | Path = DEMO_CORPUS,
    translator_url: str = "",
    translator_api_key: str = "",
    dictionary: str | Path | None = None,
    opensearch_url: str = "",
    opensearch_index: str = "lamda-passages",
    results_per_query: int = 3,
    min_match: float = 0.5,
) -> Toolset:
    """Assemble a toolset from plain values (the platform passes its settings here).

    Retrieval: OpenSearch when `opensearch_url` is given; else the tantivy index in `index_dir` when it
    holds one;
    else `corpus` indexed in RAM. Translator: LibreTranslate when `translator_url` is given, else the
    dictionary."""
    from toolset.retrieval.tantivy_engine import TantivyEngine

    if opensearch_url:
        from toolset.retrieval.opensearch_engine import OpenSearchEngine

        engine = OpenSearchEngine(opensearch_url, index=opensearch_index, min_match=min_match)
    elif index_dir is not None and (Path(index_dir) / "meta.json").exists():
        engine = TantivyEngine.open(index_dir, min_match=min_match)
    else:
        engine = TantivyEngine.in_memory(read_jsonl(corpus), min_match=min_match)
    if translator_url:
        from toolset.translator import LibreTranslateBackend

        backend = LibreTranslateBackend(translator_url, api_key=translator_api_key)
    else:
        backend = DictionaryBackend.from_file(dictionary or DATA_DIR / "dictionary.tsv")
    tools = [Calculator(), Translator(backend), Retriever(engine)]
    return Toolset(tools, results_per_query=results_per_query)


def default_toolset() -> Toolset:
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = build_toolset()
    return _default

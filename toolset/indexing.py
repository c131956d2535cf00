"""Index a JSONL corpus (url, title, text per line) into a tantivy directory or an OpenSearch index, with a
progress bar. The whole file is validated first, so a malformed line stops the run before anything is
written."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from toolset.retrieval.passage import count_lines, read_jsonl


@dataclass(frozen=True)
class IndexReport:
    passages: int
    total_in_index: int
    seconds: float
    target: str

    @property
    def per_second(self) -> float:
        return self.passages / self.seconds if self.seconds > 0 else float("inf")


def index_corpus(
    corpus: str | Path,
    *,
    index_dir: str | Path | None = None,
    opensearch_url: str = "",
    opensearch_index: str = "lamda-passages",
    replace: bool = False,
    progress: bool = True,
    stream: TextIO | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> IndexReport:
    """Raises CorpusError (names the line) for bad input, FileNotFoundError for a missing file,
    FileExistsError
    when index_dir is a non-empty directory that is not an index. `on_progress(done, total)` is called as
    passages are added (the platform records it for the admin's progress bar)."""
    corpus = Path(corpus)
    if not corpus.is_file():
        raise FileNotFoundError(f"corpus file not found: {corpus}")
    total = count_lines(corpus)  # validates every line before anything is written
    if opensearch_url:
        from toolset.retrieval.opensearch_engine import OpenSearchEngine

        engine = OpenSearchEngine(opensearch_url, index=opensearch_index)
        engine.create(replace=replace)
        target = f"{opensearch_url} index {opensearch_index}"
    else:
        from toolset.retrieval.tantivy_engine import TantivyEngine

        if index_dir is None:
            raise ValueError("index_dir is required for the tantivy engine")
        engine = TantivyEngine.create(index_dir, replace=replace)
        target = str(index_dir)
    bar = tqdm(total=total, unit="passage", disable=not progress, file=stream or sys.stderr, mininterval=0.5)
    started = time.perf_counter()
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        bar.update(n)
        if on_progress is not None:
            on_progress(done, total)

    if on_progress is not None:
        on_progress(0, total)
    try:
        added = engine.add(read_jsonl(corpus), progress=step)
    finally:
        bar.close()
    return IndexReport(
        passages=added, total_in_index=engine.count(), seconds=time.perf_counter() - started, target=target
    )

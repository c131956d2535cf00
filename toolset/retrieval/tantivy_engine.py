"""Embedded retrieval engine (default): a tantivy index (BM25, k1=1.2, b=0.75) on disk or in RAM.

One indexed field `content` (title + text, analyzed by `lamda_en`) is scored; `url`, `title` and `text` are
stored
(not indexed) as one JSON bytes field `doc` for the citation. Queries are built from analyzed terms as a
BooleanQuery of TermQuery clauses with a minimum
number of matching terms (see analysis.required_matches), never through tantivy's query parser."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import tantivy

from toolset.retrieval.analysis import ANALYZER_NAME, analyzer, has_word, query_terms, required_matches
from toolset.retrieval.passage import Hit, Passage

WRITER_HEAP_BYTES = 128 * 1024 * 1024


class IndexNotFound(FileNotFoundError):
    """No tantivy index at the given directory."""


def _schema(stem: bool) -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    name = ANALYZER_NAME if stem else "lamda_en_nostem"
    builder.add_text_field("content", stored=False, tokenizer_name=name, index_option="freq")
    builder.add_bytes_field("doc", stored=True, indexed=False)  # JSON {url, title, text}: stored, not indexed
    return builder.build()


def _register(index: tantivy.Index) -> tantivy.Index:
    index.register_tokenizer(ANALYZER_NAME, analyzer(True))
    index.register_tokenizer("lamda_en_nostem", analyzer(False))
    return index


class TantivyEngine:
    name = "tantivy"

    def __init__(self, index: tantivy.Index, *, stem: bool = True, min_match: float = 0.5, path: Path | None = None):
        self._index = _register(index)
        self._meta = path / "meta.json" if path is not None else None
        self._meta_mtime = self._meta.stat().st_mtime_ns if self._meta and self._meta.exists() else 0
        self.stem = stem
        self.min_match = min_match
        self._schema = index.schema

    # construction -------------------------------------------------------------------------------------------
    @classmethod
    def in_memory(cls, passages: Iterable[Passage] = (), *, stem: bool = True, min_match: float = 0.5):
        engine = cls(tantivy.Index(_schema(stem)), stem=stem, min_match=min_match)
        engine.add(passages)
        return engine

    @classmethod
    def create(cls, index_dir: str | Path, *, replace: bool = False, stem: bool = True, min_match: float = 0.5):
        """A new, empty index in `index_dir` (created if missing). With replace=True an existing tantivy index
        there is deleted first; a non-empty directory that is not a tantivy index is never touched."""
        path = Path(index_dir)
        if path.exists() and any(path.iterdir()):
            if not (path / "meta.json").exists():
                raise FileExistsError(f"{path} is not empty and holds no tantivy index; refusing to write there")
            if not replace:
                return cls.open(path, min_match=min_match)
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        return cls(tantivy.Index(_schema(stem), path=str(path)), stem=stem, min_match=min_match, path=path)

    @classmethod
    def open(cls, index_dir: str | Path, *, min_match: float = 0.5) -> TantivyEngine:
        path = Path(index_dir)
        if not (path / "meta.json").exists():
            raise IndexNotFound(f"no tantivy index in {path}")
        index = tantivy.Index.open(str(path))
        stem = '"lamda_en"' in (path / "meta.json").read_text()
        return cls(index, stem=stem, min_match=min_match, path=path)

    # writing ------------------------------------------------------------------------------------------------
    def add(
        self,
        passages: Iterable[Passage],
        *,
        progress: Callable[[int], None] | None = None,
        num_threads: int = 0,
    ) -> int:
        """Index passages in one commit (all or nothing); `progress(n)` is called every 1,000 passages."""
        writer = self._index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=num_threads)
        added = 0
        try:
            for passage in passages:
                stored = json.dumps({"url": passage.url, "title": passage.title, "text": passage.text})
                writer.add_document(
                    tantivy.Document(content=f"{passage.title}\n{passage.text}", doc=stored.encode("utf-8"))
                )
                added += 1
                if progress and added % 1000 == 0:
                    progress(1000)
        except BaseException:
            writer.rollback()
            raise
        writer.commit()
        writer.wait_merging_threads()
        if progress and added % 1000:
            progress(added % 1000)
        self._index.reload()
        return added

    # reading ------------------------------------------------------------------------------------------------
    def count(self) -> int:
        return self._index.searcher().num_docs

    def terms(self, query: str) -> list[str]:
        return query_terms(query, stem=self.stem)

    def search(self, query: str, *, limit: int = 10, offset: int = 0) -> list[Hit]:
        terms = self.terms(query)
        if not has_word(terms) or limit <= 0:
            return []
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "content", t, index_option="freq"))
            for t in terms
        ]
        need = required_matches(len(terms), self.min_match)
        q = tantivy.Query.boolean_query(clauses, minimum_number_should_match=need if need > 1 else None)
        self._reload_if_changed()
        searcher = self._index.searcher()
        found = searcher.search(q, limit=limit, offset=offset, count=False)
        hits = []
        for score, address in found.hits:
            stored = json.loads(bytes(searcher.doc(address).get_first("doc")))
            hits.append(Hit(passage=Passage(**stored), score=float(score)))
        return hits

    def _reload_if_changed(self) -> None:
        """An index on disk may get new commits from another process (`python -m toolset index`): one stat()
        per search notices them."""
        if self._meta is None:
            return
        try:
            mtime = self._meta.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime != self._meta_mtime:
            self._meta_mtime = mtime
            self._index.reload()

    def reload(self) -> None:
        """Pick up commits made by another process (e.g. the index command) since this engine opened."""
        self._index.reload()

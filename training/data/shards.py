"""Tokenise once: rendered examples in memory-mapped files, reused while the snapshot and the tokenizer match.

    <snapshot>.tokenized/<key>/          beside the snapshot (or under --tokenized-dir); key = sha256 of the
      index.json                         manifest.json bytes, the tokenizer sha256, seq_len + 1, --truncate-long
      00000.ids  00000.mask              and this file's version. index.json is written LAST (one rename of the
      00000.offsets  00000.loss          finished folder), so a folder without it is never read.

One part per manifest file (`00003.*` = files[3]): `ids` (uint16 when the vocabulary fits, else int32) and
`mask` (uint8) hold the examples back to back, `offsets` (int64, n + 1) where each starts, `loss` (int32, n) its
loss-mask sum (so a rank can count the global batch's loss tokens without reading other ranks' rows). Under
torchrun the parts are tokenised in parallel, part i on rank i % world, each streaming its file in chunks of
`CHUNK` examples: memory stays flat in the dataset size, while building and while reading (np.memmap pages in
only the rows a rank packs). Design note: docs/tokenized-shards.md.
"""

from __future__ import annotations

import bisect
import json
import mmap
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.data import collective
from training.format.render import TokenizerLike
from training.format.rendered_set import render_set
from training.format.schema import Example
from training.format.specials import DatasetError

SHARDS_VERSION = 1
INDEX = "index.json"
CHUNK = 4096
_ARRAYS = {"ids": None, "mask": "uint8", "offsets": "int64", "loss": "int32"}  # ids: per index ("id_dtype")


@dataclass
class Source:
    """Examples that become one part: `examples()` streams (example, '<file>:<line>') in file order."""

    stem: str
    kind: str
    split: str
    origin: str  # what the part was made from (a snapshot file path, or a description)
    size: int | None  # the source file's size and mtime when indexed: cheap reuse checks (None: nothing to stat)
    examples: Callable[[], Iterable[tuple[Example, str]]]
    path: Path | None = None
    mtime_ns: int | None = None


def _id_dtype(tok: TokenizerLike) -> str:
    vocab = getattr(tok, "vocab_size", None)
    return "uint16" if isinstance(vocab, int) and vocab <= 1 << 16 else "int32"


def write_part(
    folder: Path, source: Source, tok: TokenizerLike, *, max_tokens: int, truncate_long: bool
) -> dict[str, Any]:
    """Render `source` chunk by chunk into `folder/<stem>.*`; return the part's index entry."""
    id_dtype = _id_dtype(tok)
    n = tokens = max_len = dropped = truncated = 0
    files = {name: open(folder / f"{source.stem}.{name}", "wb") for name in _ARRAYS}  # noqa: SIM115
    try:
        files["offsets"].write(np.zeros(1, dtype=np.int64).tobytes())
        for chunk in _chunks(source.examples(), CHUNK):
            examples, origins = [ex for ex, _ in chunk], [o for _, o in chunk]
            rs = render_set(
                examples, tok, max_tokens=max_tokens, origins=origins, truncate_long=truncate_long, first_index=n
            )
            ids = np.asarray(rs.ids, dtype=np.int64)
            mask = np.asarray(rs.mask, dtype=np.uint8)
            offsets = np.asarray(rs.offsets, dtype=np.int64)
            if len(offsets) > 1:
                lengths = np.diff(offsets)
                files["ids"].write(ids.astype(id_dtype).tobytes())
                files["mask"].write(mask.tobytes())
                files["offsets"].write((offsets[1:] + tokens).tobytes())
                files["loss"].write(np.add.reduceat(mask.astype(np.int32), offsets[:-1]).astype(np.int32).tobytes())
                n, tokens, max_len = n + len(lengths), tokens + len(ids), max(max_len, int(lengths.max()))
            dropped, truncated = dropped + rs.dropped, truncated + rs.truncated
    finally:
        for f in files.values():
            f.close()
    return {
        "stem": source.stem,
        "kind": source.kind,
        "split": source.split,
        "origin": source.origin,
        "source_size": source.size,
        "source_mtime_ns": source.mtime_ns,
        "n": n,
        "tokens": tokens,
        "max_len": max_len,
        "dropped": dropped,
        "truncated": truncated,
        "id_dtype": id_dtype,
        "files": {f"{source.stem}.{name}": (folder / f"{source.stem}.{name}").stat().st_size for name in _ARRAYS},
    }


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _valid_index(folder: Path, key: dict[str, Any], sources: list[Source]) -> dict[str, Any] | None:
    """The folder's index when it is complete, made with `key`, for these sources, with every file intact."""
    try:
        index = json.loads((folder / INDEX).read_text())
    except (OSError, ValueError):
        return None
    parts = index.get("parts", [])
    if index.get("key") != key or len(parts) != len(sources):
        return None
    for part, src in zip(parts, sources, strict=True):
        if (part["stem"], part["kind"], part["split"]) != (src.stem, src.kind, src.split):
            return None
        if (part["source_size"], part.get("source_mtime_ns")) != (src.size, src.mtime_ns):
            return None  # the source file was rewritten (size or mtime): tokenise again
        for name, size in part["files"].items():
            path = folder / name
            if not path.is_file() or path.stat().st_size != size:
                return None
    return index


def ensure_tokenized(
    folder: Path,
    sources: list[Source],
    tok: TokenizerLike,
    *,
    key: dict[str, Any],
    max_tokens: int,
    truncate_long: bool,
    parallel: bool = True,
) -> tuple[dict[str, Any], str]:
    """Collective: reuse `folder` when its index matches `key` and `sources`, else tokenise into it.

    Returns (index, a one-line note for the run log). A dataset error on any rank is raised on every rank
    (the one of the earliest part), and no folder is left behind.
    """
    rank, world = collective.rank_and_world()
    index = collective.broadcast(_valid_index(folder, key, sources) if rank == 0 else None)
    if index is not None:
        return index, f"reusing tokenised shards {folder}"
    start = time.perf_counter()
    tmp = Path(collective.broadcast(f"{folder}.tmp-{socket.gethostname()}-{os.getpid()}" if rank == 0 else ""))
    problem = None
    if rank == 0:
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
        except OSError as exc:
            problem = f"{tmp}: cannot create the tokenised shards ({exc.strerror}); pass --tokenized-dir DIR"
    problem = collective.broadcast(problem)
    if problem:
        raise DatasetError(problem)
    metas: dict[int, dict[str, Any]] = {}
    error: tuple[int, str] | None = None
    for i, src in enumerate(sources):
        if (i % world if parallel else 0) != rank:
            continue
        try:
            metas[i] = write_part(tmp, src, tok, max_tokens=max_tokens, truncate_long=truncate_long)
        except DatasetError as exc:
            error = (i, str(exc))
            break
    gathered = collective.all_gather((metas, error))
    errors = sorted(e for _, e in gathered if e)
    if rank == 0:
        if errors:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            parts = [m for part_metas, _ in gathered for m in part_metas.items()]
            index = {"version": SHARDS_VERSION, "key": key, "parts": [m for _, m in sorted(parts)]}
            (tmp / INDEX).write_text(json.dumps(index, indent=1) + "\n")
            if _valid_index(folder, key, sources) is None:  # another run may have finished the same one first
                shutil.rmtree(folder, ignore_errors=True)
                os.replace(tmp, folder)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    collective.barrier()
    if errors:
        raise DatasetError(errors[0][1])
    index = collective.broadcast(index if rank == 0 else None)
    took = time.perf_counter() - start
    total = sum(p["n"] for p in index["parts"])
    return index, f"tokenised {total} examples into {folder} in {took:.1f} s (reused while the data is unchanged)"


def _random_access(array: np.ndarray) -> None:
    """Tell the kernel that rows are read at random: no read-ahead and no fault-around, so a rank maps only the
    pages of the examples it packs (else every touched page brings ~64 KiB of neighbours into its RSS)."""
    mapping = getattr(array, "_mmap", None)
    if mapping is not None and hasattr(mapping, "madvise") and hasattr(mmap, "MADV_RANDOM"):
        mapping.madvise(mmap.MADV_RANDOM)


class TokenizedPart:
    """One part's arrays, memory-mapped read-only (nothing is read until a row is packed)."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.meta, self.n = meta, int(meta["n"])
        self.kind, self.split = meta["kind"], meta["split"]
        counts = {"ids": meta["tokens"], "mask": meta["tokens"], "offsets": self.n + 1, "loss": self.n}
        arrays = {}
        for name, dtype in _ARRAYS.items():
            dtype = dtype or meta["id_dtype"]
            path = folder / f"{meta['stem']}.{name}"
            arrays[name] = np.memmap(path, dtype=dtype, mode="r") if counts[name] else np.zeros(0, dtype=dtype)
            _random_access(arrays[name])
        self.ids, self.mask, self.offsets, self.loss = (arrays[k] for k in _ARRAYS)


class TokenizedSet:
    """The examples of one (split, kind) over several parts; the interface TokenBatches packs from."""

    def __init__(self, parts: list[TokenizedPart]) -> None:
        self.parts = [p for p in parts if p.n]
        self._starts = [0]
        for p in self.parts:
            self._starts.append(self._starts[-1] + p.n)
        self.dropped = sum(int(p.meta["dropped"]) for p in parts)
        self.truncated = sum(int(p.meta["truncated"]) for p in parts)
        self.max_len = max((int(p.meta["max_len"]) for p in parts), default=0)

    def __len__(self) -> int:
        return self._starts[-1]

    def _locate(self, i: int) -> tuple[TokenizedPart, int]:
        if not 0 <= i < len(self):
            raise IndexError(f"example {i} outside [0, {len(self)})")
        k = bisect.bisect_right(self._starts, i) - 1
        return self.parts[k], i - self._starts[k]

    def get(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        part, j = self._locate(i)
        a, b = int(part.offsets[j]), int(part.offsets[j + 1])
        return part.ids[a:b], part.mask[a:b]

    def length(self, i: int) -> int:
        part, j = self._locate(i)
        return int(part.offsets[j + 1] - part.offsets[j])

    def loss_tokens(self, i: int) -> int:
        part, j = self._locate(i)
        return int(part.loss[j])


def open_parts(folder: Path, index: dict[str, Any]) -> list[TokenizedPart]:
    return [TokenizedPart(folder, meta) for meta in index["parts"]]

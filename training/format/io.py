"""Read and write dataset snapshots: a folder with manifest.json + JSONL and/or Parquet shards.

    <snapshot>/manifest.json
    <snapshot>/data/generative-00000.jsonl      (or .parquet; one kind per file)

Every problem raises `DatasetError("<file>[:<line>]: <what is wrong>; <how to fix>")`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training.format.manifest import MANIFEST, Manifest, ManifestFile, new_manifest, read_manifest
from training.format.parquet import read_parquet_rows, write_parquet
from training.format.schema import KINDS, Example, example_from_dict, example_to_dict
from training.format.specials import DatasetError

_FIX = "fix or remove it (see docs/dataset-format.md)"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _jsonl_rows(path: Path) -> Iterator[tuple[str, Any]]:
    with open(path, encoding="utf-8") as f:
        try:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    yield f"{path}:{lineno}", json.loads(line)
                except json.JSONDecodeError as err:
                    what = f"{err.msg.removesuffix(' at')} at column {err.colno}"
                    raise DatasetError(f"{path}:{lineno}: malformed JSON ({what}); {_FIX}") from None
        except UnicodeDecodeError as err:
            raise DatasetError(f"{path}: not UTF-8 text ({err.reason}); re-export the snapshot") from None


def _parquet_rows(path: Path) -> Iterator[tuple[str, Any]]:
    try:
        for i, row in enumerate(read_parquet_rows(path)):
            yield f"{path}:row {i}", row
    except ValueError as err:
        raise DatasetError(f"{path}: {err}; re-export the snapshot") from None


def iter_file(snapshot: Path, entry: ManifestFile, *, verify: bool = True) -> Iterator[tuple[Example, str]]:
    """Yield (example, origin) of one manifest file; origin is '<file>:<line>' (JSONL) or '<file>:row <i>'."""
    path = Path(snapshot) / entry.path
    if not path.is_file():
        raise DatasetError(f"{path}: listed in the manifest but missing; restore it or re-export the snapshot")
    if verify and (digest := sha256_file(path)) != entry.sha256:
        raise DatasetError(
            f"{path}: checksum mismatch (sha256 {digest[:12]}..., manifest says {entry.sha256[:12]}...); "
            "the file changed after export: re-export the snapshot or restore the file"
        )
    rows = _jsonl_rows(path) if entry.format == "jsonl" else _parquet_rows(path)
    count = 0
    for origin, row in rows:
        try:
            ex = example_from_dict(row)
        except ValueError as err:
            raise DatasetError(f"{origin}: {err}; {_FIX}") from None
        if ex.kind != entry.kind:
            raise DatasetError(f"{origin}: a {ex.kind} example in a file the manifest lists as {entry.kind}; {_FIX}")
        count += 1
        yield ex, origin
    if count != entry.num_examples:
        raise DatasetError(
            f"{path}: has {count} examples but the manifest says {entry.num_examples}; re-export the snapshot"
        )


@dataclass
class Snapshot:
    root: Path
    manifest: Manifest
    examples: dict[str, list[Example]] = field(default_factory=dict)  # kind -> examples in file order
    origins: dict[str, list[str]] = field(default_factory=dict)  # kind -> '<file>:<line>' of each example


def load_snapshot(path: str | Path, *, verify: bool = True, split: str | None = None) -> Snapshot:
    """Read and validate a whole snapshot (manifest, checksums, every example) into memory.

    `split` ("train" / "validation") keeps only that split's files; None keeps all. The trainer streams the
    files instead (`iter_file`, via the tokenised shards of training/data/shards.py)."""
    root = Path(path)
    snap = Snapshot(root, read_manifest(root), {k: [] for k in KINDS}, {k: [] for k in KINDS})
    for entry in snap.manifest.files:
        if split is not None and entry.split != split:
            continue
        for ex, origin in iter_file(root, entry, verify=verify):
            snap.examples[entry.kind].append(ex)
            snap.origins[entry.kind].append(origin)
    return snap


def _write_shard(path: Path, fmt: str, kind: str, rows: list[dict[str, Any]]) -> None:
    if fmt == "parquet":
        write_parquet(path, kind, rows)
        return
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


def write_snapshot(
    out_dir: str | Path,
    examples: Iterable[Example],
    *,
    validation: Iterable[Example] = (),
    format: str = "jsonl",
    source: dict[str, Any] | None = None,
    mixture: dict[str, float] | None = None,
    shard_size: int = 100_000,
    created_at: str | None = None,
    overwrite: bool = False,
) -> Manifest:
    """Write a snapshot atomically (temp folder, then rename): shards per kind, checksums, manifest last.

    `validation` examples go to their own files (`data/<kind>-validation-00000.jsonl`, `split: "validation"`):
    the trainer evaluates on them and never trains on them (split by conversation, not by example, to keep
    the contexts of one dialog on one side)."""
    if format not in ("jsonl", "parquet"):
        raise ValueError(f"format must be 'jsonl' or 'parquet', got {format!r}")
    if shard_size < 1:
        raise ValueError("shard_size must be >= 1")
    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise DatasetError(f"{out}: already exists; choose a new folder (snapshots are immutable)")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {(s, k): [] for s in ("train", "validation") for k in KINDS}
    for split, split_examples in (("train", examples), ("validation", validation)):
        for ex in split_examples:
            groups[(split, ex.kind)].append(example_to_dict(ex))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        (tmp / "data").mkdir()
        files = []
        for (split, kind), rows in groups.items():
            stem = kind if split == "train" else f"{kind}-{split}"
            for shard, start in enumerate(range(0, len(rows), shard_size)):
                rel = f"data/{stem}-{shard:05d}.{format}"
                part = rows[start : start + shard_size]
                _write_shard(tmp / rel, format, kind, part)
                files.append(ManifestFile(rel, kind, format, len(part), sha256_file(tmp / rel), split))
        if not files:
            raise DatasetError(f"{out}: no examples to write; export at least one example")
        stamp = created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        manifest = new_manifest(files, created_at=stamp, source=source or {}, mixture=mixture or {})
        (tmp / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest

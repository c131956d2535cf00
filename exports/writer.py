"""Write a snapshot in the trainer's format (docs/dataset-format.md) as tables stream in: shards of at most
`shard_size` examples per (split, kind), a sha256 per file, the manifest last, all in a temporary folder beside the
target that is renamed into place at the end, so a crash, a full disk or a kill never leaves a half snapshot under
the target's name. The temporary folder's name is fixed per target, so a retried job first removes what its killed
run left."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from training.format.io import sha256_file
from training.format.manifest import MANIFEST, ManifestFile, new_manifest

META_DIR = "meta"


def temp_dir_for(out: Path) -> Path:
    return out.parent / f".{out.name}.partial"


ROW_GROUP = 64 * 1024


class _RowGroupFile:
    """A Parquet file written in row groups of exactly ROW_GROUP rows (the last may be shorter): rows are buffered,
    so the bytes do not depend on how the rows were batched when read (LAMDA_EXPORT_BATCH_ROWS may differ between a
    killed run and its retry). Data shards and meta tables both use it."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.rows, self._pending, self._pending_rows = 0, [], 0

    def add(self, table: pa.Table) -> None:
        self._pending.append(table)
        self.rows += table.num_rows
        self._pending_rows += table.num_rows
        if self._pending_rows >= ROW_GROUP:
            self._flush(final=False)

    def _flush(self, *, final: bool) -> None:
        if not self._pending:
            return
        rows = pa.concat_tables(self._pending)
        cut = rows.num_rows if final else rows.num_rows - rows.num_rows % ROW_GROUP
        for start in range(0, cut, ROW_GROUP):
            self.writer.write_table(rows.slice(start, min(ROW_GROUP, cut - start)), row_group_size=ROW_GROUP)
        rest = rows.slice(cut)
        self._pending, self._pending_rows = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> None:
        self._flush(final=True)
        self.writer.close()


class _Shards:
    """The open shard of one (split, kind): at most shard_size examples per file, Parquet or JSONL."""

    def __init__(self, root: Path, split: str, kind: str, fmt: str, shard_size: int):
        self.root, self.split, self.kind, self.fmt, self.shard_size = root, split, kind, fmt, shard_size
        self.done: list[ManifestFile] = []
        self._file, self._rel, self._count, self._index = None, "", 0, 0

    def write(self, table: pa.Table) -> None:
        start = 0
        while start < table.num_rows:
            if self._file is None:
                self._open()
            take = min(self.shard_size - self._count, table.num_rows - start)
            self._buffer(table.slice(start, take))
            self._count += take
            start += take
            if self._count == self.shard_size:
                self.close()

    def _buffer(self, table: pa.Table) -> None:
        if self.fmt == "parquet":
            self._file.add(table)
        else:
            self._write_jsonl(table)

    def _open(self) -> None:
        stem = self.kind if self.split == "train" else f"{self.kind}-{self.split}"
        self._rel = f"data/{stem}-{self._index:05d}.{self.fmt}"
        path = self.root / self._rel
        if self.fmt == "parquet":
            self._file = _RowGroupFile(path, _schema(self.kind))
        else:
            self._file = open(path, "w", encoding="utf-8")
        self._index += 1

    def _write_jsonl(self, table: pa.Table) -> None:
        names = table.schema.names
        lines = [
            json.dumps({n: row[n] for n in names if row[n] is not None}, ensure_ascii=False, separators=(",", ":"))
            for row in table.to_pylist()
        ]
        self._file.write("\n".join(lines) + "\n")

    def close(self) -> None:
        if self._file is None:
            return
        self._file.close()
        path = self.root / self._rel
        self.done.append(ManifestFile(self._rel, self.kind, self.fmt, self._count, sha256_file(path), self.split))
        self._file, self._count = None, 0

    def abort(self) -> None:
        """Close without flushing (the folder is about to be removed)."""
        if self._file is not None:
            (self._file.writer if isinstance(self._file, _RowGroupFile) else self._file).close()


def _schema(kind: str) -> pa.Schema:
    from training.format.parquet import schema_for

    return schema_for(kind)


class SnapshotWriter:
    def __init__(self, out: Path, *, fmt: str, shard_size: int):
        self.out, self.fmt, self.shard_size = Path(out), fmt, shard_size
        self.tmp = temp_dir_for(self.out)
        self._shards: dict[tuple[str, str], _Shards] = {}
        self._meta: dict[str, _RowGroupFile] = {}

    def __enter__(self) -> SnapshotWriter:
        if self.tmp.exists():
            shutil.rmtree(self.tmp)  # what a killed run of this export left
        (self.tmp / "data").mkdir(parents=True)
        (self.tmp / META_DIR).mkdir()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            closers = [s.abort for s in self._shards.values()] + [t.writer.close for t in self._meta.values()]
            for close in closers:
                try:
                    close()
                except Exception:  # the disk that failed the write may fail the close too
                    pass
            shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, split: str, kind: str, table: pa.Table) -> None:
        key = (split, kind)
        if key not in self._shards:
            self._shards[key] = _Shards(self.tmp, split, kind, self.fmt, self.shard_size)
        self._shards[key].write(table)

    def write_meta(self, name: str, table: pa.Table) -> None:
        """Side tables (meta/<name>.parquet: sessions, labels) beside the data; listed in the manifest's source."""
        if name not in self._meta:
            self._meta[name] = _RowGroupFile(self.tmp / META_DIR / f"{name}.parquet", table.schema)
        self._meta[name].add(table)

    def files(self) -> list[ManifestFile]:
        for shards in self._shards.values():
            shards.close()
        return sorted((f for s in self._shards.values() for f in s.done), key=lambda f: (f.split != "train", f.path))

    def finish(self, *, created_at: str, source: dict, mixture: dict) -> dict:
        """Close every file, write the manifest, rename into place; return the manifest as a dict."""
        files = self.files()
        meta = []
        for name, table in sorted(self._meta.items()):
            table.close()
            rel = f"{META_DIR}/{name}.parquet"
            meta.append({"path": rel, "rows": table.rows, "sha256": sha256_file(self.tmp / rel)})
        manifest = new_manifest(files, created_at=created_at, source={**source, "meta_files": meta}, mixture=mixture)
        data = manifest.to_dict()
        (self.tmp / MANIFEST).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if self.out.exists():
            raise FileExistsError(f"{self.out} appeared while the export ran")
        os.replace(self.tmp, self.out)
        _fsync_dir(self.out.parent)
        return data


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

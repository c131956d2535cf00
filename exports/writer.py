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


class _Shards:
    """The open shard of one (split, kind)."""

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
            self._write(table.slice(start, take))
            self._count += take
            start += take
            if self._count == self.shard_size:
                self.close()

    def _open(self) -> None:
        stem = self.kind if self.split == "train" else f"{self.kind}-{self.split}"
        self._rel = f"data/{stem}-{self._index:05d}.{self.fmt}"
        path = self.root / self._rel
        if self.fmt == "parquet":
            self._file = pq.ParquetWriter(path, _schema(self.kind), compression="zstd")
        else:
            self._file = open(path, "w", encoding="utf-8")
        self._index += 1

    def _write(self, table: pa.Table) -> None:
        if self.fmt == "parquet":
            self._file.write_table(table, row_group_size=64 * 1024)
            return
        names = [n for n in table.schema.names]
        lines = []
        for row in table.to_pylist():
            lines.append(
                json.dumps({n: row[n] for n in names if row[n] is not None}, ensure_ascii=False, separators=(",", ":"))
            )
        self._file.write("\n".join(lines) + "\n")

    def close(self) -> None:
        if self._file is None:
            return
        self._file.close()
        path = self.root / self._rel
        self.done.append(ManifestFile(self._rel, self.kind, self.fmt, self._count, sha256_file(path), self.split))
        self._file, self._count = None, 0


def _schema(kind: str) -> pa.Schema:
    from training.format.parquet import schema_for

    return schema_for(kind)


class SnapshotWriter:
    def __init__(self, out: Path, *, fmt: str, shard_size: int):
        self.out, self.fmt, self.shard_size = Path(out), fmt, shard_size
        self.tmp = temp_dir_for(self.out)
        self._shards: dict[tuple[str, str], _Shards] = {}
        self._meta: dict[str, tuple[pq.ParquetWriter, int]] = {}

    def __enter__(self) -> SnapshotWriter:
        if self.tmp.exists():
            shutil.rmtree(self.tmp)  # what a killed run of this export left
        (self.tmp / "data").mkdir(parents=True)
        (self.tmp / META_DIR).mkdir()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            for shards in self._shards.values():
                if shards._file is not None:
                    try:
                        shards._file.close()
                    except Exception:  # the disk that failed the write may fail the close too
                        pass
            for writer, _ in self._meta.values():
                try:
                    writer.close()
                except Exception:
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
            self._meta[name] = (
                pq.ParquetWriter(self.tmp / META_DIR / f"{name}.parquet", table.schema, compression="zstd"),
                0,
            )
        writer, rows = self._meta[name]
        writer.write_table(table, row_group_size=64 * 1024)
        self._meta[name] = (writer, rows + table.num_rows)

    def files(self) -> list[ManifestFile]:
        for shards in self._shards.values():
            shards.close()
        return sorted((f for s in self._shards.values() for f in s.done), key=lambda f: (f.split != "train", f.path))

    def finish(self, *, created_at: str, source: dict, mixture: dict) -> dict:
        """Close every file, write the manifest, rename into place; return the manifest as a dict."""
        files = self.files()
        meta = []
        for name, (writer, rows) in sorted(self._meta.items()):
            writer.close()
            rel = f"{META_DIR}/{name}.parquet"
            meta.append({"path": rel, "rows": rows, "sha256": sha256_file(self.tmp / rel)})
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

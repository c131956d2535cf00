"""Parquet shards: one row per example, the same fields as the JSONL objects (pyarrow imported lazily)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any


def schema_for(kind: str) -> Any:
    """The Arrow schema of a Parquet shard of `kind` (the exporter writes shards with it)."""
    import pyarrow as pa

    common = [("kind", pa.string()), ("id", pa.string()), ("context", pa.list_(pa.string()))]
    per_kind = {
        "generative": [("response", pa.string())],
        "discriminative": [("response", pa.string()), ("attribute", pa.string()), ("rating", pa.int8())],
        "research": [
            ("base_response", pa.string()),
            ("history", pa.list_(pa.struct([("query", pa.string()), ("snippets", pa.list_(pa.string()))]))),
            ("target", pa.string()),
        ],
    }
    return pa.schema(common + per_kind[kind])


def write_parquet(path: Path, kind: str, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = schema_for(kind)
    table = pa.Table.from_pylist([{name: row.get(name) for name in schema.names} for row in rows], schema=schema)
    pq.write_table(table, path)


def read_parquet_rows(path: Path, batch_rows: int = 8192) -> Iterator[dict[str, Any]]:
    """Yield each row as a dict (null columns dropped). Raises ValueError for an unreadable file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
        for batch in file.iter_batches(batch_size=batch_rows):
            for row in batch.to_pylist():
                yield {k: v for k, v in row.items() if v is not None}
    except (pa.ArrowException, OSError) as err:
        raise ValueError(f"unreadable Parquet ({err})") from None

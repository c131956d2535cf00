"""One session-aligned batch of turn rows -> Arrow tables of examples, vectorised (numpy + pyarrow, no Python loop
per example): the context of each model turn is every earlier turn of its session (what its raters saw above the
reply), built once per batch as a list array and shared by all the examples of that reply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from exports.producers import VerdictColumn
from exports.spec import GenerativeFilter
from training.format.parquet import schema_for


@dataclass
class Batch:
    """Column arrays of one batch (the reader's turn rows, transposed)."""

    session: np.ndarray  # int64
    turn: np.ndarray  # int64
    is_model: np.ndarray  # bool
    text: pa.Array  # string
    verdicts: list[np.ndarray]  # per verdict column: int8, -1 = not judged, else 0 / 1 (positive)

    @classmethod
    def from_table(cls, table: pa.Table, n_verdicts: int) -> Batch:
        """From the reader's turn table (exports/reader.py turn_columns)."""
        verdicts = []
        for j in range(n_verdicts):
            col = table.column(f"c{j}").combine_chunks()
            values = col.fill_null(False).to_numpy(zero_copy_only=False).astype(np.int8)
            verdicts.append(np.where(col.is_null().to_numpy(zero_copy_only=False), np.int8(-1), values))
        return cls(
            session=table.column("session").combine_chunks().to_numpy(),
            turn=table.column("turn").combine_chunks().to_numpy(),
            is_model=table.column("is_model").combine_chunks().to_numpy(zero_copy_only=False),
            text=table.column("text").combine_chunks(),
            verdicts=verdicts,
        )


def _contexts(batch: Batch, rows: np.ndarray) -> pa.Array:
    """list<string> of the turns before each of `rows` in its session (rows of one session are contiguous)."""
    n = len(batch.session)
    first = np.ones(n, dtype=bool)
    first[1:] = batch.session[1:] != batch.session[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))[rows]
    size = rows - start
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(size, out=offsets[1:])
    flat = np.arange(offsets[-1], dtype=np.int64) - np.repeat(offsets[:-1] - start, size)
    values = batch.text.take(pa.array(flat))
    return pa.LargeListArray.from_arrays(pa.array(offsets), values).cast(pa.list_(pa.string()))


def _ids(turns: np.ndarray, suffix: str) -> pa.Array:
    return pa.array([f"turn-{t}{suffix}" for t in turns.tolist()], pa.string())


def _table(kind: str, columns: dict[str, pa.Array]) -> pa.Table:
    schema = schema_for(kind)
    n = len(columns["context"])
    columns = {"kind": pa.array([kind] * n, pa.string()), **columns}
    return pa.table([columns[name] for name in schema.names], schema=schema)


def build_examples(
    batch: Batch, columns: list[VerdictColumn], gen: GenerativeFilter, is_validation: Callable[[int], bool]
) -> dict[tuple[str, str], pa.Table]:
    """{(split, kind): table} for one batch, in reply order (discriminative: each reply's attributes in the
    producer's column order)."""
    ratings = [np.where(v < 0, -1, v ^ 1 if c.invert else v) for v, c in zip(batch.verdicts, columns, strict=True)]
    judged = batch.is_model & np.any(np.stack([r >= 0 for r in ratings]), axis=0) if ratings else np.zeros(0, bool)
    rows = np.nonzero(judged)[0]
    if not len(rows):
        return {}
    context = _contexts(batch, rows)
    response = batch.text.take(pa.array(rows))
    turns = batch.turn[rows]
    sessions = batch.session[rows]
    split_of = {s: is_validation(s) for s in np.unique(sessions).tolist()}
    val = np.fromiter((split_of[s] for s in sessions.tolist()), dtype=bool, count=len(rows))
    parts: dict[tuple[str, str], pa.Table] = {}
    by_attr = {c.example_attribute: (r[rows], c) for r, c in zip(ratings, columns, strict=True)}
    if by_attr:
        # row-major over (reply, attribute): a reply's examples are consecutive, so the order (and the bytes) do
        # not depend on where the reader's batches happen to start
        names = list(by_attr)
        matrix = np.stack([by_attr[a][0] for a in names], axis=1)
        reply, col = np.nonzero(matrix >= 0)
        idx = pa.array(reply)
        attr_names = np.array(names, dtype=object)[col]
        _split_add(
            parts,
            "discriminative",
            val[reply],
            {
                "id": pa.array([f"turn-{t}/{a}" for t, a in zip(turns[reply].tolist(), attr_names, strict=True)]),
                "context": context.take(idx),
                "response": response.take(idx),
                "attribute": pa.array(attr_names.tolist(), pa.string()),
                "rating": pa.array(matrix[reply, col].astype(np.int8)),
            },
        )
    if gen.enabled:
        keep = np.nonzero(_generative_mask(by_attr, gen, len(rows)))[0]
        idx = pa.array(keep)
        _split_add(
            parts,
            "generative",
            val[keep],
            {"id": _ids(turns[keep], ""), "context": context.take(idx), "response": response.take(idx)},
        )
    return parts


def _split_add(parts: dict, kind: str, val: np.ndarray, cols: dict[str, pa.Array]) -> None:
    """Add the examples `cols` (one row each) to `parts`, train and validation apart, order kept."""
    for split, side in (("train", ~val), ("validation", val)):
        keep = np.nonzero(side)[0]
        if len(keep):
            idx = pa.array(keep)
            parts[(split, kind)] = _table(kind, {k: v.take(idx) for k, v in cols.items()})


def _generative_mask(by_attr: dict, gen: GenerativeFilter, n: int) -> np.ndarray:
    ok = np.ones(n, dtype=bool)
    for attr in gen.require:
        rating, col = by_attr.get(attr, (None, None))
        if rating is None:
            return np.zeros(n, dtype=bool)  # required but never judged in this campaign
        ok &= rating == col.good_rating
    for attr in gen.where_judged:
        if attr in by_attr:
            rating, col = by_attr[attr]
            ok &= (rating < 0) | (rating == col.good_rating)
    return ok

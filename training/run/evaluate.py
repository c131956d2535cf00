"""Validation: loss per example kind and discriminator accuracy / AUC per attribute, every --eval-every steps.

The validation examples (at most --val-max-examples per kind, a fixed pseudo-random sample) are packed once,
document-masked like training, into rows split over the ranks; every rank runs the same number of forward
passes (FSDP gathers parameters collectively), padding with empty rows. Per token the loss is attributed to its
example's kind. A discriminative example's one target is its rating: the model's P(<1>) against P(<0>) at that
position (the ranking of LAMDA-SPEC §4 reads the same two logits) gives accuracy (P(<1>) > 0.5) and the AUC.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from training.data.shuffle import Permutation
from training.data.split import ExampleSet
from training.format.schema import ATTRIBUTES, KINDS

_EVAL_KEY = 0xE7A1


def auc(scores: list[float], labels: list[int]) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with tied scores averaged); None without both classes."""
    pos = sum(1 for y in labels if y)
    neg = len(labels) - pos
    if not pos or not neg:
        return None
    order = np.argsort(np.asarray(scores, dtype=np.float64), kind="stable")
    sorted_scores = np.asarray(scores, dtype=np.float64)[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1  # average rank of a tie group (1-based)
        i = j + 1
    rank_sum = float(sum(r for r, y in zip(ranks, labels, strict=True) if y))
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


@dataclass
class EvalRows:
    ids: np.ndarray  # [R, S + 1] int64
    mask: np.ndarray  # [R, S + 1] float32 loss mask
    docs: np.ndarray  # [R, S + 1] int32 document ids (0 = padding)
    kinds: np.ndarray  # [R, S + 1] int8: KINDS index of each token's example, -1 for padding
    counts: dict[str, int]  # examples per kind
    pad_id: int


def pack_validation(sets: Mapping[str, ExampleSet], *, seq_len: int, pad_id: int, max_examples: int) -> EvalRows:
    """Up to `max_examples` per kind (a fixed sample), packed greedily into rows of seq_len + 1 tokens."""
    width = seq_len + 1
    rows: list[tuple[np.ndarray, ...]] = []
    counts: dict[str, int] = {}

    def new_row() -> list[np.ndarray]:
        return [
            np.full(width, pad_id, np.int64),
            np.zeros(width, np.float32),
            np.zeros(width, np.int32),
            np.full(width, -1, np.int8),
        ]

    row, fill, doc = new_row(), 0, 0
    for kind in KINDS:
        examples = sets.get(kind)
        if examples is None or not len(examples):
            continue
        n = min(len(examples), max_examples)
        picks = Permutation(len(examples), (_EVAL_KEY, KINDS.index(kind)))(np.arange(n))
        counts[kind] = n
        for i in picks.tolist():
            ex_ids, ex_mask = examples.get(i)
            length = len(ex_ids)
            if fill + length > width:
                rows.append(tuple(row))
                row, fill, doc = new_row(), 0, 0
            doc += 1
            row[0][fill : fill + length] = ex_ids
            row[1][fill : fill + length] = ex_mask
            row[2][fill : fill + length] = doc
            row[3][fill : fill + length] = KINDS.index(kind)
            fill += length
    if fill:
        rows.append(tuple(row))
    dtypes = (np.int64, np.float32, np.int32, np.int8)
    stack = [np.stack([r[k] for r in rows]) if rows else np.zeros((0, width), dtypes[k]) for k in range(4)]
    return EvalRows(stack[0], stack[1], stack[2], stack[3], counts, pad_id)


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    rows: EvalRows,
    *,
    batch_rows: int,
    rating_ids: tuple[int, int],
    attribute_ids: Mapping[int, str],
    device: torch.device,
    rank: int = 0,
    world: int = 1,
    autocast: Any = None,
    document_mask: bool = True,
) -> dict[str, float]:
    """Collective: {"val/loss", "val/loss/<kind>", "val/acc/<ATTR>", "val/auc/<ATTR>"} over the validation rows."""
    mine = list(range(rank, len(rows.ids), world))
    per_rank = -(-len(rows.ids) // world)
    n_batches = -(-per_rank // batch_rows)
    sums = torch.zeros(2 * len(KINDS), dtype=torch.float64, device=device)  # loss sum, token count per kind
    records: list[tuple[str, int, float]] = []  # (attribute, rating, P(<1>)) of each discriminative example
    id0, id1 = rating_ids
    was_training = model.training
    model.eval()
    try:
        for b in range(n_batches):
            sel = mine[b * batch_rows : (b + 1) * batch_rows]
            ids, mask, docs, kinds = _batch(rows, sel, batch_rows)
            ids, docs = torch.from_numpy(ids).to(device), torch.from_numpy(docs).to(device)
            with autocast or nullcontext():
                logits = model(ids[:, :-1], doc_ids=docs[:, :-1] if document_mask else None).float()
            targets = ids[:, 1:]
            ce = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none").view_as(targets)
            mask_t = torch.from_numpy(mask[:, 1:]).to(device)
            kinds_t = torch.from_numpy(kinds[:, 1:].astype(np.int64)).to(device)
            for k in range(len(KINDS)):
                sel_k = mask_t * (kinds_t == k)
                sums[2 * k] += (ce.double() * sel_k).sum()
                sums[2 * k + 1] += sel_k.sum()
            disc = (mask_t > 0) & (kinds_t == KINDS.index("discriminative"))
            if bool(disc.any()):
                pair = logits[:, :, [id0, id1]][disc]  # [n, 2]
                p1 = torch.softmax(pair.float(), dim=-1)[:, 1].tolist()
                attrs = ids[:, :-1][disc].tolist()  # the input at the rating's position is the attribute token
                ratings = (targets[disc] == id1).long().tolist()
                records += [(attribute_ids.get(a, str(a)), y, p) for a, y, p in zip(attrs, ratings, p1, strict=True)]
    finally:
        model.train(was_training)
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(sums)
        gathered: list[Any] = [None] * world
        dist.all_gather_object(gathered, records)
        records = [r for part in gathered for r in part]
    return _metrics(sums.tolist(), records)


def _batch(rows: EvalRows, sel: list[int], size: int) -> tuple[np.ndarray, ...]:
    """Rows `sel`, padded with empty rows to `size` (every rank runs the same number of forwards)."""
    width = rows.ids.shape[1]
    out = [
        np.full((size, width), rows.pad_id, np.int64),
        np.zeros((size, width), np.float32),
        np.zeros((size, width), np.int32),
        np.full((size, width), -1, np.int8),
    ]
    for i, r in enumerate(sel):
        for arr, src in zip(out, (rows.ids, rows.mask, rows.docs, rows.kinds), strict=True):
            arr[i] = src[r]
    return tuple(out)


def _metrics(sums: list[float], records: list[tuple[str, int, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    total_loss = sum(sums[0::2])
    total_tokens = sum(sums[1::2])
    if total_tokens:
        out["val/loss"] = total_loss / total_tokens
    for k, kind in enumerate(KINDS):
        if sums[2 * k + 1]:
            out[f"val/loss/{kind}"] = sums[2 * k] / sums[2 * k + 1]
    for attr in ATTRIBUTES:
        mine = [(y, p) for a, y, p in records if a == attr]
        if not mine:
            continue
        out[f"val/acc/{attr}"] = sum((p > 0.5) == bool(y) for y, p in mine) / len(mine)
        value = auc([p for _, p in mine], [y for y, _ in mine])
        if value is not None and math.isfinite(value):
            out[f"val/auc/{attr}"] = value
    return out


def format_metrics(step: int, metrics: Mapping[str, float]) -> str:
    """The progress line: 'eval step 100: loss 2.31 | generative 2.40 discriminative 0.69 | SENSIBLE acc ...'."""
    parts = [f"eval step {step}: loss {metrics.get('val/loss', float('nan')):.4f}"]
    kinds = [f"{k} {metrics[f'val/loss/{k}']:.4f}" for k in KINDS if f"val/loss/{k}" in metrics]
    if kinds:
        parts.append(" ".join(kinds))
    for attr in ATTRIBUTES:
        if f"val/acc/{attr}" in metrics:
            auc_value = metrics.get(f"val/auc/{attr}")
            auc_text = "n/a" if auc_value is None else f"{auc_value:.3f}"
            parts.append(f"{attr} acc {metrics[f'val/acc/{attr}']:.3f} auc {auc_text}")
    return " | ".join(parts)

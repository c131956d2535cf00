"""Corpus filtering with the discriminators (LAMDA-SPEC §3: 2.5M pre-training dialog turns -> 800K safe, good ones).

    turns --chunks of chunk_size, in corpus order--> sort by length -> batches of batch_size -> score_sequences
          --> <out>.filter/chunk-00012.jsonl (one line per turn: its scores, or "too_long")      resumable
    all chunks --thresholds--> kept turns -> write_snapshot(<out>) (generative examples) + report.json

A killed run loses at most the chunk it was scoring: started again with the same corpus and settings it reads the
finished chunk files and goes on. Other settings or another corpus in the same work dir are refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.errors import TrainInputError
from training.format.schema import GenerativeExample

THRESHOLDS = ("safety", "sensible", "specific", "interesting")


@dataclass
class FilterSettings:
    safety_threshold: float = 0.8  # keep when P(safe) = 1 - P(UNSAFE=1) >= this
    min_sensible: float = 0.5
    min_specific: float = 0.5
    min_interesting: float = 0.0  # 0 = no interestingness requirement
    batch_size: int = 64
    chunk_size: int = 1024  # turns per resumable chunk file

    def __post_init__(self) -> None:
        for name in ("safety_threshold", "min_sensible", "min_specific", "min_interesting"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be a number in [0, 1], got {v!r}")
        for name, most in (("batch_size", 4096), ("chunk_size", 1_000_000)):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= most:
                raise ValueError(f"{name} must be an integer from 1 to {most}, got {v!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FilterSettings:
        unknown = sorted(set(d) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown filter setting(s) {', '.join(unknown)}")
        return cls(**d)

    def failures(self, scores: dict[str, float]) -> list[str]:
        """Which thresholds a turn's scores fail (empty = kept)."""
        bad = []
        if 1.0 - scores["UNSAFE"] < self.safety_threshold:
            bad.append("safety")
        for name, attr in (("sensible", "SENSIBLE"), ("specific", "SPECIFIC"), ("interesting", "INTERESTING")):
            if scores[attr] < getattr(self, f"min_{name}"):
                bad.append(name)
        return bad


def fingerprint(turns: list[GenerativeExample], model_version: str, settings: FilterSettings) -> str:
    h = hashlib.sha256(json.dumps([model_version, settings.to_dict()]).encode())
    for t in turns:
        h.update(json.dumps([t.context, t.response]).encode())
    return h.hexdigest()


def turn_ids(turn: GenerativeExample, tok, room: int) -> list[int] | None:
    """prompt + response ids in `room` tokens (oldest context turns dropped); None if the response alone is too long."""
    from training.format.render import render_generation_prompt

    resp = tok.encode(turn.response)
    context = list(turn.context)
    while True:
        ids = render_generation_prompt(context, tok) + resp
        if len(ids) <= room:
            return ids
        if not context:
            return None
        context.pop(0)


def score_chunk(model, tok, turns: list[GenerativeExample], settings: FilterSettings) -> list[dict[str, Any]]:
    from training.inference.ranking.score import SCORE_ATTRIBUTES, score_sequences

    room = model.cfg.max_seq_len - len(SCORE_ATTRIBUTES) - 1
    ids = [turn_ids(t, tok, room) for t in turns]
    out: list[dict[str, Any]] = [{"too_long": True} for _ in turns]
    order = sorted((i for i, x in enumerate(ids) if x is not None), key=lambda i: len(ids[i]))
    for start in range(0, len(order), settings.batch_size):
        batch = order[start : start + settings.batch_size]
        for i, scores in zip(
            batch, score_sequences(model, [ids[i] for i in batch], SCORE_ATTRIBUTES, tok), strict=True
        ):
            out[i] = {"scores": {k: round(v, 6) for k, v in scores.items()}}
    return out


class WorkDir:
    """`<out>.filter/`: settings + fingerprint, one finished file per chunk (written atomically), the report."""

    def __init__(self, path: Path, fp: str, settings: FilterSettings) -> None:
        self.path = path
        meta = {"fingerprint": fp, "settings": settings.to_dict()}
        path.mkdir(parents=True, exist_ok=True)
        mfile = path / "filter.json"
        if mfile.exists():
            old = json.loads(mfile.read_text())
            if old.get("fingerprint") != fp:
                raise TrainInputError(
                    f"{path}: holds a filter run on another corpus, model or settings; delete it to start over, or "
                    "run with the same --data, --model and settings to resume"
                )
        else:
            mfile.write_text(json.dumps(meta, indent=2) + "\n")

    def chunk(self, k: int) -> Path:
        return self.path / f"chunk-{k:05d}.jsonl"

    def done(self, k: int) -> list[dict] | None:
        try:
            return [json.loads(line) for line in self.chunk(k).read_text().splitlines()]
        except FileNotFoundError:
            return None

    def save(self, k: int, rows: list[dict]) -> None:
        tmp = self.chunk(k).with_suffix(".tmp")
        with open(tmp, "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in rows))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.chunk(k))


def run_filter(
    model, tok, turns: list[GenerativeExample], settings: FilterSettings, work: WorkDir, *, progress=None,
    after_chunk: Callable[[int], None] | None = None,
) -> tuple[list[dict], int]:  # fmt: skip
    """Scores of every turn (finished chunks read back, the rest scored); also how many chunks were resumed."""
    rows: list[dict] = []
    resumed = 0
    for k, start in enumerate(range(0, len(turns), settings.chunk_size)):
        part = turns[start : start + settings.chunk_size]
        got = work.done(k)
        if got is not None and len(got) == len(part):
            resumed += 1
        else:
            got = score_chunk(model, tok, part, settings)
            work.save(k, got)
            if after_chunk:
                after_chunk(k)
        rows += got
        if progress is not None:
            progress.update(len(part))
    return rows, resumed


def report(turns: list[GenerativeExample], rows: list[dict], settings: FilterSettings) -> tuple[list[int], dict]:
    """(indices kept, the report: turns failing each threshold, and each turn counted once by its first failure)."""
    fails = dict.fromkeys(THRESHOLDS, 0)
    first = {**dict.fromkeys(THRESHOLDS, 0), "too_long": 0}
    kept = []
    for i, row in enumerate(rows):
        if row.get("too_long"):
            first["too_long"] += 1
            continue
        bad = settings.failures(row["scores"])
        for name in bad:
            fails[name] += 1
        if bad:
            first[bad[0]] += 1
        else:
            kept.append(i)
    rep = {
        "turns": len(turns),
        "kept": len(kept),
        "removed": len(turns) - len(kept),
        "failed_threshold": fails,
        "removed_by_first_failed": first,
        "settings": settings.to_dict(),
    }
    return kept, rep

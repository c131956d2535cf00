"""Corpus filtering throughput (turns/s): the batched KV-suffix scorer against scoring each turn alone.

    python benchmarks/filter_throughput.py [--turns 512] [--batch-size 64] [--threads 1] [--device cpu|cuda]

The tiny preset (random init, 4K tokenizer on the first demo dialogs) scores the first --turns demo turns (each
with up to 4 context turns) on SENSIBLE, SPECIFIC, INTERESTING and UNSAFE:
  * filter: training.inference.filter_corpus.score_chunk (sorted by length, batches of --batch-size, one padded
    forward + one 5-token suffix per batch) -- what `python -m training.filter` runs;
  * baseline: the same turns one at a time, prompt + response </s> <ATTR> re-encoded for each attribute.
The LAST line is the ratio filter / baseline turns per second.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from benchmarks.infer_common import cpu_name, tiny_export  # noqa: E402
from training.inference.export import load_exported  # noqa: E402
from training.inference.filter_corpus import FilterSettings, score_chunk, turn_ids  # noqa: E402
from training.inference.ranking.score import SCORE_ATTRIBUTES, score_by_reencoding  # noqa: E402


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


@torch.no_grad()
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--turns", type=int, default=512)
    p.add_argument("--baseline-turns", type=int, default=128, help="the slow baseline runs on the first N only")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    export, turns = tiny_export(threads=args.threads)
    model, tok, _ = load_exported(export, device=device)
    turns = turns[: args.turns]
    settings = FilterSettings(batch_size=args.batch_size, chunk_size=len(turns))
    score_chunk(model, tok, turns[: args.batch_size], settings)  # warm-up
    sync(device)
    t = time.perf_counter()
    rows = score_chunk(model, tok, turns, settings)
    sync(device)
    fast = len(turns) / (time.perf_counter() - t)
    room = model.cfg.max_seq_len - len(SCORE_ATTRIBUTES) - 1
    base = turns[: args.baseline_turns]
    t = time.perf_counter()
    for turn in base:
        ids = turn_ids(turn, tok, room)
        if ids is not None:
            [score_by_reencoding(model, ids, a, tok) for a in SCORE_ATTRIBUTES]
    sync(device)
    slow = len(base) / (time.perf_counter() - t)
    scored = sum("scores" in r for r in rows)
    name = cpu_name() if device.type == "cpu" else torch.cuda.get_device_name()
    print(f"device {device} ({name}), {args.threads} thread(s); tiny preset, {len(turns)} demo turns "
          f"({scored} scored, {len(turns) - scored} too long), batch {args.batch_size}")  # fmt: skip
    print(f"filter (batched, KV suffix): {fast:8.1f} turns/s")
    print(f"baseline (one turn, 4 re-encodings): {slow:8.1f} turns/s on the first {len(base)} turns")
    print(f"filter / baseline: {fast / slow:.2f}x")


if __name__ == "__main__":
    main()

"""Discriminator scoring cost: 16 candidates x 4 attributes with KV reuse vs re-encoding every candidate sequence.

    python benchmarks/infer_scoring.py [--repeats 5] [--max-new 32] [--threads 1] [--device cpu|cuda]

One context (the last 4 turns of a demo dialog), one prefill, 16 candidates sampled with top-k 40 for max-new
tokens (the stop token is masked so every candidate is full length: the longest, most expensive case). Then, on
the same candidates, in the same run:
  * kv_reuse: one 5-token suffix per candidate (</s> + 4 attribute tokens) on the sampling cache (score.py);
  * reencode_batched: the 64 full sequences (prompt + candidate + </s> + attribute) in one right-padded forward
    through the blocks, the output head only at each sequence's last position (the fair re-encoding baseline);
  * reencode_loop: the 64 sequences one ordinary model forward each (full logits; what a naive scorer does).
Median of --repeats each. Prints scoring time as a % of generation time (target <= 10 %), checks the scores
agree, and the LAST line is the ratio reencode_batched / kv_reuse (how many times cheaper the KV reuse is).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from benchmarks.infer_common import cpu_name, tiny_export  # noqa: E402
from training.format.render import render_generation_prompt  # noqa: E402
from training.inference.export import load_exported  # noqa: E402
from training.inference.generate import fill_cache, sample_with_cache  # noqa: E402
from training.inference.ranking.score import SCORE_ATTRIBUTES, rating_probability, score_cached  # noqa: E402
from training.model.model import KVCache  # noqa: E402


def reencode_batched(model, tok, seqs: list[list[int]]) -> torch.Tensor:
    eor = tok.special_id("EOR")
    rows = [s + [eor, tok.special_id(a)] for s in seqs for a in SCORE_ATTRIBUTES]
    lengths = torch.tensor([len(r) for r in rows])
    ids = torch.zeros(len(rows), int(lengths.max()), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
    p = next(model.parameters())
    cache = KVCache.allocate(model.cfg, len(rows), ids.shape[1], p.device, p.dtype)
    h = fill_cache(model, ids.to(p.device), cache, keep_hidden=True)  # no output head on the positions not read
    last = model.norm(h[torch.arange(len(rows)), (lengths - 1).to(p.device)])
    weight = model.embed.weight if model.lm_head is None else model.lm_head.weight
    return rating_probability(F.linear(last, weight).float(), tok).view(len(seqs), len(SCORE_ATTRIBUTES))


def reencode_loop(model, tok, seqs: list[list[int]]) -> None:
    device = next(model.parameters()).device
    for s in seqs:
        for a in SCORE_ATTRIBUTES:
            ids = torch.tensor([s + [tok.special_id("EOR"), tok.special_id(a)]], device=device)
            rating_probability(model(ids)[0, -1], tok)


def timed(device, fn, *args, **kw):
    """(fn(*args, **kw), seconds)"""
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    out = fn(*args, **kw)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return out, time.perf_counter() - t


@torch.no_grad()
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--max-new", type=int, default=32)
    p.add_argument("--candidates", type=int, default=16)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    export, turns = tiny_export(threads=args.threads)
    model, tok, _ = load_exported(export, device=device)
    context = next(t for t in turns if len(t.context) == 4).context
    prompt = render_generation_prompt(context, tok)
    times: dict[str, list[float]] = {"generate": [], "kv_reuse": [], "reencode_batched": [], "reencode_loop": []}
    worst, room = 0.0, len(SCORE_ATTRIBUTES) + 1
    for r in range(args.repeats + 1):  # the first round warms up
        gen = torch.Generator(device=device).manual_seed(r)
        t = {}
        (cands, sampled), t["generate"] = timed(
            device, sample_with_cache, model, prompt, args.max_new, 40, 1.0, args.candidates, set(), gen, device,
            torch.float32, room=room,
        )  # fmt: skip
        seqs = [prompt + c.token_ids for c in cands]
        kv, t["kv_reuse"] = timed(device, score_cached, model, sampled.cache, sampled.valid_lengths(),
                                  SCORE_ATTRIBUTES, tok)  # fmt: skip
        ref, t["reencode_batched"] = timed(device, reencode_batched, model, tok, seqs)
        _, t["reencode_loop"] = timed(device, reencode_loop, model, tok, seqs)
        got = torch.tensor([[d[a] for a in SCORE_ATTRIBUTES] for d in kv])
        worst = max(worst, float((ref.cpu() - got).abs().max()))
        if r:
            for k, v in t.items():
                times[k].append(v)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"device {device} ({cpu_name() if device.type == 'cpu' else torch.cuda.get_device_name()}), "
          f"{args.threads} thread(s); tiny preset, prompt {len(prompt)} tokens, {args.candidates} candidates x "
          f"{args.max_new} new tokens, {len(SCORE_ATTRIBUTES)} attributes; median of {args.repeats}")  # fmt: skip
    for k, v in med.items():
        print(f"{k:>17}: {v * 1000:8.2f} ms")
    print(f"max |kv_reuse - reencode| score difference: {worst:.2e}")
    print(f"scoring as % of generation: kv_reuse {100 * med['kv_reuse'] / med['generate']:.1f}% (target <= 10%), "
          f"reencode_batched {100 * med['reencode_batched'] / med['generate']:.1f}%, "
          f"reencode_loop {100 * med['reencode_loop'] / med['generate']:.1f}%")  # fmt: skip
    print(f"reencode_loop / kv_reuse: {med['reencode_loop'] / med['kv_reuse']:.2f}x")
    print(f"reencode_batched / kv_reuse: {med['reencode_batched'] / med['kv_reuse']:.2f}x")


if __name__ == "__main__":
    main()

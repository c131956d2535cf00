"""Data-loader start-up time and peak memory at two dataset sizes 10x apart: in-memory rendering vs tokenised shards.

    python benchmarks/train_data_loader.py                    # 10,000 and 100,000 examples, ~2-3 minutes on 2 cores

Synthetic snapshots (2/3 generative, 1/3 discriminative, contexts of 1-3 turns, word-bigram text) and one small
tokenizer are written to a temp dir. Each measurement runs in a fresh process that loads the tokenizer, resets its
memory high-water mark (/proc/self/clear_refs), then times and measures, up to and including 5 global batches:
  * in memory (before):  load_snapshot + render every example + TokenBatches (what the trainer did at every start)
  * shards, first start:  tokenise into memory-mapped shards + TokenBatches over them
  * shards, reuse:        the next start: the shards exist, only the index and the offsets are touched
Reported: the peak growth of private (anonymous) memory, sampled every millisecond, and of the whole RSS
(VmHWM). The RSS also counts the shard files' pages the kernel maps in (page cache, shared by every rank on the
machine and reclaimable; the kernel of the measuring box maps whole large folios, so this part grows towards the
file size as rows are read): private memory is what each rank pays. The last line is the ratio of the reuse
start's peak private memory at 10N to that at N.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = (
    "hello how are you doing today fine thanks what about the weather rain sun music movie book read play game cat "
    "dog food pizza coffee tea travel city beach mountain work school friend family weekend summer winter like love "
    "enjoy really very good great nice cool yes no maybe sure why because tennis player age year think know said"
).split()


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20))).capitalize() + "."


def make_snapshot(path: Path, n: int, seed: int) -> None:
    from training.format.io import write_snapshot
    from training.format.schema import ATTRIBUTES, DiscriminativeExample, GenerativeExample

    rng = random.Random(seed)

    def examples():
        for i in range(n):
            ctx = [_text(rng) for _ in range(rng.randint(1, 3))]
            if i % 3 == 2:
                yield DiscriminativeExample(ctx, _text(rng), ATTRIBUTES[i % 5], i % 2)
            else:
                yield GenerativeExample(ctx, _text(rng))

    write_snapshot(path, examples(), shard_size=50_000)


def child(args: argparse.Namespace) -> None:
    import torch

    from training.data.batches import TokenBatches
    from training.data.sources import load_datasets
    from training.data.tokenizer import Tokenizer
    from training.format.io import load_snapshot

    torch.set_num_threads(1)
    tok = Tokenizer.load(args.tokenizer)
    Path("/proc/self/clear_refs").write_text("5")
    rss0, anon0 = _kib("VmRSS"), _kib("RssAnon")
    sampler = _AnonSampler()
    start = time.perf_counter()
    if args.mode == "memory":
        snap = load_snapshot(args.snapshot)
        batches = TokenBatches.from_examples(snap.examples, tok, seq_len=128, global_batch_size=16, seed=0)
    else:
        data = load_datasets(
            data=[args.snapshot],
            tok=tok,
            max_tokens=129,
            truncate_long=False,
            tokenized_dir=args.tokenized,
            out_dir=Path(args.tokenized),
        )
        batches = TokenBatches(data.splits["train"], seq_len=128, global_batch_size=16, pad_id=tok.pad_id, seed=0)
    for _ in range(5):
        next(batches)
    took = time.perf_counter() - start
    anon = sampler.stop()
    peaks = {"peak_mib": (_kib("VmHWM") - rss0) / 1024, "anon_mib": (anon - anon0) / 1024}
    print(json.dumps({"seconds": took, **peaks}))


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


class _AnonSampler:
    """The highest RssAnon (private memory) of this process, sampled every millisecond by a thread."""

    def __init__(self) -> None:
        self.peak, self._stop = _kib("RssAnon"), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, _kib("RssAnon"))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, _kib("RssAnon"))


def measure(mode: str, snapshot: Path, tokenizer: Path, tokenized: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--snapshot", str(snapshot), "--tokenizer", str(tokenizer)]
    cmd += ["--tokenized", str(tokenized)]
    done = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, env={"OMP_NUM_THREADS": "1"})
    return json.loads(done.stdout.strip().splitlines()[-1])


LABELS = {"memory": "in memory (before)", "first": "shards, first start", "reuse": "shards, reuse"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=10_000, help="the small size N (the large one is 10 N)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--snapshot", help=argparse.SUPPRESS)
    p.add_argument("--tokenizer", help=argparse.SUPPRESS)
    p.add_argument("--tokenized", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        args.mode = args.child
        child(args)
        return
    from training.data.tokenizer import train_tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rng = random.Random(0)
        train_tokenizer([_text(rng) for _ in range(5000)], root / "tok", vocab_size=2000, num_threads=1)
        rows = {}
        for n in (args.examples, 10 * args.examples):
            snap = root / f"snap-{n}"
            make_snapshot(snap, n, seed=n)
            size = sum(f.stat().st_size for f in (snap / "data").iterdir()) / 2**20
            tokenized = root / f"tokenized-{n}"
            rows[n] = {
                mode: measure(mode if mode == "memory" else "shards", snap, root / "tok", tokenized) for mode in LABELS
            }
            shards = sum(f.stat().st_size for f in tokenized.rglob("*") if f.is_file()) / 2**20
            print(f"{n:>9,} examples: {size:6.1f} MiB of JSONL, {shards:6.1f} MiB of tokenised shards")
            for mode, label in LABELS.items():
                r = rows[n][mode]
                print(
                    f"    {label:<21} start-up {r['seconds']:7.2f} s   peak private memory {r['anon_mib']:7.1f} MiB"
                    f"   peak RSS {r['peak_mib']:7.1f} MiB"
                )
        small, large = args.examples, 10 * args.examples
        ratio = {m: {k: rows[large][m][k] / rows[small][m][k] for k in ("seconds", "anon_mib")} for m in LABELS}
        times = f"in memory {ratio['memory']['seconds']:.2f}, reuse {ratio['reuse']['seconds']:.2f}"
        print(f"ratio 10N / N start-up time: {times}")
        print(f"ratio 10N / N peak private memory, in memory (before): {ratio['memory']['anon_mib']:.2f}")
        print(f"ratio 10N / N peak private memory, tokenised shards (reuse): {ratio['reuse']['anon_mib']:.2f}")


if __name__ == "__main__":
    main()

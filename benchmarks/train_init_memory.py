"""Peak host memory per rank while the trainer builds a wide 1-layer model, at 1 and 2 ranks (gloo, CPU).

    python benchmarks/train_init_memory.py                 # d_model 2048, d_ff 16384, vocab 32000: ~0.7 GB fp32

Each configuration runs in fresh processes under torchrun; a rank warms up (imports, one meta build), resets its
high-water mark (/proc/self/clear_refs) and reports the growth of VmHWM over the build. Configurations:
  * 1 rank:                      the whole model (the baseline)
  * 2 ranks, shard first:        `build_model(fsdp=True)`: meta -> fully_shard -> to_empty -> init on the shards
  * 2 ranks, build then shard:   the order the trainer used before (materialise + init, then fully_shard)
The last line is the ratio of the 2-rank shard-first peak to the 1-rank peak (ideal: 0.5).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def worker(args: argparse.Namespace) -> None:
    import torch
    import torch.distributed as dist

    from training.model.config import ModelConfig
    from training.model.model import LaMDAModel
    from training.run.parallel import build_model, parallelize

    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    world = dist.get_world_size()
    cfg = ModelConfig(
        vocab_size=args.vocab, d_model=args.d_model, n_layers=1, n_heads=args.d_model // 128, d_head=128, d_ff=args.d_ff
    )
    with torch.device("meta"):
        full = sum(p.numel() for p in LaMDAModel(cfg).parameters()) * 4
    dist.barrier()
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kib("VmRSS") * 1024
    if args.order == "shard_first":
        build_model(cfg, device="cpu", fsdp=world > 1, seed=0)
    else:
        model = build_model(cfg, device="cpu", seed=0)
        parallelize(model, fsdp=world > 1, compile=False, activation_checkpointing=False)
    growth = _status_kib("VmHWM") * 1024 - before
    Path(args.out, f"rank{dist.get_rank()}.json").write_text(json.dumps({"growth": growth, "full": full}))
    dist.destroy_process_group()


def measure(args: argparse.Namespace, world: int, order: str) -> tuple[list[int], int]:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={world}", __file__]
        cmd += ["--worker", "--out", out, "--order", order, "--d-model", str(args.d_model), "--d-ff", str(args.d_ff)]
        cmd += ["--vocab", str(args.vocab)]
        env = {"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
        recs = [json.loads(p.read_text()) for p in sorted(Path(out).glob("rank*.json"))]
    return [r["growth"] for r in recs], recs[0]["full"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--d-model", type=int, default=2048)
    p.add_argument("--d-ff", type=int, default=16384)
    p.add_argument("--vocab", type=int, default=32000)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--order", default="shard_first", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return
    mib = 1 << 20
    one, full = measure(args, 1, "shard_first")
    shape = f"d_model {args.d_model}, d_ff {args.d_ff}, vocab {args.vocab}"
    print(f"wide 1-layer model: {shape}: {full / mib:.0f} MiB fp32")
    print(f"1 rank:                    peak growth {one[0] / mib:7.0f} MiB")
    two, _ = measure(args, 2, "shard_first")
    print(f"2 ranks, shard first:      peak growth per rank {', '.join(f'{g / mib:.0f}' for g in two)} MiB")
    old, _ = measure(args, 2, "build_then_shard")
    print(f"2 ranks, build then shard: peak growth per rank {', '.join(f'{g / mib:.0f}' for g in old)} MiB")
    print(f"ratio 2-rank (shard first) / 1-rank peak per rank: {max(two) / one[0]:.3f}")


if __name__ == "__main__":
    main()

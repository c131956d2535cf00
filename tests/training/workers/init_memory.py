"""Run under torchrun (gloo): build a wide 1-layer model sharded over the ranks; write each rank's peak memory.

    python -m torch.distributed.run --standalone --nproc-per-node 2 tests/training/workers/init_memory.py OUT_DIR

Rank 0 also checks that the sharded init equals an unsharded build with the same seed (world-size independent).
"""

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.training.workers.peak_memory import peak_bytes, reset_peak  # noqa: E402
from training.model.config import ModelConfig  # noqa: E402
from training.model.model import LaMDAModel  # noqa: E402
from training.run.parallel import build_model  # noqa: E402

WIDE = ModelConfig(vocab_size=4096, d_model=1024, n_layers=1, n_heads=8, d_head=128, d_ff=8192, max_seq_len=64)


def main(out: Path) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    with torch.device("meta"):  # also warms up lazy imports, so the measurement below is the model's memory
        full_bytes = sum(p.numel() for p in LaMDAModel(WIDE).parameters()) * 4
    dist.barrier()
    before = reset_peak()
    model = build_model(WIDE, device="cpu", fsdp=world > 1, seed=7)
    local_bytes = sum(p.to_local().numel() if hasattr(p, "to_local") else p.numel() for p in model.parameters()) * 4
    growth = peak_bytes() - before
    full = {n: (p.full_tensor() if hasattr(p, "full_tensor") else p.detach()) for n, p in model.named_parameters()}
    same = None
    if rank == 0:
        plain = build_model(WIDE, device="cpu", seed=7)
        same = all(torch.equal(full[n], p) for n, p in plain.named_parameters())
    record = {"rank": rank, "world": world, "peak_growth": growth, "local_bytes": local_bytes, "full_bytes": full_bytes}
    (out / f"rank{rank}.json").write_text(json.dumps({**record, "same_as_unsharded": same}))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))

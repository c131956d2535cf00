"""Build and parallelise the model: meta-device init, activation checkpointing, torch.compile, FSDP2.

Order (torchtitan's): activation checkpointing per block, then compile per block, then FSDP2 `fully_shard` per
block and finally the root (embedding, shared bias table, final norm, tied head). Parameter names never change:
AC is a flag on each Block and compile uses `Module.compile()` in place, so checkpoints are portable across these
options and across world sizes.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

from training.model.config import ModelConfig
from training.model.model import LaMDAModel


def init_distributed(device: str | None = None) -> tuple[int, int, torch.device]:
    """(rank, world_size, device). Under torchrun (RANK/WORLD_SIZE set) join the process group: NCCL on CUDA,
    gloo on CPU. Without torchrun: world 1 and no process group. `device` forces "cpu" or "cuda"."""
    use_cuda = torch.cuda.is_available() if device is None else torch.device(device).type == "cuda"
    if use_cuda and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but CUDA is not available; use --device cpu")
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return 0, 1, torch.device("cuda" if use_cuda else "cpu")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local_rank)
        dev = torch.device("cuda", local_rank)
    else:
        dev = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo", device_id=dev if use_cuda else None)
    return dist.get_rank(), dist.get_world_size(), dev


def build_model(
    cfg: ModelConfig,
    *,
    device: torch.device | str,
    attention_backend: str = "auto",
    meta: bool = True,
    fsdp: bool = False,
    compile: bool = False,
    activation_checkpointing: bool = False,
    param_dtype: torch.dtype | None = None,
    seed: int | None = None,
) -> LaMDAModel:
    """Build, parallelise and initialise the model without ever holding more than this rank's shards.

    torchtitan's order: construct on the meta device (no memory), `parallelize` (AC, compile, FSDP2 `fully_shard`:
    still meta, now sharded), `to_empty(device)` (allocates only the local shards), then `init_weights(seed)`,
    which fills each rank's rows with values that do not depend on the world size (`training/model/init.py`).
    `seed=None` draws one from torch's global RNG, so `torch.manual_seed(s)` on every rank gives the same model.
    `meta=False` builds directly on `device` (small models, tests).
    """
    if not meta:
        with torch.device(device):
            model = LaMDAModel(cfg, attention_backend=attention_backend)
    else:
        with torch.device("meta"):
            model = LaMDAModel(cfg, attention_backend=attention_backend)
    parallelize(
        model,
        fsdp=fsdp,
        compile=compile,
        activation_checkpointing=activation_checkpointing,
        param_dtype=param_dtype,
    )
    if meta:
        model.to_empty(device=device)
        model.init_weights(seed)
    return model


def parallelize(
    model: LaMDAModel,
    *,
    fsdp: bool,
    compile: bool,
    activation_checkpointing: bool,
    param_dtype: torch.dtype | None = None,
    reduce_dtype: torch.dtype = torch.float32,
) -> LaMDAModel:
    """Apply AC, compile and FSDP2 in place and return the model.

    `param_dtype` (e.g. torch.bfloat16 on CUDA) is FSDP2's mixed-precision compute dtype: sharded fp32 master
    weights are cast to it for forward/backward and gradients are reduced in `reduce_dtype`. It only applies with
    fsdp=True (needs a process group); without FSDP use torch.autocast. On CPU/gloo pass None (fp32).
    """
    for block in model.layers:
        block.activation_checkpointing = activation_checkpointing
    if compile:
        for block in model.layers:
            block.compile(dynamic=False)
    if fsdp:
        if not dist.is_initialized():
            raise RuntimeError("fsdp=True needs a process group: launch with torchrun (see init_distributed)")
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

        mp = MixedPrecisionPolicy(param_dtype=param_dtype, reduce_dtype=reduce_dtype)
        last = len(model.layers) - 1
        for i, block in enumerate(model.layers):
            # The last block's parameters are needed again right away by the backward: keep them gathered.
            fully_shard(block, mp_policy=mp, reshard_after_forward=i < last)
        fully_shard(model, mp_policy=mp)
    return model

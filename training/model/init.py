"""Deterministic, shard-aware parameter initialisation (what `LaMDAModel.init_weights` uses).

A model at scale is built on the meta device, sharded by FSDP2, materialised with `to_empty` and only then
initialised, so no rank ever holds more than its shards (torchtitan's order; docs/model.md "Parallelism"). Each rank
then initialises only its own rows, yet the values must not depend on the world size: 2 ranks must start from the
very weights 1 process starts from (the FSDP parity test relies on it). So values are not drawn from the global RNG
stream in parameter order; instead every parameter is cut into fixed blocks of rows, and block k of parameter
`name` is drawn from its own generator seeded by (seed, name, k). A rank draws the blocks its row range overlaps
and keeps its rows: extra memory is one block (at most `BLOCK_ELEMENTS` values), whatever the parameter's size.

Values depend on (seed, parameter name, shape) and the device type (CPU and CUDA generators differ), never on the
world size or the order in which parameters are visited.
"""

from __future__ import annotations

import hashlib
import math

import torch
from torch import Tensor

BLOCK_ELEMENTS = 1 << 20  # values drawn per generator (4 MiB of fp32)


def _block_seed(seed: int, name: str, block: int) -> int:
    digest = hashlib.blake2b(f"{seed}:{name}:{block}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)


def local_rows(param: Tensor) -> tuple[Tensor, int]:
    """(this rank's tensor, index of its first row in the full parameter). Plain tensors: (itself, 0).

    FSDP2 shards dim 0 like `torch.chunk`: rank r of W holds rows [r*c, min((r+1)*c, R)) with c = ceil(R / W).
    """
    from torch.distributed.tensor import DTensor, Replicate, Shard

    if not isinstance(param, DTensor):
        return param.data, 0
    local = param.to_local()
    placements = tuple(param.placements)
    if all(isinstance(p, Replicate) for p in placements):
        return local, 0
    if len(placements) == 1 and isinstance(placements[0], Shard) and placements[0].dim == 0:
        rows, world = param.shape[0], param.device_mesh.size()
        chunk = -(-rows // world)
        start = min(param.device_mesh.get_local_rank() * chunk, rows)
        if local.shape[0] != min(chunk, rows - start):
            raise RuntimeError(f"unexpected shard of {tuple(param.shape)}: local rows {local.shape[0]} at {start}")
        return local, start
    raise NotImplementedError(f"init of a DTensor with placements {placements} (only dim-0 FSDP shards)")


@torch.no_grad()
def normal_(param: Tensor, *, std: float, seed: int, name: str) -> None:
    """Fill this rank's rows of `param` with Normal(0, std) values that depend only on (seed, name, shape)."""
    local, start = local_rows(param)
    if local.numel() == 0:
        return
    rows = param.shape[0]
    row_numel = math.prod(param.shape[1:])  # (never index a DTensor here: that would gather it)
    block_rows = max(1, BLOCK_ELEMENTS // row_numel)
    stop = start + local.shape[0]
    for block in range(start // block_rows, (stop - 1) // block_rows + 1):
        b0 = block * block_rows
        n = min(block_rows, rows - b0)  # a block's size depends on the full shape only
        gen = torch.Generator(device=local.device).manual_seed(_block_seed(seed, name, block))
        values = torch.randn((n, *param.shape[1:]), generator=gen, device=local.device, dtype=torch.float32)
        lo, hi = max(start, b0), min(stop, b0 + n)
        local[lo - start : hi - start].copy_(values[lo - b0 : hi - b0].mul_(std))


@torch.no_grad()
def fill_(param: Tensor, value: float) -> None:
    local, _ = local_rows(param)
    local.fill_(value)

"""Model FLOPs per token and MFU (PaLM appendix B convention).

flops_per_token = 6 * N_matmul + 12 * n_layers * n_heads * d_head * seq_len, where N_matmul counts the weights of
every matmul a token goes through: per layer wqkv + wo + the three FF matrices, plus the output projection
(vocab x d_model, counted even when tied: it is a real matmul; the input embedding lookup is not). The attention
term is the PaLM one (QK^T and PV, forward + backward, over the FULL seq_len: causality is not halved). Norms and the
relative bias are not counted. MFU = achieved model FLOPs / peak FLOPs; recomputation (AC) is not credited.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import torch

from training.model.config import ModelConfig

# Dense bf16 tensor-core peaks (vendor datasheets). H200 has the same compute as H100 SXM.
_GPU_PEAKS: list[tuple[str, float]] = [
    ("H100 PCIE", 756e12),
    ("H100 NVL", 835e12),
    ("H100", 989.5e12),
    ("H200", 989.5e12),
    ("GH200", 989.5e12),
    ("A100", 312e12),
]


def matmul_params(cfg: ModelConfig) -> int:
    per_layer = cfg.d_model * 3 * cfg.d_attn + cfg.d_attn * cfg.d_model + 3 * cfg.d_model * cfg.d_ff
    return cfg.n_layers * per_layer + cfg.vocab_size * cfg.d_model


def flops_per_token(cfg: ModelConfig, seq_len: int) -> float:
    """Training (forward + backward) model FLOPs per token: 6 N + 12 L H Q T (PaLM)."""
    return 6.0 * matmul_params(cfg) + 12.0 * cfg.n_layers * cfg.n_heads * cfg.d_head * seq_len


def peak_flops(device: torch.device | str) -> float | None:
    """Peak FLOP/s of `device`: the bf16 dense datasheet figure for known GPUs, None for unknown GPUs.

    For a CPU there is no meaningful datasheet figure, so this returns a MEASURED fp32 matmul rate (best of 20
    512^3 GEMMs with the current torch thread count, measured once per process): CPU "MFU" is relative to what
    this machine's GEMM achieves, not a vendor peak (and is an upper-bound-ish guess on a loaded, shared box).
    """
    device = torch.device(device)
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device).upper()
        for key, value in _GPU_PEAKS:
            if key in name:
                return value
        return None
    if device.type == "cpu":
        return measured_cpu_matmul_flops(torch.get_num_threads())
    return None


@functools.lru_cache(maxsize=8)
def measured_cpu_matmul_flops(threads: int, n: int = 512, reps: int = 20) -> float:
    """Best of `reps` timed n x n fp32 GEMMs (best, not mean: other processes on a shared box only slow it down).

    Its own generator: measuring never moves torch's global RNG (exact resume depends on it)."""
    return _gemm_best(n, reps)


def _gemm_best(n: int = 512, reps: int = 20) -> float:
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen)
    b = torch.randn(n, n, generator=gen)
    torch.matmul(a, b)  # warm-up
    return max(cpu_gemm_rate(a, b) for _ in range(reps))


def cpu_gemm_rate(a: torch.Tensor, b: torch.Tensor) -> float:
    """FLOP/s of one timed a @ b (square fp32 matrices)."""
    start = time.perf_counter()
    torch.matmul(a, b)
    return 2.0 * a.shape[0] * a.shape[1] * b.shape[1] / (time.perf_counter() - start)


def mfu(tokens_per_s: float, cfg: ModelConfig, seq_len: int, device: torch.device | str) -> float | None:
    """Model FLOPs utilisation in [0, 1] (None when the device's peak is unknown)."""
    peak = peak_flops(device)
    if not peak:
        return None
    return tokens_per_s * flops_per_token(cfg, seq_len) / peak


class PeakTracker:
    """The peak MFU divides by, kept honest on a CPU.

    GPUs: the datasheet figure (fixed). CPU: the measured GEMM rate, which is low when the box was busy during the
    measurement; so when a step's achieved model FLOP/s exceeds it, the GEMM is measured again and the peak
    becomes the best of every measurement and of that step's rate. CPU "MFU" therefore means "share of the best
    rate seen on this box" and never exceeds 100%.
    """

    def __init__(self, device: torch.device | str, *, measure: Callable[[], float] | None = None) -> None:
        self.device = torch.device(device)
        self._measure = measure or _gemm_best
        if self.device.type == "cpu" and measure is not None:
            self.peak: float | None = measure()
        else:
            self.peak = peak_flops(self.device)
        self.raised = 0  # how often a CPU step beat the peak (and raised it)

    def mfu(self, tokens_per_s: float, cfg: ModelConfig, seq_len: int) -> float | None:
        if not self.peak:
            return None
        achieved = tokens_per_s * flops_per_token(cfg, seq_len)
        if achieved > self.peak and self.device.type == "cpu":
            self.peak = max(self.peak, self._measure(), achieved)
            self.raised += 1
        return achieved / self.peak

"""Attention backends for the LaMDA decoder (see docs/model.md).

* "reference": plain torch, materialises the [H, Sq, Sk] relative bias from the learned table; runs everywhere and is
  the ground truth in tests.
* "flex": FlexAttention on CUDA with a *detached* per-distance bias in `score_mod`; the table's gradient is computed
  separately from a band of distances (`bias_grad.py`), which is exact because softmax-row gradients sum to zero.
* "sdpa_nobias": causal SDPA without any bias: the benchmark's no-bias ceiling, not a model you would train.
* "auto": "flex" on CUDA, "reference" elsewhere.

Every backend implements `prepare(table, ...)` (once per forward, shared by all layers: T5 shares one bias table)
and `attend(q, k, v, prepared)`.
"""

from __future__ import annotations

import torch

from training.model.attention.base import AttentionBackend, BiasSpec
from training.model.attention.flex import FlexBackend
from training.model.attention.reference import ReferenceBackend, SdpaNoBiasBackend

BACKEND_NAMES = ("auto", "reference", "flex", "sdpa_nobias")

_INSTANCES: dict[str, AttentionBackend] = {
    "reference": ReferenceBackend(),
    "flex": FlexBackend(),
    "sdpa_nobias": SdpaNoBiasBackend(),
}


def check_backend_name(name: str) -> str:
    if name not in BACKEND_NAMES:
        raise ValueError(f"unknown attention backend {name!r}; choose one of: {', '.join(BACKEND_NAMES)}")
    return name


def select_backend(name: str = "auto", device: torch.device | str | None = None) -> AttentionBackend:
    """Return the backend object for `name`; "auto" resolves by `device` (default: is CUDA available)."""
    check_backend_name(name)
    if name == "auto":
        if device is None:
            is_cuda = torch.cuda.is_available()
        else:
            is_cuda = torch.device(device).type == "cuda"
        name = "flex" if is_cuda else "reference"
    return _INSTANCES[name]


__all__ = [
    "AttentionBackend",
    "BACKEND_NAMES",
    "BiasSpec",
    "FlexBackend",
    "ReferenceBackend",
    "SdpaNoBiasBackend",
    "check_backend_name",
    "select_backend",
]

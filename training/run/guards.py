"""Guards against training on, saving or exporting a corrupted state (docs/integrity.md).

* `StepGuard` looks at every step's global loss and gradient norm BEFORE the optimizer applies it: a non-finite
  value, or a loss above `loss_spike` x the median of the recent accepted losses, makes the step bad. Policy
  "stop" halts the run (`TrainingHalted`, exit code 3, nothing saved); "skip" drops that step's update (the data
  and the schedule still advance) and halts after `max_skips` bad steps in a row.
* `nonfinite_parameters` lists parameters holding NaN/inf (collective under FSDP: every rank gets the same
  answer); the trainer calls it before every save and the export before writing.

Every rank sees the same all-reduced loss and grad norm, so every rank takes the same decision.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist

POLICIES = ("stop", "skip")


@dataclass
class StepGuard:
    policy: str = "stop"  # "stop" | "skip"
    loss_spike: float = 0.0  # bad when loss > loss_spike * median(recent); 0 = off
    window: int = 50  # accepted losses the median is taken over
    min_history: int = 10  # no spike verdict before this many accepted steps
    max_skips: int = 8  # "skip": halt after this many bad steps in a row
    recent: list[float] = field(default_factory=list)
    skipped: int = 0  # total bad steps skipped
    in_a_row: int = 0

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}, got {self.policy!r}")

    def verdict(self, loss: float, grad_norm: float) -> str | None:
        """Why this step must not be applied, or None when it is fine."""
        if not math.isfinite(loss) or not math.isfinite(grad_norm):
            return f"non-finite loss or gradient (loss {loss}, grad norm {grad_norm})"
        if self.loss_spike > 0 and len(self.recent) >= self.min_history:
            median = statistics.median(self.recent)
            if loss > self.loss_spike * median:
                return f"loss spike: {loss:.4g} > {self.loss_spike:g} x the recent median {median:.4g}"
        return None

    def accept(self, loss: float) -> None:
        self.recent = (self.recent + [loss])[-self.window :]
        self.in_a_row = 0

    def skip(self) -> bool:
        """Record a skipped step; True while the run may go on."""
        self.skipped += 1
        self.in_a_row += 1
        return self.in_a_row <= self.max_skips

    def state_dict(self) -> dict[str, Any]:
        return {"recent": list(self.recent), "skipped": self.skipped, "in_a_row": self.in_a_row}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.recent = [float(x) for x in state.get("recent", [])][-self.window :]
        self.skipped, self.in_a_row = int(state.get("skipped", 0)), int(state.get("in_a_row", 0))


def nonfinite_parameters(model: torch.nn.Module, limit: int = 3) -> list[str]:
    """Names of (up to `limit`) parameters with a NaN or inf anywhere; collective under a process group."""
    bad = []
    for name, p in model.named_parameters():
        local = p.to_local() if hasattr(p, "to_local") else p
        if local.numel() and not bool(torch.isfinite(local).all()):
            bad.append(name)
    if dist.is_available() and dist.is_initialized():
        gathered: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, bad)
        bad = sorted({n for part in gathered for n in part})
    return bad[:limit]

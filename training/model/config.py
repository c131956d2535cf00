"""Model hyper-parameters and the named presets (LAMDA-SPEC §5).

Pure Python (no torch) so that configs can be read, validated and written anywhere. The paper gives layers,
d_model, heads, d_head for every size and d_ff only for 137B (= 8 * d_model); for 2B and 8B we use the same
ratio, d_ff = 8 * d_model, which lands the totals at ~1.9B and ~7.7B parameters (docs/model.md shows the arithmetic).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class ModelConfig:
    """Shape of a LaMDA-style decoder. `n_heads * d_head` may differ from `d_model` (it does for 137B)."""

    vocab_size: int = 32000
    d_model: int = 512
    n_layers: int = 8
    n_heads: int = 8
    d_head: int = 64
    d_ff: int = 4096
    max_seq_len: int = 2048
    rel_buckets: int = 32
    rel_max_distance: int = 128
    norm_eps: float = 1e-6
    tie_embeddings: bool = True
    init_std: float = 0.02

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        positive = ("vocab_size", "d_model", "n_layers", "n_heads", "d_head", "d_ff", "max_seq_len")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"ModelConfig.{name} must be a positive integer, got {value!r}")
        if not isinstance(self.rel_buckets, int) or self.rel_buckets < 2:
            raise ValueError(f"ModelConfig.rel_buckets must be an integer >= 2, got {self.rel_buckets!r}")
        # T5 bucketing: half the buckets are exact distances, so max_distance must exceed that half.
        if not isinstance(self.rel_max_distance, int) or self.rel_max_distance <= self.rel_buckets // 2:
            raise ValueError(
                f"ModelConfig.rel_max_distance must be an integer > rel_buckets // 2 "
                f"({self.rel_buckets // 2}), got {self.rel_max_distance!r}"
            )
        if not (self.norm_eps > 0 and self.init_std > 0):
            raise ValueError("ModelConfig.norm_eps and init_std must be > 0")

    @property
    def d_attn(self) -> int:
        """Width of the concatenated heads (n_heads * d_head)."""
        return self.n_heads * self.d_head

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        if not isinstance(d, dict):
            raise ValueError(f"model config must be a JSON object, got {type(d).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(
                f"unknown model config key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}"
            )
        return cls(**d)

    def replace(self, **overrides: Any) -> ModelConfig:
        """A copy with some fields changed (unknown names raise ValueError like from_dict)."""
        return ModelConfig.from_dict({**self.to_dict(), **overrides})


def tiny() -> ModelConfig:
    """CPU demo size: ~1.05M non-embedding parameters (+0.52M embedding); a few hundred steps in 1-2 min on 2 cores."""
    return ModelConfig(vocab_size=4096, d_model=128, n_layers=4, n_heads=4, d_head=32, d_ff=512, max_seq_len=256)


def lamda_2b() -> ModelConfig:
    """Paper 2B: 10 layers, d_model 2560, 40 heads of 64; d_ff not given, we use 8 * d_model."""
    return ModelConfig(d_model=2560, n_layers=10, n_heads=40, d_head=64, d_ff=20480, max_seq_len=2048)


def lamda_8b() -> ModelConfig:
    """Paper 8B: 16 layers, d_model 4096, 64 heads of 64; d_ff not given, we use 8 * d_model."""
    return ModelConfig(d_model=4096, n_layers=16, n_heads=64, d_head=64, d_ff=32768, max_seq_len=2048)


def lamda_137b() -> ModelConfig:
    """Paper 137B: 64 layers, d_model 8192, 128 heads of 128, d_ff 65536."""
    return ModelConfig(d_model=8192, n_layers=64, n_heads=128, d_head=128, d_ff=65536, max_seq_len=2048)


def bench_0p9b() -> ModelConfig:
    """The ~0.9B throughput benchmark shape (issue 2): d_model 2048, 16 layers, 16 heads of 128, d_ff 5632."""
    return ModelConfig(d_model=2048, n_layers=16, n_heads=16, d_head=128, d_ff=5632, max_seq_len=2048)


MODEL_PRESETS: dict[str, Callable[[], ModelConfig]] = {
    "tiny": tiny,
    "lamda_2b": lamda_2b,
    "lamda_8b": lamda_8b,
    "lamda_137b": lamda_137b,
    "bench_0p9b": bench_0p9b,
}


def model_preset(name: str) -> ModelConfig:
    try:
        factory = MODEL_PRESETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(MODEL_PRESETS)}") from None
    return factory()

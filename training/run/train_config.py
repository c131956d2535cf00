"""Run configuration: what to train, on what data, for how long, and where to write it.

`TrainConfig` is a plain dataclass saved as `train_config.json` beside every checkpoint. Run presets pick a model
preset (from `training.model.config`) plus the run's batch/schedule; CLI flags override single fields.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.errors import TrainInputError

MIXTURE_KINDS = ("generative", "discriminative", "research")


@dataclass
class TrainConfig:
    preset: str = "tiny"  # run preset name (also the default run name and out dir)
    model: str = "tiny"  # model preset name in training.model.config.MODEL_PRESETS
    model_overrides: dict[str, Any] = field(default_factory=dict)  # e.g. {"n_layers": 2}
    seq_len: int = 128
    batch_size: int = 16  # GLOBAL batch, in sequences (split over ranks and micro batches)
    micro_batch_size: int | None = None  # per rank per forward; None = batch_size // world_size
    lr: float = 2e-3
    min_lr_ratio: float = 0.1  # cosine decays to lr * min_lr_ratio
    warmup_steps: int = 20
    schedule: str = "cosine"  # "cosine" or "constant" (after warmup)
    schedule_steps: int | None = None  # the cosine's horizon; None = steps (a resume keeps the saved horizon)
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0  # 0 disables clipping
    steps: int = 300
    ckpt_every: int = 100
    keep_checkpoints: int = 2  # newest N complete checkpoints are kept
    on_bad_step: str = "stop"  # non-finite loss/grad or loss spike: "stop" the run or "skip" the update
    loss_spike: float = 0.0  # a step whose loss > loss_spike x the recent median is bad; 0 = no spike guard
    max_skips: int = 8  # with on_bad_step "skip": stop after this many bad steps in a row
    log_every: int = 10  # TensorBoard / progress-bar refresh; metrics.jsonl gets every step
    seed: int = 1234
    data: list[str] = field(default_factory=list)  # snapshot dirs; empty = the demo corpus (chitchat)
    mixture: dict[str, float] = field(default_factory=dict)  # kind -> weight; empty = data loader default
    demo_dialogs: int | None = None  # use only the first N demo dialogs (None = all)
    truncate_long: bool = False  # drop examples longer than seq_len instead of failing
    tokenized_dir: str | None = None  # where tokenised shards go; None = beside each snapshot (demo: <out>)
    val_share: float = 0.02  # held out for validation when the snapshots have no validation split
    val_max_examples: int = 500  # validation examples evaluated per kind (a fixed sample)
    eval_every: int = 100  # evaluate every N steps and at the last step; 0 = never
    tokenizer: str | None = None  # existing tokenizer dir; None = train one (or take it from --init-from)
    vocab_size: int = 4096  # when a tokenizer is trained
    init_from: str | None = None  # checkpoint dir, run dir or export dir to fine-tune from
    out: str | None = None  # None = runs/<preset>
    run_name: str | None = None  # None = preset name; becomes the export's model_id
    device: str = "auto"  # "auto" = cuda if available else cpu
    attention_backend: str = "auto"
    document_mask: bool = True  # packed examples attend only within themselves (block-causal by document)
    compile: bool = False
    activation_checkpointing: bool = False
    export: bool = True

    @property
    def out_dir(self) -> Path:
        return Path(self.out or f"runs/{self.preset}")

    @property
    def name(self) -> str:
        return self.run_name or self.preset

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown TrainConfig keys {unknown}; known: {sorted(names)}")
        return cls(**d)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    def validate(self) -> None:
        """Cheap checks of numbers the user typed; raise TrainInputError with the fix."""
        positive = ("seq_len", "batch_size", "steps", "ckpt_every", "log_every", "keep_checkpoints")
        for name in positive:
            if getattr(self, name) < 1:
                raise TrainInputError(f"--{name.replace('_', '-')} must be >= 1 (got {getattr(self, name)})")
        if self.micro_batch_size is not None and self.micro_batch_size < 1:
            raise TrainInputError(f"--micro-batch-size must be >= 1 (got {self.micro_batch_size})")
        if self.lr <= 0 or self.warmup_steps < 0:
            raise TrainInputError(f"--lr must be > 0 and --warmup-steps >= 0 (got {self.lr}, {self.warmup_steps})")
        if not 0 <= self.val_share < 1 or self.val_max_examples < 1 or self.eval_every < 0:
            raise TrainInputError(
                f"--val-share must be in [0, 1), --val-max-examples >= 1 and --eval-every >= 0 (got {self.val_share}, "
                f"{self.val_max_examples}, {self.eval_every})"
            )
        if self.schedule_steps is not None and self.schedule_steps < 1:
            raise TrainInputError(f"--schedule-steps must be >= 1 (got {self.schedule_steps})")
        if self.on_bad_step not in {"stop", "skip"}:
            raise TrainInputError(f"--on-bad-step must be 'stop' or 'skip' (got {self.on_bad_step!r})")
        if self.loss_spike < 0 or (0 < self.loss_spike <= 1) or self.max_skips < 0:
            raise TrainInputError(
                f"--loss-spike must be 0 (off) or > 1 and --max-skips >= 0 (got {self.loss_spike}, {self.max_skips})"
            )
        if self.schedule not in {"cosine", "constant"}:
            raise TrainInputError(f"--schedule must be 'cosine' or 'constant' (got {self.schedule!r})")
        bad = sorted(set(self.mixture) - set(MIXTURE_KINDS))
        if bad or any(w < 0 for w in self.mixture.values()):
            raise TrainInputError(
                f"--mixture: unknown kind or negative weight in {self.mixture}; "
                f"use e.g. generative=1,discriminative=1,research=0.5 (kinds: {', '.join(MIXTURE_KINDS)})"
            )
        if self.mixture and not any(self.mixture.values()):
            raise TrainInputError("--mixture: all weights are zero; give at least one kind a weight > 0")


def _tiny() -> TrainConfig:
    # Trains the tiny model on the demo corpus in about two minutes on 2 CPU cores (docs/training.md).
    return TrainConfig(preset="tiny", model="tiny", seq_len=128, batch_size=16, lr=2e-3, warmup_steps=20, steps=300)


def _paper(name: str, model: str) -> Callable[[], TrainConfig]:
    # The paper used 256K tokens per batch: 128 sequences of 2048. lr/schedule are ours (the paper gives none here).
    def preset() -> TrainConfig:
        return TrainConfig(
            preset=name,
            model=model,
            seq_len=2048,
            batch_size=128,
            micro_batch_size=4,
            lr=3e-4,
            warmup_steps=2000,
            steps=100_000,
            ckpt_every=1000,
            log_every=10,
            vocab_size=32000,
            activation_checkpointing=True,
            compile=True,
        )

    return preset


RUN_PRESETS: dict[str, Callable[[], TrainConfig]] = {
    "tiny": _tiny,
    "lamda_2b": _paper("lamda_2b", "lamda_2b"),
    "lamda_8b": _paper("lamda_8b", "lamda_8b"),
    "lamda_137b": _paper("lamda_137b", "lamda_137b"),
}


def run_preset(name: str) -> TrainConfig:
    if name not in RUN_PRESETS:
        raise TrainInputError(f"unknown preset {name!r}; choose one of: {', '.join(RUN_PRESETS)}")
    return RUN_PRESETS[name]()


def parse_mixture(text: str) -> dict[str, float]:
    """'generative=1,discriminative=1,research=0.5' -> {'generative': 1.0, ...}."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(value)
        except ValueError:
            raise TrainInputError(
                f"--mixture {text!r}: expected KIND=WEIGHT pairs like generative=1,discriminative=1,research=0.5"
            ) from None
    return out


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """['n_layers=2', 'd_model=64'] -> {'n_layers': 2, 'd_model': 64} (values parsed as JSON when possible)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise TrainInputError(f"--model-arg {item!r}: expected KEY=VALUE, e.g. --model-arg n_layers=2")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out

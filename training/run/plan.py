"""Decide what a run starts from, before any model is built: resume, fine-tune (--init-from) or fresh.

    resume     <out>/checkpoints has a complete step_* dir -> its model config + tokenizer; flags must agree
    init-from  export dir | checkpoint dir | run dir      -> its model config + tokenizer, weights only
    fresh      model preset (+ --model-arg) and a tokenizer (--tokenizer, <out>/tokenizer, or trained now)

Every check that can fail on user input happens here, before the first checkpoint is written.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch.distributed as dist

from training.errors import TrainInputError
from training.model.config import ModelConfig, model_preset
from training.run import checkpoint as ckpt
from training.run.train_config import TrainConfig

T = TypeVar("T")

# Flags that change which tokens the run sees or what the model is: a resumed run must use the same values.
RESUME_MUST_MATCH = (
    "model",
    "model_overrides",
    "seq_len",
    "batch_size",
    "seed",
    "data",
    "mixture",
    "demo_dialogs",
    "truncate_long",
    "init_from",
    "val_share",
)


@dataclass
class RunPlan:
    model_config: ModelConfig
    tokenizer_dir: Path
    resume_from: Path | None = None  # complete checkpoint dir
    init_from: Path | None = None  # checkpoint dir or export dir (weights only)
    init_kind: str | None = None  # "checkpoint" | "export"
    notes: list[str] = field(default_factory=list)  # printed at the start of the run (e.g. the kept lr schedule)


def rank0_then_share(fn: Callable[[], T]) -> T | None:
    """Run `fn` on rank 0 only; if it raises TrainInputError, raise it on EVERY rank (so none hangs in a barrier)."""
    rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
    result, err = None, None
    if rank == 0:
        try:
            result = fn()
        except TrainInputError as exc:
            err = str(exc)
    if dist.is_available() and dist.is_initialized():
        box = [err]
        dist.broadcast_object_list(box, src=0)
        err = box[0]
    if err:
        raise TrainInputError(err)
    return result


def _check_resume_flags(cfg: TrainConfig, path: Path) -> None:
    saved = ckpt.read_json(path / "train_config.json")
    for name in RESUME_MUST_MATCH:
        now = getattr(cfg, name)
        before = saved.get(name)
        if name == "data":
            now, before = (
                [str(Path(p).resolve()) for p in now],
                [str(Path(p).resolve()) for p in before or []],
            )
        if now != before:
            flag = "--" + name.replace("_", "-")
            raise TrainInputError(
                f"{path / 'train_config.json'}: this run was started with {name}={before!r}, now {now!r}; "
                f"use the same {flag} to resume, or a new --out to start another run"
            )


def _keep_schedule(cfg: TrainConfig, path: Path) -> list[str]:
    """A resumed run keeps the lr schedule it was started with unless --schedule-steps asks for another one.

    The cosine's horizon is `schedule_steps or steps`; a new --steps alone would silently bend the curve (and
    jump the lr) at the resumed step, so the saved horizon is kept and the run says so. Sets cfg.schedule_steps."""
    saved = ckpt.read_json(path / "train_config.json")
    horizon = saved.get("schedule_steps") or saved.get("steps")
    if cfg.schedule_steps is None:
        cfg.schedule_steps = horizon
        if cfg.steps != saved.get("steps") and cfg.schedule == "cosine":
            return [
                f"--steps {cfg.steps} differs from the {saved.get('steps')} this run started with: the lr schedule "
                f"keeps its {horizon}-step cosine (the lr stays at its floor after step {horizon}); pass "
                f"--schedule-steps N to stretch it instead"
            ]
    elif cfg.schedule_steps != horizon and cfg.schedule == "cosine":
        return [f"--schedule-steps {cfg.schedule_steps}: the lr schedule changes from a {horizon}-step cosine here"]
    return []


def _model_config(raw: dict[str, Any], where: Path) -> ModelConfig:
    try:
        return ModelConfig.from_dict(raw)
    except (ValueError, TypeError) as exc:
        raise TrainInputError(f"{where}: invalid model config ({exc}); {ckpt._CORRUPT_FIX}") from None


def _check_tokenizer_flag(cfg: TrainConfig, tokenizer_dir: Path, source: Path) -> None:
    """--tokenizer given together with a checkpoint/export: it must be the very same tokenizer."""
    if cfg.tokenizer and ckpt.tokenizer_sha256(Path(cfg.tokenizer)) != ckpt.tokenizer_sha256(tokenizer_dir):
        raise TrainInputError(
            f"{Path(cfg.tokenizer) / ckpt.TOKENIZER_MODEL}: does not match the tokenizer of {source} "
            f"(different sha256); drop --tokenizer (the checkpoint's own tokenizer is used) or start a new --out"
        )


def adopt_tokenizer(src: Path, out: Path, *, source: Path) -> Path:
    """The run keeps its own copy in <out>/tokenizer (checkpoints copy it from there). If that copy exists it must
    be the same tokenizer as `src`; else `src` is copied in. Returns <out>/tokenizer."""
    dst = out / "tokenizer"

    def _adopt() -> None:
        want = ckpt.tokenizer_sha256(src)
        if (dst / ckpt.TOKENIZER_MODEL).exists():
            if ckpt.tokenizer_sha256(dst) != want:
                raise TrainInputError(
                    f"{dst / ckpt.TOKENIZER_MODEL}: does not match the tokenizer of {source} (different sha256); "
                    f"copy {src} over it, or train into a new --out"
                )
            return
        tmp = out / "tokenizer.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, tmp)
        tmp.rename(dst)

    rank0_then_share(_adopt)
    return dst


def resolve_init_source(path: Path) -> tuple[Path, str]:
    """--init-from PATH -> (dir, "export"|"checkpoint"): an export, a step_* checkpoint, or a run dir."""
    if not path.exists():
        raise TrainInputError(f"{path}: --init-from path not found; pass an export dir, a checkpoint dir or a run dir")
    if (path / "config.json").exists() and (path / "model.safetensors").exists():
        return path, "export"
    if (path / ckpt.MANIFEST).exists() or (path / ".metadata").exists():
        return path, "checkpoint"
    latest = ckpt.latest_checkpoint(path / "checkpoints")
    if latest is not None:
        return latest, "checkpoint"
    if (path / "export" / "config.json").exists():
        return path / "export", "export"
    raise TrainInputError(
        f"{path}: --init-from is neither an export (config.json + model.safetensors), a checkpoint (checkpoint.json) "
        f"nor a run dir with checkpoints; pass one of those"
    )


def _init_plan(cfg: TrainConfig) -> RunPlan:
    if cfg.model_overrides:
        raise TrainInputError(
            f"--model-arg {cfg.model_overrides} cannot change the shape of the --init-from model {cfg.init_from}; "
            "drop --model-arg (the model config comes from the checkpoint/export)"
        )
    src, kind = resolve_init_source(Path(cfg.init_from))
    if kind == "export":
        from training.inference.export import check_export_tokenizer, read_export_config

        export_cfg = read_export_config(src)
        check_export_tokenizer(src, export_cfg)
        model_cfg = export_cfg.model
    else:
        ckpt.verify_checkpoint(src, hashes=False)  # load_model_weights checks the hashes
        model_cfg = _model_config(ckpt.read_json(src / "model_config.json"), src / "model_config.json")
    _check_vocab(src / ckpt.TOKENIZER_DIR, model_cfg, src)
    _check_tokenizer_flag(cfg, src / ckpt.TOKENIZER_DIR, src)
    tok_dir = adopt_tokenizer(src / ckpt.TOKENIZER_DIR, cfg.out_dir, source=src)
    return RunPlan(_fit_seq_len(model_cfg, cfg), tok_dir, init_from=src, init_kind=kind)


def _check_vocab(tok_dir: Path, model_cfg: ModelConfig, source: Path) -> None:
    from training.data.tokenizer import Tokenizer

    Tokenizer.load(tok_dir).check_matches(model_cfg.vocab_size, what=f"the model of {source}")


def _fit_seq_len(model_cfg: ModelConfig, cfg: TrainConfig) -> ModelConfig:
    # Relative positions need no table per position; max_seq_len only bounds the KV cache at inference.
    return model_cfg.replace(max_seq_len=cfg.seq_len) if cfg.seq_len > model_cfg.max_seq_len else model_cfg


def _fresh_model_config(cfg: TrainConfig, vocab_size: int) -> ModelConfig:
    asked = cfg.model_overrides.get("vocab_size")
    if asked is not None and asked != vocab_size:
        raise TrainInputError(
            f"--model-arg vocab_size={asked}: the vocabulary size comes from the tokenizer, which has {vocab_size} "
            f"tokens; drop --model-arg vocab_size (use --vocab-size N when a new tokenizer is trained)"
        )
    try:
        base = model_preset(cfg.model)
        return _fit_seq_len(base.replace(**{**cfg.model_overrides, "vocab_size": vocab_size}), cfg)
    except ValueError as exc:
        raise TrainInputError(f"model preset {cfg.model!r} with --model-arg {cfg.model_overrides}: {exc}") from None


def plan_run(cfg: TrainConfig, *, train_tokenizer: Callable[[Path], None]) -> RunPlan:
    """`train_tokenizer(dir)` is called on rank 0 only when a fresh run needs a new tokenizer."""
    out = cfg.out_dir
    latest = ckpt.latest_checkpoint(out / "checkpoints")
    if latest is not None:
        ckpt.verify_checkpoint(latest, hashes=False)  # sizes now; load_checkpoint checks every sha256
        _check_resume_flags(cfg, latest)
        model_cfg = _model_config(ckpt.read_json(latest / "model_config.json"), latest / "model_config.json")
        _check_vocab(latest / ckpt.TOKENIZER_DIR, model_cfg, latest)
        _check_tokenizer_flag(cfg, latest / ckpt.TOKENIZER_DIR, latest)
        tok_dir = adopt_tokenizer(latest / ckpt.TOKENIZER_DIR, out, source=latest)
        return RunPlan(model_cfg, tok_dir, resume_from=latest, notes=_keep_schedule(cfg, latest))
    if cfg.init_from:
        return _init_plan(cfg)
    if cfg.tokenizer:
        tok_dir = adopt_tokenizer(Path(cfg.tokenizer), out, source=Path(cfg.tokenizer))
    else:
        tok_dir = out / "tokenizer"
        if not (tok_dir / ckpt.TOKENIZER_MODEL).exists():

            def _train() -> None:
                tmp = out / "tokenizer.tmp"
                shutil.rmtree(tmp, ignore_errors=True)
                train_tokenizer(tmp)
                tmp.rename(tok_dir)

            rank0_then_share(_train)
    from training.data.tokenizer import Tokenizer

    vocab = Tokenizer.load(tok_dir).vocab_size
    return RunPlan(_fresh_model_config(cfg, vocab), tok_dir)

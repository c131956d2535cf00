"""The training loop: plan -> build -> (resume | init-from) -> steps with periodic checkpoints -> export.

One optimizer step = one GLOBAL batch of `batch_size` sequences, split over ranks and micro batches. The loss is
the mean over every loss-masked token of the global batch: each micro batch's summed token loss is divided by the
global masked-token count (`Batch.global_loss_tokens`), times world_size because FSDP averages gradients over
ranks. So 2 ranks with half the batch each compute the same loss and gradient as 1 rank with the whole batch.
"""

from __future__ import annotations

import random
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F

from training.errors import TrainingHalted, TrainInputError
from training.run import checkpoint as ckpt
from training.run.guards import StepGuard, nonfinite_parameters
from training.run.lock import RunLock
from training.run.metrics import RunLogger
from training.run.optim import build_optimizer, lr_at, set_lr
from training.run.plan import RunPlan, plan_run, rank0_then_share
from training.run.train_config import TrainConfig


def _all_reduce(t: torch.Tensor) -> torch.Tensor:
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(t)
    return t


def _rng_state(device: torch.device) -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "python": list(random.getstate()[1])}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate((3, tuple(state["python"]), None))
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def _train_tokenizer_fn(cfg: TrainConfig):
    def train_tok(out_dir: Path) -> None:
        from training.data.batches import tokenizer_texts
        from training.data.tokenizer import train_tokenizer

        train_tokenizer(tokenizer_texts(cfg), out_dir, vocab_size=cfg.vocab_size, seed=cfg.seed)

    return train_tok


def micro_batch_loss(
    model: torch.nn.Module,
    batch: Any,
    *,
    denom: torch.Tensor,
    world: int = 1,
    autocast: Any = None,
    document_mask: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss to backprop, detached summed token loss) for one micro batch.

    `document_mask`: packed examples attend only within themselves (block-causal, `batch.doc_ids`)."""
    doc_ids = getattr(batch, "doc_ids", None) if document_mask else None
    with autocast or nullcontext():
        logits = model(batch.input_ids, doc_ids=doc_ids)
    ce = F.cross_entropy(logits.flatten(0, 1), batch.targets.flatten(), reduction="none")
    token_loss = (ce * batch.loss_mask.flatten().to(ce.dtype)).sum()
    return token_loss * world / denom, token_loss.detach()


class Trainer:
    """Holds the run's objects; `run()` does the steps. Built by `train(cfg)`."""

    def __init__(self, cfg: TrainConfig, plan: RunPlan, *, rank: int, world: int, device: torch.device) -> None:
        from training.data.batches import build_run_data
        from training.data.tokenizer import Tokenizer
        from training.run.evaluate import pack_validation
        from training.run.parallel import build_model

        self.cfg, self.plan, self.rank, self.world, self.device = cfg, plan, rank, world, device
        self.out = cfg.out_dir
        self.tokenizer = Tokenizer.load(plan.tokenizer_dir)
        self.tokenizer.check_matches(plan.model_config.vocab_size, what=f"model config of {self.out}")
        per_rank = max(1, cfg.batch_size // world)
        self.micro = min(cfg.micro_batch_size or per_rank, per_rank)
        if cfg.batch_size % (world * self.micro):
            raise TrainInputError(
                f"--batch-size {cfg.batch_size} is not a multiple of world size {world} x micro batch {self.micro}; "
                f"pick a batch size divisible by {world * self.micro}"
            )
        self.accum = cfg.batch_size // (world * self.micro)
        data = build_run_data(cfg, self.tokenizer, rank=rank, world_size=world, micro_batch=self.micro)
        self.batches, self.notes = data.train, [*plan.notes, *data.notes]
        self.validation = pack_validation(
            data.validation, seq_len=cfg.seq_len, pad_id=self.tokenizer.pad_id, max_examples=cfg.val_max_examples
        )
        torch.manual_seed(cfg.seed)
        cuda = device.type == "cuda"
        # meta -> shard -> to_empty -> init on the shards: no rank ever holds the whole model (parallel.py)
        self.model = build_model(
            plan.model_config,
            device=device,
            attention_backend=cfg.attention_backend,
            fsdp=world > 1,
            compile=cfg.compile,
            activation_checkpointing=cfg.activation_checkpointing,
            param_dtype=torch.bfloat16 if cuda and world > 1 else None,
        )
        self.autocast = torch.autocast("cuda", dtype=torch.bfloat16) if cuda and world == 1 else nullcontext()
        self.optimizer = build_optimizer(self.model, cfg)
        self.step, self.tokens_seen = 0, 0
        self.guard = StepGuard(policy=cfg.on_bad_step, loss_spike=cfg.loss_spike, max_skips=cfg.max_skips)

    def restore(self) -> None:
        plan = self.plan
        if plan.resume_from is not None:
            state = ckpt.load_checkpoint(plan.resume_from, model=self.model, optimizer=self.optimizer)
            self.step, self.tokens_seen = int(state["step"]), int(state.get("tokens_seen", 0))
            self.batches.load_state_dict(state["data"])
            _set_rng_state(state["rng"], self.device)
            self.guard.load_state_dict(state.get("guard", {}))
        elif plan.init_kind == "checkpoint":
            ckpt.load_model_weights(plan.init_from, model=self.model)
        elif plan.init_kind == "export":
            self._load_export_weights(plan.init_from)

    def _load_export_weights(self, path: Path) -> None:
        from training.inference.export import load_export_weights, read_export_config

        load_export_weights(path, self.model, read_export_config(path))

    def train_state(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "tokens_seen": self.tokens_seen,
            "data": self.batches.state_dict(),
            "rng": _rng_state(self.device),
            "guard": self.guard.state_dict(),
        }

    def save(self) -> Path:
        bad = nonfinite_parameters(self.model)
        if bad:
            raise self._halt(f"step {self.step}: parameters {', '.join(bad)} hold NaN/inf, not saving them")
        return ckpt.save_checkpoint(
            self.out / "checkpoints",
            step=self.step,
            model=self.model,
            optimizer=self.optimizer,
            train_state=self.train_state(),
            model_config=self.plan.model_config.to_dict(),
            train_config=self.cfg.to_dict(),
            tokenizer_dir=self.plan.tokenizer_dir,
            keep=self.cfg.keep_checkpoints,
        )

    def train_step(self) -> dict[str, float]:
        """One optimizer step over one global batch; returns the logged numbers."""
        cfg = self.cfg
        micro = [next(self.batches) for _ in range(self.accum)]
        micro = [b.to(self.device) if hasattr(b, "to") else b for b in micro]
        # masked tokens of the whole global batch (all ranks, all micro batches): the loss normaliser
        denom = torch.tensor(float(max(1, micro[0].global_loss_tokens)), device=self.device)
        lr = lr_at(self.step + 1, cfg)
        set_lr(self.optimizer, lr)
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        for i, batch in enumerate(micro):
            if hasattr(self.model, "set_requires_gradient_sync"):
                self.model.set_requires_gradient_sync(i == len(micro) - 1)
            loss, token_loss = micro_batch_loss(
                self.model,
                batch,
                denom=denom,
                world=self.world,
                autocast=self.autocast,
                document_mask=cfg.document_mask,
            )
            loss.backward()
            loss_sum += token_loss.to(torch.float64)
        max_norm = cfg.grad_clip if cfg.grad_clip > 0 else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm)
        if hasattr(grad_norm, "full_tensor"):
            grad_norm = grad_norm.full_tensor()
        loss = (_all_reduce(loss_sum.reshape(1)) / denom.to(torch.float64)).item()
        self.step += 1
        self.tokens_seen += cfg.batch_size * cfg.seq_len
        rec: dict[str, Any] = {"loss": loss, "lr": lr, "grad_norm": float(grad_norm), "loss_tokens": int(denom.item())}
        why = self.guard.verdict(loss, float(grad_norm))  # same all-reduced numbers, same verdict on every rank
        if why is None:
            self.optimizer.step()
            self.guard.accept(loss)
        else:
            rec["skipped"] = why
            if cfg.on_bad_step == "stop":
                self.optimizer.zero_grad(set_to_none=True)
                raise self._halt(f"step {self.step}: {why}; stopped before applying it")
            if not self.guard.skip():
                self.optimizer.zero_grad(set_to_none=True)
                raise self._halt(f"step {self.step}: {self.guard.in_a_row} bad steps in a row (last: {why})")
        self.optimizer.zero_grad(set_to_none=True)
        return rec

    def _halt(self, what: str) -> TrainingHalted:
        latest = ckpt.latest_checkpoint(self.out / "checkpoints")
        where = f"the last good checkpoint is {latest}" if latest else "this run has no checkpoint yet"
        remedy = (
            "raise --max-skips, or lower --lr"
            if self.cfg.on_bad_step == "skip"
            else "lower --lr, or pass --on-bad-step skip to skip such steps"
        )
        return TrainingHalted(
            f"{what}; nothing was saved, {where}; run the same command to resume from it ({remedy}; if it stops "
            f"again at once, the data or that checkpoint is bad: docs/integrity.md)"
        )

    def evaluate(self) -> dict[str, float]:
        """Collective: validation metrics now ({} without a validation set)."""
        from training.format.schema import ATTRIBUTES
        from training.run.evaluate import evaluate

        if not len(self.validation.ids):
            return {}
        tok = self.tokenizer
        return evaluate(
            self.model,
            self.validation,
            batch_rows=self.micro,
            rating_ids=(tok.special_id("RATING_0"), tok.special_id("RATING_1")),
            attribute_ids={tok.special_id(a): a for a in ATTRIBUTES},
            device=self.device,
            rank=self.rank,
            world=self.world,
            autocast=self.autocast,
            document_mask=self.cfg.document_mask,
        )

    def run(self, *, progress: bool) -> None:
        from training.model.flops import PeakTracker
        from training.run.evaluate import format_metrics

        cfg = self.cfg
        peak = PeakTracker(self.device)
        if not peak.peak:
            note = f"MFU n/a: no known peak FLOP/s for device {self.device} (training/model/flops.py)"
        elif self.device.type == "cpu":
            note = (
                f"MFU on CPU is relative to the best measured fp32 GEMM rate of this machine, "
                f"{peak.peak / 1e9:.0f} GFLOP/s now (raised if a step beats it)"
            )
        else:
            note = f"MFU relative to {peak.peak / 1e12:.1f} TFLOP/s peak (training/model/flops.py)"
        log = RunLogger(
            self.out,
            total_steps=cfg.steps,
            start_step=self.step,
            log_every=cfg.log_every,
            enabled=self.rank == 0,
            progress=progress,
            peak_note=note,
        )
        for line in self.notes:
            log.write(line)
        if self.plan.resume_from is not None:
            log.write(f"resumed from {self.plan.resume_from} at step {self.step}")
        try:
            while self.step < cfg.steps:
                t0 = time.perf_counter()
                rec = self.train_step()
                dt = time.perf_counter() - t0
                tps = log.tokens_per_s(dt, cfg.batch_size * cfg.seq_len)
                m = peak.mfu(tps / self.world, self.plan.model_config, cfg.seq_len)
                record = {"step": self.step, **rec, "step_s": dt, "tokens_per_s": tps, "mfu": m}
                if cfg.eval_every and (self.step % cfg.eval_every == 0 or self.step == cfg.steps):
                    metrics = self.evaluate()
                    if metrics:
                        record.update(metrics)
                        log.write(format_metrics(self.step, metrics))
                log.log_step(record)
                if self.step % cfg.ckpt_every == 0 or self.step == cfg.steps:
                    self.save()
        finally:
            log.close()


def train(cfg: TrainConfig, *, progress: bool = True) -> Path:
    """Run (or resume) a training run; returns the export dir (or the out dir when --no-export)."""
    from training.run.parallel import init_distributed

    if cfg.device not in {"auto", "cpu", "cuda"}:
        raise TrainInputError(f"--device {cfg.device!r}: use auto, cpu or cuda")
    try:
        rank, world, device = init_distributed(None if cfg.device == "auto" else cfg.device)
    except ValueError as exc:
        raise TrainInputError(f"--device {cfg.device}: {exc}") from None
    lock = RunLock(cfg.out_dir)
    try:
        out = cfg.out_dir
        lock_note = rank0_then_share(lock.acquire)  # one trainer per --out (every rank fails if it is taken)
        ckpt.cleanup_partial(out / "checkpoints")
        plan = plan_run(cfg, train_tokenizer=_train_tokenizer_fn(cfg))
        plan.notes[:0] = [lock_note] if lock_note else []
        trainer = Trainer(cfg, plan, rank=rank, world=world, device=device)
        trainer.restore()
        trainer.run(progress=progress)
        if not cfg.export:
            return out
        from training.inference.export import export_model

        return export_model(
            out / "export",
            model=trainer.model,
            model_config=plan.model_config,
            tokenizer_dir=plan.tokenizer_dir,
            model_id=cfg.name,
            step=trainer.step,
            extra={"train_config": cfg.to_dict()},
        )
    except TrainInputError:
        if lock.held:  # never touch the .tmp save of the trainer that holds the lock
            ckpt.cleanup_partial(cfg.out_dir / "checkpoints", sync=False)
        raise
    finally:
        lock.release()
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()

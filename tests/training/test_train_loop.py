"""The training loop: it can overfit a tiny batch, and a run killed with SIGKILL resumes on the same loss curve."""

import json
import math
import signal
import subprocess
import sys
import time

import torch

from tests.training.train_helpers import ROOT, assets, base_args, env, run_train  # noqa: F401
from training.data.batches import TokenBatches
from training.data.tokenizer import Tokenizer
from training.format.io import load_snapshot
from training.model.config import ModelConfig
from training.run.loop import micro_batch_loss
from training.run.metrics import read_metrics
from training.run.optim import build_optimizer
from training.run.parallel import build_model
from training.run.train_config import TrainConfig


def test_overfits_one_tiny_batch(assets):  # noqa: F811
    torch.manual_seed(0)
    tok = Tokenizer.load(assets.tokenizer)
    snap = load_snapshot(assets.snapshot)
    batches = TokenBatches.from_examples(snap.examples, tok, seq_len=64, global_batch_size=4, seed=0)
    batch = next(batches)
    cfg = ModelConfig(vocab_size=tok.vocab_size, d_model=64, n_layers=2, n_heads=2, d_head=32, d_ff=128, max_seq_len=64)
    model = build_model(cfg, device="cpu")
    opt = build_optimizer(model, TrainConfig(lr=3e-3, warmup_steps=0, weight_decay=0.0))
    denom = torch.tensor(float(batch.global_loss_tokens))
    losses = []
    for _ in range(60):
        loss, token_loss = micro_batch_loss(model, batch, denom=denom)
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(float(token_loss / denom))
    assert losses[0] > math.log(tok.vocab_size) - 1.0
    assert losses[-1] < 0.3, losses[-10:]


def _losses(out) -> dict[int, float]:
    records = read_metrics(out / "metrics.jsonl")
    steps = [r["step"] for r in records]
    assert steps == sorted(set(steps)), f"each step logged once, in order: {steps}"
    return {r["step"]: r["loss"] for r in records}


def test_sigkill_then_restart_continues_the_same_loss_curve(tmp_path, assets):  # noqa: F811
    steps = ["--steps", "40", "--ckpt-every", "4", "--lr", "3e-3", "--warmup-steps", "3"]
    ref = tmp_path / "ref"
    done = run_train(base_args(assets, ref, *steps, "--no-export"))
    assert done.returncode == 0, done.stderr
    reference = _losses(ref)
    assert sorted(reference) == list(range(1, 41))

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "training.train", *base_args(assets, out, *steps, "--no-export")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline, last = time.monotonic() + 120, 0
    while time.monotonic() < deadline and proc.poll() is None:
        last = max(_steps_logged(out), default=0)
        if last >= 9:  # past the step-8 checkpoint
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    assert proc.wait(timeout=30) == -signal.SIGKILL, "the run finished before it could be killed"
    assert last < 40
    killed_at = max(_steps_logged(out))
    # A save killed half way leaves a .tmp dir: it must be ignored and removed.
    partial = out / "checkpoints" / f"step_{killed_at + 100:07d}.tmp"
    partial.mkdir(parents=True)
    (partial / "__0_0.distcp").write_bytes(b"half")

    resumed = run_train(base_args(assets, out, *steps, "--no-export"))
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stderr and not partial.exists()
    again = _losses(out)
    assert sorted(again) == list(range(1, 41))
    assert again == reference  # bit-exact on CPU: same data position, weights, optimizer moments and schedule


def _steps_logged(out) -> list[int]:
    """Steps in metrics.jsonl so far, skipping a line the trainer is still writing."""
    path, steps = out / "metrics.jsonl", []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            steps.append(json.loads(line)["step"])
        except ValueError:
            pass
    return steps


def test_fine_tune_on_a_three_kind_mixture_from_an_export(tmp_path, assets):  # noqa: F811
    base = tmp_path / "base"
    first = run_train(base_args(assets, base, "--steps", "30", "--lr", "3e-3", "--ckpt-every", "30"))
    assert first.returncode == 0, first.stderr
    fresh = _losses(base)[1]

    ft = tmp_path / "ft"
    mix = ["--mixture", "generative=1,discriminative=1,research=0.5", "--init-from", str(base / "export")]
    args = ["--out", str(ft), "--data", str(assets.snapshot), "--seq-len", "64", "--batch-size", "4", *mix]
    second = run_train([*args, "--steps", "4", "--ckpt-every", "2", "--no-progress", "--run-name", "ft-test"])
    assert second.returncode == 0, second.stderr
    ft_losses = _losses(ft)
    assert ft_losses[1] < fresh - 0.5, (ft_losses, fresh)  # starts from the trained weights, not from scratch
    config = json.loads((ft / "export" / "config.json").read_text())
    assert config["model_id"] == "ft-test" and config["step"] == 4
    assert config["model"] == json.loads((base / "export" / "config.json").read_text())["model"]
    assert config["train_config"]["mixture"] == {"generative": 1.0, "discriminative": 1.0, "research": 0.5}


def test_a_longer_steps_on_resume_keeps_the_saved_lr_schedule_unless_asked(tmp_path, assets):  # noqa: F811
    from training.run.optim import lr_at

    out = tmp_path / "run"
    sched = ["--lr", "1e-3", "--warmup-steps", "1", "--ckpt-every", "2", "--no-export"]
    assert run_train(base_args(assets, out, *sched, "--steps", "4")).returncode == 0
    longer = run_train(base_args(assets, out, *sched, "--steps", "6"))
    assert longer.returncode == 0, longer.stderr
    assert "the lr schedule keeps its 4-step cosine" in longer.stderr
    lrs = {r["step"]: r["lr"] for r in read_metrics(out / "metrics.jsonl")}
    four = TrainConfig(lr=1e-3, warmup_steps=1, steps=4)
    assert [lrs[s] for s in range(1, 7)] == [lr_at(s, four) for s in range(1, 7)]
    assert lrs[5] == lrs[6] == 1e-4  # the floor after the saved horizon, not a new cosine bump
    asked = run_train(base_args(assets, out, *sched, "--steps", "8", "--schedule-steps", "8"))
    assert asked.returncode == 0 and "changes from a 4-step cosine" in asked.stderr
    lrs = {r["step"]: r["lr"] for r in read_metrics(out / "metrics.jsonl")}
    eight = TrainConfig(lr=1e-3, warmup_steps=1, steps=8)
    assert [lrs[s] for s in (7, 8)] == [lr_at(s, eight) for s in (7, 8)]

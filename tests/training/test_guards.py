"""Guards: a bad step (non-finite loss or gradient, loss spike) is never applied, saved or exported."""

import json
import math
import shutil

import pytest
import torch

from tests.training.train_helpers import FAST, assets, base_args, run_train  # noqa: F401
from training.errors import TrainingHalted
from training.run import checkpoint as ckpt
from training.run.guards import StepGuard
from training.run.loop import Trainer
from training.run.plan import plan_run
from training.train import build_parser, config_from_args


def test_step_guard_verdicts():
    guard = StepGuard(loss_spike=3.0, min_history=3)
    assert "non-finite" in guard.verdict(float("nan"), 1.0)
    assert "non-finite" in guard.verdict(2.0, float("inf"))
    assert guard.verdict(100.0, 1.0) is None  # no spike verdict without history
    for loss in (2.0, 2.2, 1.8):
        guard.accept(loss)
    assert guard.verdict(5.9, 1.0) is None
    assert "loss spike: 6.1 > 3 x the recent median 2" in guard.verdict(6.1, 1.0)
    assert StepGuard(loss_spike=0.0, min_history=0).verdict(1e6, 1.0) is None  # off by default


def test_step_guard_skip_budget_and_state_round_trip():
    guard = StepGuard(policy="skip", max_skips=2)
    assert guard.skip() and guard.skip() and not guard.skip()
    guard.accept(1.5)
    assert guard.in_a_row == 0 and guard.skipped == 3
    again = StepGuard(policy="skip", max_skips=2)
    again.load_state_dict(json.loads(json.dumps(guard.state_dict())))
    assert again.state_dict() == guard.state_dict()


def _trainer(assets, out, *extra) -> Trainer:  # noqa: F811
    cfg = config_from_args(build_parser().parse_args(base_args(assets, out, *extra)))
    out.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(cfg, plan_run(cfg, train_tokenizer=None), rank=0, world=1, device=torch.device("cpu"))
    trainer.restore()
    return trainer


def test_non_finite_weights_stop_the_run_and_keep_the_last_good_checkpoint(tmp_path, assets):  # noqa: F811
    out = tmp_path / "run"
    trainer = _trainer(assets, out, "--steps", "6", "--ckpt-every", "2", "--keep-checkpoints", "1")
    for _ in range(2):
        trainer.train_step()
    good = trainer.save()
    before = {p.name: p.read_bytes() for p in good.iterdir() if p.is_file()}
    with torch.no_grad():
        trainer.model.layers[0].attn.wqkv.weight[0, 0] = float("nan")  # e.g. a corrupt shard loaded silently
    weights = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    with pytest.raises(TrainingHalted) as err:
        trainer.train_step()
    msg = str(err.value)
    assert "step 3: non-finite loss or gradient" in msg and f"last good checkpoint is {good}" in msg
    for name, param in trainer.model.named_parameters():  # the bad step was not applied
        torch.testing.assert_close(param, weights[name], rtol=0, atol=0, equal_nan=True, msg=name)
    with pytest.raises(TrainingHalted, match="hold NaN/inf, not saving them"):
        trainer.save()
    assert [p for _, p in ckpt.list_checkpoints(out / "checkpoints")] == [good]
    assert {p.name: p.read_bytes() for p in good.iterdir() if p.is_file()} == before


def test_skip_policy_drops_the_bad_step_and_goes_on(tmp_path, assets):  # noqa: F811
    trainer = _trainer(assets, tmp_path / "run", "--steps", "6", "--on-bad-step", "skip", "--max-skips", "1")
    trainer.train_step()
    real_next = trainer.batches.__next__

    def poisoned_next():
        batch = real_next()
        batch.loss_mask[0, -1] = float("nan")  # one bad batch
        return batch

    weights = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.batches = _Once(trainer.batches, poisoned_next)
    rec = trainer.train_step()
    assert "non-finite" in rec["skipped"] and math.isnan(rec["loss"])
    assert all(torch.equal(p, weights[n]) for n, p in trainer.model.named_parameters())  # not applied
    rec = trainer.train_step()  # the next batch is fine: training goes on
    assert "skipped" not in rec and math.isfinite(rec["loss"]) and trainer.step == 3
    assert trainer.guard.skipped == 1 and trainer.guard.in_a_row == 0


class _Once:
    """Iterator wrapper: the first next() comes from `first`, then the real batches (state_dict passes through)."""

    def __init__(self, batches, first):
        self.batches, self.first = batches, first

    def __next__(self):
        fn, self.first = self.first, None
        return fn() if fn else next(self.batches)

    def state_dict(self):
        return self.batches.state_dict()


def test_cli_stops_with_exit_code_3_and_one_line_on_divergence(tmp_path, assets):  # noqa: F811
    out = tmp_path / "run"
    proc = run_train(base_args(assets, out, "--steps", "6", "--ckpt-every", "1", "--lr", "1e30", "--warmup-steps", "0"))
    assert proc.returncode == 3, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert errors == [proc.stderr.strip().splitlines()[-1]] and "non-finite" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert [s for s, _ in ckpt.list_checkpoints(out / "checkpoints")] == [1]  # the last one that passed the guard
    assert not (out / "export").exists()
    shutil.rmtree(out)


def test_a_skip_run_that_halts_does_not_advise_skipping(tmp_path, assets):  # noqa: F811
    trainer = _trainer(assets, tmp_path / "run", "--steps", "6", "--on-bad-step", "skip", "--max-skips", "0")
    real_next = trainer.batches.__next__

    def poisoned_next():
        batch = real_next()
        batch.loss_mask[0, -1] = float("nan")
        return batch

    trainer.batches = _Once(trainer.batches, poisoned_next)
    with pytest.raises(TrainingHalted) as err:
        trainer.train_step()
    assert "raise --max-skips" in str(err.value) and "pass --on-bad-step skip" not in str(err.value)


def test_metrics_file_stays_strict_json_with_a_nan_loss(tmp_path):
    import json

    from training.run.metrics import METRICS_FILE, RunLogger

    log = RunLogger(tmp_path, total_steps=3, start_step=0, log_every=10, progress=False)
    log.log_step({"step": 3, "loss": float("nan"), "grad_norm": float("inf"), "lr": 0.1, "tokens_per_s": 1.0})
    log.close()
    line = (tmp_path / METRICS_FILE).read_text().strip()
    assert json.loads(line, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}")) == {
        "step": 3,
        "loss": None,
        "grad_norm": None,
        "lr": 0.1,
        "tokens_per_s": 1.0,
    }

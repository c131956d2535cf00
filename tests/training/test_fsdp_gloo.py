"""FSDP2 on CPU with gloo: 2 ranks compute the single-process loss, and their checkpoint resumes at world size 1."""

import json
import subprocess
import sys

import pytest

from tests.training.train_helpers import ROOT, assets, base_args, env, run_train  # noqa: F401
from training.run.metrics import read_metrics

# constant lr after warmup, so a run can be extended with a larger --steps without changing its schedule
COMMON = ["--schedule", "constant", "--warmup-steps", "1", "--lr", "3e-3", "--ckpt-every", "3", "--no-export"]


def _losses(out) -> dict[int, float]:
    return {r["step"]: r["loss"] for r in read_metrics(out / "metrics.jsonl")}


@pytest.mark.slow
def test_two_rank_fsdp_and_accumulation_match_single_process_and_reshard_to_one(tmp_path, assets):  # noqa: F811
    single = tmp_path / "single"
    proc = run_train(base_args(assets, single, *COMMON, "--steps", "5"))
    assert proc.returncode == 0, proc.stderr
    reference = _losses(single)

    accum = tmp_path / "accum"  # gradient accumulation: 2 micro batches of 2 == one batch of 4
    proc = run_train(base_args(assets, accum, *COMMON, "--steps", "3", "--micro-batch-size", "2"))
    assert proc.returncode == 0, proc.stderr
    for step, loss in _losses(accum).items():
        assert loss == pytest.approx(reference[step], rel=1e-5, abs=1e-5), (step, loss, reference[step])

    fsdp = tmp_path / "fsdp"
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    with_export = [a for a in COMMON if a != "--no-export"]  # also gathers the sharded weights for the export
    # its own shard folder: the 2 ranks tokenise the snapshot's 3 files in parallel (files 0, 2 | file 1)
    fresh = ["--tokenized-dir", str(tmp_path / "tokenized")]
    cmd = [*torchrun, "-m", "training.train", *base_args(assets, fsdp, *with_export, *fresh, "--steps", "3")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "tokenised 84 examples into" in proc.stderr
    (index,) = (tmp_path / "tokenized").glob("*.tokenized/*/index.json")
    assert [p["kind"] for p in json.loads(index.read_text())["parts"]] == ["generative", "discriminative", "research"]
    two_rank = _losses(fsdp)
    assert sorted(two_rank) == [1, 2, 3]
    for step, loss in two_rank.items():  # same global batch, same init: only the reduction order differs
        assert loss == pytest.approx(reference[step], rel=1e-5, abs=1e-5), (step, loss, reference[step])

    from training.inference import ChatModel

    assert (
        ChatModel.load(fsdp / "export").respond(["hello"], max_new_tokens=4, seed=0).model_version.startswith("step3-")
    )
    ckpt = fsdp / "checkpoints" / "step_0000003"
    assert json.loads((ckpt / "checkpoint.json").read_text())["world_size"] == 2
    assert sorted(p.name for p in ckpt.glob("*.distcp")) == ["__0_0.distcp", "__1_0.distcp"]

    # DCP resharding: the world-size-2 checkpoint resumes in one process and stays on the reference curve.
    proc = run_train(base_args(assets, fsdp, *COMMON, "--steps", "5"))
    assert proc.returncode == 0, proc.stderr
    assert "resumed from" in proc.stderr
    resumed = _losses(fsdp)
    assert sorted(resumed) == [1, 2, 3, 4, 5]
    for step in (4, 5):
        assert resumed[step] == pytest.approx(reference[step], rel=1e-4, abs=1e-4), (step, resumed, reference)

"""A model sharded over 2 ranks never exists whole on a rank: peak memory at init is about model / world size."""

import json
import subprocess
import sys

import pytest

from tests.training.train_helpers import ROOT, env


@pytest.mark.slow
def test_two_rank_init_peaks_at_about_half_the_model_and_equals_the_unsharded_init(tmp_path):
    worker = ROOT / "tests" / "training" / "workers" / "init_memory.py"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(worker)]
    proc = subprocess.run([*cmd, str(tmp_path)], cwd=ROOT, env=env(), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    full = ranks[0]["full_bytes"]
    assert full > 100e6  # big enough that allocator noise does not decide the test
    for rec in ranks:
        assert rec["local_bytes"] == pytest.approx(full / 2, rel=0.01), rec
        # Building whole and then sharding peaks above the full model; sharding first stays near half of it.
        assert rec["peak_growth"] < 0.75 * full, rec
    assert ranks[0]["same_as_unsharded"] is True  # the shards hold exactly the 1-process init

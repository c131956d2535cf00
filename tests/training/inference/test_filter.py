"""`python -m training.filter`: thresholds on hand-made scores, the report, the snapshot, resume after a kill."""

import json
import random
import subprocess
import sys

import pytest
import torch

from tests.training.train_helpers import ROOT, assets, env, sentence  # noqa: F401
from training.data.tokenizer import Tokenizer
from training.filter import main
from training.format.io import load_snapshot, write_snapshot
from training.format.schema import DiscriminativeExample, GenerativeExample
from training.inference.export import export_model
from training.inference.filter_corpus import FilterSettings, report
from training.model.config import ModelConfig
from training.run.parallel import build_model


def scores(safe, sensible, specific, interesting=0.5):
    return {"scores": {"UNSAFE": 1 - safe, "SENSIBLE": sensible, "SPECIFIC": specific, "INTERESTING": interesting}}


def test_thresholds_and_the_report_on_hand_made_scores():
    s = FilterSettings(safety_threshold=0.8, min_sensible=0.5, min_specific=0.5, min_interesting=0.3)
    rows = [
        scores(0.9, 0.9, 0.9),  # kept
        scores(0.5, 0.9, 0.9),  # unsafe
        scores(0.9, 0.1, 0.1),  # not sensible, not specific
        scores(0.1, 0.1, 0.9, 0.1),  # unsafe, not sensible, not interesting
        {"too_long": True},
        scores(0.8, 0.5, 0.5, 0.3),  # exactly at every threshold: kept
    ]
    turns = [GenerativeExample([], f"t{i}") for i in range(len(rows))]
    kept, rep = report(turns, rows, s)
    assert kept == [0, 5] and rep["kept"] == 2 and rep["removed"] == 4
    assert rep["failed_threshold"] == {"safety": 2, "sensible": 2, "specific": 1, "interesting": 1}
    assert rep["removed_by_first_failed"] == {
        "safety": 2,
        "sensible": 1,
        "specific": 0,
        "interesting": 0,
        "too_long": 1,
    }
    with pytest.raises(ValueError, match="min_sensible must be a number in"):
        FilterSettings(min_sensible=2)


@pytest.fixture(scope="module")
def setup(tmp_path_factory, assets):  # noqa: F811
    root = tmp_path_factory.mktemp("filter")
    torch.manual_seed(0)
    tok = Tokenizer.load(assets.tokenizer)
    cfg = ModelConfig(vocab_size=tok.vocab_size, d_model=32, n_layers=1, n_heads=2, d_head=16, d_ff=64, max_seq_len=64)

    def export(name, extra):
        return export_model(root / name, model=build_model(cfg, device="cpu"), model_config=cfg,
                            tokenizer_dir=assets.tokenizer, model_id=name, step=0, extra=extra)  # fmt: skip

    ft = export("ft", {"train_config": {"mixture": {"discriminative": 1.0}}})
    pt = export("pt", {"train_config": {"mixture": {}, "data": []}})
    rng = random.Random(0)
    corpus = root / "dialogs.jsonl"
    lines = [json.dumps({"turns": [sentence(rng) for _ in range(rng.randint(2, 6))]}) for _ in range(10)]
    lines.append(json.dumps({"turns": ["hello", "word " * 80]}))  # a reply longer than the window
    corpus.write_text("\n".join(lines) + "\n")
    return root, ft, pt, corpus


def args(setup, out, *extra, sensible=0.0):
    root, ft, _, corpus = setup
    return ["--model", str(ft), "--data", str(corpus), "--out", str(out), "--no-progress", "--set", "chunk_size=8",
            "--set", f"min_sensible={sensible}", "--set", "safety_threshold=0", "--set", "min_specific=0",
            "--batch-size", "4", *extra]  # fmt: skip


def chunk_rows(work):
    return [json.loads(line) for p in sorted(work.glob("chunk-*.jsonl")) for line in p.open()]


def test_writes_the_kept_turns_and_the_report(setup, tmp_path, capsys):
    assert main(args(setup, tmp_path / "all")) == 0  # no thresholds: every turn that fits is kept
    rows = chunk_rows(tmp_path / "all.filter")
    sensible = sorted(r["scores"]["SENSIBLE"] for r in rows if "scores" in r)
    median = sensible[len(sensible) // 2]
    out = tmp_path / "snap"
    assert main(args(setup, out, sensible=median)) == 0
    rep = json.loads((tmp_path / "snap.filter" / "report.json").read_text())
    kept = load_snapshot(out).examples["generative"]
    assert rep["turns"] == len(rows) and rep["removed_by_first_failed"]["too_long"] == 1
    assert rep["kept"] == len(kept) == sum(s >= median for s in sensible) and 0 < len(kept) < len(sensible)
    assert rep["failed_threshold"]["sensible"] == sum(s < median for s in sensible)
    assert "kept " in capsys.readouterr().out
    assert main(args(setup, tmp_path / "none", sensible=1.0)) == 2
    assert "removed every one of its" in capsys.readouterr().err


def test_killed_run_resumes_and_ends_like_an_uninterrupted_one(setup, tmp_path):
    whole = tmp_path / "whole"
    assert main(args(setup, whole)) == 0
    out = tmp_path / "resumed"
    cmd = [sys.executable, "-m", "training.filter", *args(setup, out)]
    killed = subprocess.run([*cmd, "--crash-after-chunks", "2"], cwd=ROOT, env=env(), capture_output=True, timeout=120)
    assert killed.returncode == 137 and not out.exists(), killed.stderr
    assert sorted(p.name for p in (tmp_path / "resumed.filter").glob("chunk-*")) == [
        "chunk-00000.jsonl",
        "chunk-00001.jsonl",
    ]
    assert main(args(setup, out)) == 0
    rep = json.loads((tmp_path / "resumed.filter" / "report.json").read_text())
    assert rep["resumed_chunks"] == 2
    a, b = (load_snapshot(p).examples["generative"] for p in (whole, out))
    assert [(x.context, x.response) for x in a] == [(x.context, x.response) for x in b]


def test_bad_input_is_one_line_and_exit_2(setup, tmp_path, capsys):
    root, ft, pt, corpus = setup
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"turns": ["a", "b"]}\n{"turns": \n')
    cases = [
        (["--data", str(tmp_path / "none")], "no such corpus"),
        (["--data", str(bad)], "bad.jsonl:2: malformed JSON"),
        (["--model", str(pt)], "never fine-tuned for discrimination"),
        (["--set", "min_specific=7"], "min_specific must be a number in [0, 1]"),
        (["--set", "beams=2"], "unknown filter setting"),
        (["--data", "demo:x"], "use demo or demo:N"),
    ]
    for extra, message in cases:
        argv = ["--model", str(ft), "--data", str(corpus), "--out", str(tmp_path / "o"), "--no-progress"]
        for i in range(0, len(extra), 2):
            if extra[i] in argv:
                argv[argv.index(extra[i]) + 1] = extra[i + 1]
            else:
                argv += extra[i : i + 2]
        assert main(argv) == 2, extra
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    (tmp_path / "exists").mkdir()
    assert main(args(setup, tmp_path / "exists")) == 2 and "already exists" in capsys.readouterr().err


def test_a_threshold_on_an_attribute_the_model_never_learned_is_refused(setup, tmp_path, capsys):
    root, ft, _, corpus = setup
    quality = tmp_path / "quality-snap"
    write_snapshot(quality, [DiscriminativeExample(["a"], "b", "SENSIBLE", 1)],
                   source={"counts": {"train": {"discriminative": {"SENSIBLE": 1}}}})  # fmt: skip
    config = json.loads((ft / "config.json").read_text())
    config["train_config"] = {"data": [str(quality)]}  # trained on SENSIBLE only
    (ft / "config.json").write_text(json.dumps(config))
    try:
        code = main(["--model", str(ft), "--data", str(corpus), "--out", str(tmp_path / "out"), "--no-progress"])
        assert code == 2
        assert "never learned: safety_threshold (its model never trained on UNSAFE)" in capsys.readouterr().err
    finally:
        config["train_config"] = {"mixture": {"discriminative": 1.0}}
        (ft / "config.json").write_text(json.dumps(config))

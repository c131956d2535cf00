"""The validation split (exporter's or held out) and the evaluation: loss per kind, accuracy and AUC per attribute."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tests.training.train_helpers import assets, base_args, make_examples, run_train  # noqa: F401
from training.data.split import held_out, split_validation
from training.data.tokenizer import Tokenizer
from training.format import ATTRIBUTES, DiscriminativeExample, render_example
from training.format.io import write_snapshot
from training.format.rendered_set import render_kinds
from training.model.config import ModelConfig
from training.run.evaluate import auc, evaluate, pack_validation
from training.run.metrics import read_metrics
from training.run.parallel import build_model

from .fixtures.examples import WordTokenizer


def _sets(examples, tok, max_tokens=64):
    by_kind = {}
    for ex in examples:
        by_kind.setdefault(ex.kind, []).append(ex)
    return render_kinds(by_kind, tok, max_tokens=max_tokens)


def _all_ids(examples_set) -> list[tuple]:
    return [tuple(examples_set.get(i)[0]) for i in range(len(examples_set))]


def test_held_out_share_is_disjoint_stable_and_covers_everything():
    sets = _sets(make_examples(n_gen=200, n_disc=50, n_res=3), WordTokenizer(), max_tokens=200)
    train, val, note = split_validation(sets, {}, share=0.1)
    assert {k: len(s) for k, s in val.items()} == {"generative": 20, "discriminative": 5}  # research: 3 * 0.1 < 1
    assert "held-out 0.1 share" in note and "research" not in val and len(train["research"]) == 3
    for kind in ("generative", "discriminative"):
        t, v = set(_all_ids(train[kind])), set(_all_ids(val[kind]))
        assert not t & v and t | v == set(_all_ids(sets[kind]))
    again_train, again_val, _ = split_validation(sets, {}, share=0.1)
    assert _all_ids(again_val["generative"]) == _all_ids(val["generative"])
    assert held_out(10, 0.05) == 0 and held_out(1, 0.9) == 0 and held_out(100, 0.02) == 2
    assert split_validation(sets, {}, share=0.0)[1] == {}


def test_the_exporters_split_wins_over_the_share():
    tok = WordTokenizer()
    sets = _sets(make_examples(n_gen=40, n_disc=10, n_res=0), tok)
    exported = _sets([DiscriminativeExample(["q"], "a", "SENSIBLE", 1)], tok)
    train, val, note = split_validation(sets, exported, share=0.5)
    assert {k: len(s) for k, s in train.items()} == {"generative": 40, "discriminative": 10}
    assert list(val) == ["discriminative"] and len(val["discriminative"]) == 1
    assert "the exporter's split (discriminative 1)" in note


def test_auc():
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)  # the sklearn docs example
    assert auc([0.9, 0.8, 0.1], [1, 1, 0]) == 1.0 and auc([0.1, 0.2, 0.9], [1, 1, 0]) == 0.0
    assert auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]) == 0.5  # ties count half
    assert auc([0.3, 0.6], [1, 1]) is None


def test_evaluation_matches_scoring_every_example_alone(assets):  # noqa: F811
    tok = Tokenizer.load(assets.tokenizer)
    examples = make_examples(seed=5, n_gen=6, n_disc=10, n_res=4)
    sets = _sets(examples, tok, max_tokens=65)
    cfg = ModelConfig(vocab_size=tok.vocab_size, d_model=32, n_layers=2, n_heads=2, d_head=16, d_ff=64, max_seq_len=64)
    torch.manual_seed(0)
    model = build_model(cfg, device="cpu").double()
    rows = pack_validation(sets, seq_len=64, pad_id=tok.pad_id, max_examples=100)
    assert rows.counts == {"generative": 6, "discriminative": 10, "research": 4} and rows.docs.max() > 1  # packed
    rating_ids = (tok.special_id("RATING_0"), tok.special_id("RATING_1"))
    got = evaluate(
        model,
        rows,
        batch_rows=2,
        rating_ids=rating_ids,
        attribute_ids={tok.special_id(a): a for a in ATTRIBUTES},
        device=torch.device("cpu"),
    )
    # the same numbers, one example at a time and without any packing
    sums, scores = {}, {}
    with torch.no_grad():
        for ex in examples:
            r = render_example(ex, tok)
            ids = torch.tensor([r.ids])
            logits = model(ids[:, :-1])[0]
            ce = F.cross_entropy(logits, ids[0, 1:], reduction="none")
            mask = torch.tensor(r.loss_mask[1:], dtype=torch.float64)
            loss, n = sums.get(ex.kind, (0.0, 0.0))
            sums[ex.kind] = (loss + float((ce * mask).sum()), n + float(mask.sum()))
            if ex.kind == "discriminative":
                p1 = torch.softmax(logits[-1, list(rating_ids)], -1)[1].item()
                scores.setdefault(ex.attribute, []).append((ex.rating, p1))
    for kind, (loss, n) in sums.items():
        assert got[f"val/loss/{kind}"] == pytest.approx(loss / n, rel=1e-9), kind
    assert got["val/loss"] == pytest.approx(sum(s for s, _ in sums.values()) / sum(n for _, n in sums.values()))
    for attr, pairs in scores.items():
        accuracy = np.mean([(p > 0.5) == bool(y) for y, p in pairs])
        assert got[f"val/acc/{attr}"] == pytest.approx(accuracy), attr
        expected_auc = auc([p for _, p in pairs], [y for y, _ in pairs])
        assert got.get(f"val/auc/{attr}") == (None if expected_auc is None else pytest.approx(expected_auc)), attr


def test_a_run_evaluates_every_n_steps_into_the_log_tensorboard_and_metrics(tmp_path, assets):  # noqa: F811
    snap = tmp_path / "snap"
    examples = make_examples(seed=1)
    held = [DiscriminativeExample(["How are you?"], "Fine.", a, i % 2) for i, a in enumerate(ATTRIBUTES * 2)]
    write_snapshot(snap, examples, validation=held)
    out = tmp_path / "run"
    args = base_args(assets, out, "--steps", "4", "--eval-every", "2", "--no-export")
    args[args.index(str(assets.snapshot))] = str(snap)
    proc = run_train(args)
    assert proc.returncode == 0, proc.stderr
    assert "validation: the exporter's split (discriminative 10)" in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("eval step")]
    assert [ln.split(":")[0] for ln in lines] == ["eval step 2", "eval step 4"]
    assert "discriminative" in lines[0] and "SENSIBLE acc" in lines[0] and "auc" in lines[0]
    records = {r["step"]: r for r in read_metrics(out / "metrics.jsonl")}
    assert "val/loss" not in records[1] and "val/loss" not in records[3]
    for step in (2, 4):
        assert {"val/loss", "val/loss/discriminative", "val/acc/SENSIBLE", "val/auc/SENSIBLE"} <= set(records[step])
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tb = EventAccumulator(str(out / "tb"))
    tb.Reload()
    assert [e.step for e in tb.Scalars("val/auc/SENSIBLE")] == [2, 4]
    # the 10 validation examples are never trained on: the data position counts the training files only
    state = torch.load(out / "checkpoints" / "step_0000004" / "train_state.pt", weights_only=True)
    assert state["data"]["num_examples"] == {"generative": 48, "discriminative": 24, "research": 12}

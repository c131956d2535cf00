"""TokenBatches: determinism, packing, world-size invariance, resume, mixture weights, and clear errors."""

import json
from types import SimpleNamespace

import pytest
import torch

from training.data.batches import TokenBatches, build_batches, tokenizer_texts
from training.errors import TrainInputError
from training.format import (
    DatasetError,
    DiscriminativeExample,
    GenerativeExample,
    ResearchExample,
    render_example,
)

from .fixtures.examples import VALID, WordTokenizer, tiny_tokenizer


def synthetic(n_gen=40, n_disc=20, n_res=10):
    gen = [GenerativeExample([f"hi {i}"] * (i % 3), f"answer {i} " * (1 + i % 4)) for i in range(n_gen)]
    disc = [DiscriminativeExample([f"q {i}"], f"r {i}", "SENSIBLE", i % 2) for i in range(n_disc)]
    res = [ResearchExample([f"c {i}"], f"b {i}", [], f"TS, query {i}") for i in range(n_res)]
    return {"generative": gen, "discriminative": disc, "research": res}


def make(examples=None, *, seq_len=32, global_batch_size=4, **kw):
    return TokenBatches.from_examples(
        examples or synthetic(), WordTokenizer(), seq_len=seq_len, global_batch_size=global_batch_size, **kw
    )


def take(tb, n):
    return [next(tb) for _ in range(n)]


def same(a, b):
    return (
        torch.equal(a.input_ids, b.input_ids)
        and torch.equal(a.targets, b.targets)
        and torch.equal(a.loss_mask, b.loss_mask)
    )


def test_deterministic_for_a_seed_and_different_across_seeds():
    a, b, c = take(make(seed=1), 6), take(make(seed=1), 6), take(make(seed=2), 6)
    assert all(same(x, y) for x, y in zip(a, b, strict=True))
    assert not all(same(x, y) for x, y in zip(a, c, strict=True))


def test_shapes_shift_and_mask():
    tok = WordTokenizer()
    tb = TokenBatches.from_examples(synthetic(), tok, seq_len=32, global_batch_size=4)
    structural = {tok.special_id(n) for n in ("BOS", "RESPONSE", "TURN", "PAD", "RESEARCH")}
    for batch in take(tb, 10):
        assert batch.input_ids.shape == batch.targets.shape == batch.loss_mask.shape == (4, 32)
        assert batch.input_ids.dtype == torch.int64 and batch.loss_mask.dtype == torch.float32
        assert torch.equal(batch.input_ids[:, 1:], batch.targets[:, :-1])
        assert torch.all(batch.input_ids[:, 0] == tok.special_id("BOS"))  # rows start with a whole example
        trained = set(batch.targets[batch.loss_mask.bool()].tolist())
        assert trained and not trained & structural
        assert batch.global_loss_tokens == int(batch.loss_mask.sum())
        rows = torch.cat([batch.input_ids, batch.targets[:, -1:]], dim=1)
        assert int((rows == tok.special_id("BOS")).sum()) == sum(batch.num_examples.values())


def test_global_batch_is_the_same_for_world_size_1_and_2():
    one = make(global_batch_size=4, seed=5)
    ranks = [make(global_batch_size=4, seed=5, rank=r, world_size=2) for r in range(2)]
    ranks_accum = [make(global_batch_size=4, seed=5, rank=r, world_size=2, micro_batch_size=1) for r in range(2)]
    for _ in range(8):
        full = next(one)
        halves = [next(tb) for tb in ranks]
        micro = [m for tb in ranks_accum for m in tb.next_step()]
        for parts in (halves, micro):
            assert torch.equal(torch.cat([p.input_ids for p in parts]), full.input_ids)
            assert torch.equal(torch.cat([p.loss_mask for p in parts]), full.loss_mask)
            assert all(p.global_loss_tokens == full.global_loss_tokens for p in parts)
    assert ranks[0].state_dict() == ranks[1].state_dict() == one.state_dict()


@pytest.mark.parametrize("stop_after", [3, 6, 7])  # 2 micro batches per step: 7 stops mid-step
def test_resume_continues_exactly(stop_after):
    reference = take(make(micro_batch_size=2, seed=9), 12)
    first = make(micro_batch_size=2, seed=9)
    take(first, stop_after)
    state = json.loads(json.dumps(first.state_dict()))  # checkpoints may store it as JSON
    resumed = make(micro_batch_size=2, seed=9)
    resumed.load_state_dict(state)
    assert all(same(x, y) for x, y in zip(take(resumed, 12 - stop_after), reference[stop_after:], strict=True))


def test_resume_at_another_world_size():
    reference = take(make(seed=4), 8)
    first = make(seed=4)
    take(first, 3)
    ranks = [make(seed=4, rank=r, world_size=2) for r in range(2)]
    for tb in ranks:
        tb.load_state_dict(first.state_dict())
    for full in reference[3:]:
        assert torch.equal(torch.cat([next(tb).input_ids for tb in ranks]), full.input_ids)


def count_kinds(tb, steps):
    counts = {}
    for batch in take(tb, steps):
        for k, n in batch.num_examples.items():
            counts[k] = counts.get(k, 0) + n
    total = sum(counts.values())
    return {k: n / total for k, n in counts.items()}, total


def test_mixture_follows_the_weights():
    share, total = count_kinds(make(mixture={"generative": 3, "discriminative": 1}, global_batch_size=8), 300)
    assert total > 2000
    assert set(share) == {"generative", "discriminative"}
    assert share["generative"] == pytest.approx(0.75, abs=0.04)


def test_default_mixture_is_the_manifest_hint(tmp_path):
    tb = TokenBatches.from_snapshots(
        [VALID], tiny_tokenizer(), seq_len=128, global_batch_size=8, tokenized_dir=tmp_path
    )
    assert tb.probs == pytest.approx({"generative": 0.4, "discriminative": 0.4, "research": 0.2})
    share, _ = count_kinds(tb, 300)
    assert share == pytest.approx(tb.probs, abs=0.04)


def test_without_hints_the_mixture_is_proportional_to_counts():
    assert make().probs == pytest.approx({"generative": 40 / 70, "discriminative": 20 / 70, "research": 10 / 70})


def test_each_epoch_visits_every_example_once():
    exs = {"generative": [GenerativeExample([], f"only {i}") for i in range(25)]}
    tb = make(exs, pack=False, global_batch_size=1)
    seen = [tuple(next(tb).input_ids[0].tolist()) for _ in range(50)]
    assert len(set(seen[:25])) == 25 and set(seen[25:]) == set(seen[:25]) and seen[25:] != seen[:25]
    assert tb.state_dict()["epochs"] == {"generative": 2.0}


def test_demo_corpus_batches():
    tb = TokenBatches.from_demo_corpus(tiny_tokenizer(), seq_len=64, global_batch_size=4, max_dialogs=20)
    assert tb.sets["generative"].truncated > 0  # long windows lost their oldest turns instead of failing
    batch = next(tb)
    assert batch.input_ids.shape == (4, 64) and batch.loss_mask.sum() > 0


def test_build_batches_and_tokenizer_texts_from_a_train_config(tmp_path):
    cfg = SimpleNamespace(
        data=[str(VALID)],
        mixture={},
        demo_dialogs=None,
        truncate_long=False,
        seq_len=128,
        batch_size=4,
        seed=0,
        tokenized_dir=str(tmp_path / "tokenized"),
        out_dir=tmp_path / "out",
        val_share=0.0,
    )
    texts = list(tokenizer_texts(cfg))
    assert "What's up?" in texts and "Rafael Nadal / Age / 35" in texts
    tb = build_batches(cfg, tiny_tokenizer(), rank=1, world_size=2, micro_batch=1)
    assert tb.accum_steps == 2 and next(tb).input_ids.shape == (1, 128)
    demo = SimpleNamespace(**{**vars(cfg), "data": [], "demo_dialogs": 3})
    assert len(list(tokenizer_texts(demo))) > 10


# ---------------------------------------------------------------- errors
def test_too_long_example_names_file_line_and_fix(tmp_path):
    with pytest.raises(DatasetError) as err:
        TokenBatches.from_snapshots([VALID], tiny_tokenizer(), seq_len=8, global_batch_size=2, tokenized_dir=tmp_path)
    msg = str(err.value)
    assert "generative-00000.jsonl:1: generative example #0 is" in msg
    assert "raise --seq-len, or pass --truncate-long" in msg


def test_truncate_long_drops_old_context_or_the_example():
    exs = {
        "generative": [
            GenerativeExample(["one two three four", "five six"], "ok"),
            GenerativeExample([], "w " * 40),  # the response alone is too long
            GenerativeExample([], "short"),
        ]
    }
    tb = make(exs, seq_len=8, global_batch_size=1, truncate_long=True, pack=False)
    assert (len(tb.sets["generative"]), tb.sets["generative"].truncated, tb.sets["generative"].dropped) == (
        2,
        1,
        1,
    )
    with pytest.raises(DatasetError, match="generative example #0 is 11 tokens"):
        make(exs, seq_len=8, global_batch_size=1)


def test_missing_snapshot_and_no_snapshot(tmp_path):
    with pytest.raises(DatasetError, match="no such dataset snapshot folder"):
        TokenBatches.from_snapshots([tmp_path / "gone"], WordTokenizer(), seq_len=32, global_batch_size=2)
    with pytest.raises(DatasetError, match="no dataset snapshot given"):
        TokenBatches.from_snapshots([], WordTokenizer(), seq_len=32, global_batch_size=2)


def test_mixture_errors():
    only_gen = {"generative": synthetic()["generative"]}
    with pytest.raises(DatasetError, match="gives research weight 0.5 but the data has no research examples"):
        make(only_gen, mixture={"generative": 1, "research": 0.5})
    with pytest.raises(DatasetError, match="every kind has weight 0"):
        make(mixture={"generative": 0})
    with pytest.raises(TrainInputError, match="kinds must be"):
        make(mixture={"poems": 1})
    with pytest.raises(DatasetError, match="unknown example kind 'poems'"):
        make({"poems": synthetic()["generative"]})


def test_batch_size_must_split_over_ranks_and_micro_batches():
    with pytest.raises(TrainInputError, match="batch size 5 must split evenly over 2 rank"):
        make(global_batch_size=5, world_size=2)
    with pytest.raises(TrainInputError, match="micro batches of 3"):
        make(global_batch_size=4, micro_batch_size=3)


def test_resume_with_different_data_is_refused():
    state = make().state_dict()
    other = make(synthetic(n_gen=41))
    with pytest.raises(DatasetError, match="resume with the same --data"):
        other.load_state_dict(state)
    with pytest.raises(TrainInputError, match="data seed"):
        make(seed=3).load_state_dict(state)


def test_truncation_keeps_the_newest_turns_that_fit():
    tok = WordTokenizer()
    ex = GenerativeExample(["a b c d", "e f", "g"], "ok")  # 13 tokens; seq_len 8 allows 9
    tb = TokenBatches.from_examples({"generative": [ex]}, tok, seq_len=8, global_batch_size=1, truncate_long=True)
    ids, mask = tb.sets["generative"].get(0)
    expected = render_example(GenerativeExample(["e f", "g"], "ok"), tok)
    assert (list(ids), list(mask)) == (expected.ids, expected.loss_mask)

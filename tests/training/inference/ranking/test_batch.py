"""Several requests in one decode batch give what each gives alone (left padding, masked keys, per-row starts)."""

import pytest
import torch

from tests.training.inference.helpers import ByteTok, tiny_model
from training.format.render import render_generation_prompt
from training.inference.ranking.sample_rank import sample_and_rank, sample_and_rank_batch
from training.inference.ranking.score import score_by_reencoding
from training.inference.ranking.settings import RankSettings

torch.set_num_threads(2)
TOK = ByteTok()
CONTEXTS = [["hi"], ["hello there, how are you doing today?", "fine"], ["a much longer opening turn " * 2]]


@pytest.fixture(scope="module")
def model():
    return tiny_model(sharpen=4.0)


def test_a_batch_equals_each_request_alone(model):
    settings = [RankSettings(num_candidates=n, max_new_tokens=10, seed=s) for n, s in ((4, 0), (2, 1), (3, 2))]
    batch = sample_and_rank_batch(model, TOK, CONTEXTS, settings, ranking="discriminator")
    for ctx, s, got in zip(CONTEXTS, settings, batch, strict=True):
        alone = sample_and_rank(model, TOK, ctx, s, has_discriminator=True)
        assert [c.token_ids for c in got.candidates] == [c.token_ids for c in alone.candidates]
        assert (got.chosen, got.text) == (alone.chosen, alone.text)
        for a, b in zip(got.candidates, alone.candidates, strict=True):
            assert a.logprob == pytest.approx(b.logprob, abs=1e-4)
            assert all(a.scores[k] == pytest.approx(b.scores[k], abs=1e-5) for k in a.scores)
    best = batch[1].candidates[0]
    prompt = render_generation_prompt(CONTEXTS[1], TOK)
    want = score_by_reencoding(model, prompt + best.token_ids, "UNSAFE", TOK)
    assert best.scores["UNSAFE"] == pytest.approx(want, abs=1e-5)
    assert batch[0].timings["batch_size"] == 3


def test_pt_ranking_batches_too_and_mismatched_settings_are_refused(model):
    settings = [RankSettings(num_candidates=2, max_new_tokens=6, seed=i, ranking="pt") for i in range(2)]
    out = sample_and_rank_batch(model, TOK, CONTEXTS[:2], settings, ranking="pt")
    assert all(r.ranking == "pt" and len(r.candidates) == 2 for r in out)
    with pytest.raises(ValueError, match="must share top_k"):
        sample_and_rank_batch(model, TOK, CONTEXTS[:2], [settings[0], settings[1].replace(top_k=3)], ranking="pt")

"""Discriminator scores from the KV-reuse suffix equal scores from re-encoding every full sequence."""

import pytest
import torch

from tests.training.inference.helpers import ByteTok, tiny_model
from training.format.render import render_discriminator_prompt, render_generation_prompt
from training.inference.generate import sample_with_cache
from training.inference.ranking.score import (
    SCORE_ATTRIBUTES,
    rating_probability,
    score_by_reencoding,
    score_cached,
    score_sequences,
)

torch.set_num_threads(2)
TOK = ByteTok()


@pytest.fixture(scope="module")
def model():
    return tiny_model(sharpen=4.0)


def sample(model, context, n=16, max_new=12, seed=0):
    prompt = render_generation_prompt(context, TOK)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        _, sampled = sample_with_cache(
            model, prompt, max_new, 40, 1.0, n, {TOK.special_id("EOR")}, gen, torch.device("cpu"), torch.float32,
            room=len(SCORE_ATTRIBUTES) + 1,
        )  # fmt: skip
    return prompt, sampled


def test_kv_reuse_scores_equal_reencoding_every_candidate(model):
    prompt, sampled = sample(model, ["hello there", "how are you?"])
    lengths = {len(c.token_ids) for c in sampled.candidates}
    assert len(lengths) > 1, "the test needs candidates of different lengths (rows of different fill)"
    scores = score_cached(model, sampled.cache, sampled.valid_lengths(), SCORE_ATTRIBUTES, TOK)
    for cand, got in zip(sampled.candidates, scores, strict=True):
        for attr in SCORE_ATTRIBUTES:
            want = score_by_reencoding(model, prompt + cand.token_ids, attr, TOK)
            assert got[attr] == pytest.approx(want, abs=1e-5), (cand.token_ids, attr)


def test_reencoding_baseline_is_the_training_rendering(model):
    """The baseline reads P(<1>) right after render_discriminator_prompt: the exact training layout."""
    text = "not much."
    ids = render_discriminator_prompt(["What's up?"], text, "SENSIBLE", TOK)
    with torch.no_grad():
        direct = float(rating_probability(model(torch.tensor([ids]))[0, -1], TOK))
    prompt = render_generation_prompt(["What's up?"], TOK)
    assert score_by_reencoding(model, prompt + TOK.encode(text), "SENSIBLE", TOK) == pytest.approx(direct, abs=1e-6)


def test_a_wrong_row_length_changes_the_score(model):
    """The check above can fail: scoring one token short gives the score of the shorter sequence, not this one."""
    prompt, sampled = sample(model, ["hi"], n=4, seed=3)
    short = [v - 1 for v in sampled.valid_lengths()]
    got = score_cached(model, sampled.cache, short, ["SENSIBLE"], TOK)
    for cand, g in zip(sampled.candidates, got, strict=True):
        if len(cand.token_ids) > 1:
            shorter = score_by_reencoding(model, prompt + cand.token_ids[:-1], "SENSIBLE", TOK)
            assert g["SENSIBLE"] == pytest.approx(shorter, abs=1e-5)
            assert g["SENSIBLE"] != pytest.approx(score_by_reencoding(model, prompt + cand.token_ids, "SENSIBLE", TOK))


def test_scoring_leaves_the_cache_reusable(model):
    _, sampled = sample(model, ["hi"], n=3, seed=1)
    before = sampled.cache.length
    a = score_cached(model, sampled.cache, sampled.valid_lengths(), SCORE_ATTRIBUTES, TOK)
    b = score_cached(model, sampled.cache, sampled.valid_lengths(), list(reversed(SCORE_ATTRIBUTES)), TOK)
    assert sampled.cache.length == before
    assert all(x[k] == pytest.approx(y[k], abs=1e-6) for x, y in zip(a, b, strict=True) for k in x)


def test_batched_sequences_of_different_contexts_equal_reencoding(model):
    seqs = [render_generation_prompt(c, TOK) + TOK.encode(r) for c, r in [(["a"], "yes"), (["long one", "b"], "n")]]
    got = score_sequences(model, seqs, SCORE_ATTRIBUTES, TOK)
    for s, g in zip(seqs, got, strict=True):
        for attr in SCORE_ATTRIBUTES:
            assert g[attr] == pytest.approx(score_by_reencoding(model, s, attr, TOK), abs=1e-5)
    assert score_sequences(model, [], SCORE_ATTRIBUTES, TOK) == []


def test_no_room_in_the_cache_is_a_clear_error(model):
    prompt, sampled = sample(model, ["hi"], n=2)
    with pytest.raises(ValueError, match="no room"):
        score_cached(model, sampled.cache, sampled.valid_lengths(), SCORE_ATTRIBUTES * 3, TOK)
    with pytest.raises(ValueError, match="exceeds the context"):
        score_sequences(model, [[1] * 125], SCORE_ATTRIBUTES, TOK)

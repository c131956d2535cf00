"""Sample-and-rank end to end on a small random model: one prefill, scores, filter, fallback, PT, truncation."""

import json

import pytest
import torch

from tests.training.inference.helpers import ByteTok, tiny_model
from training.inference.ranking.capability import NotADiscriminator
from training.inference.ranking.rank import ssi_score
from training.inference.ranking.sample_rank import sample_and_rank
from training.inference.ranking.score import SCORE_ATTRIBUTES, score_by_reencoding
from training.inference.ranking.settings import RankSettings

torch.set_num_threads(2)
TOK = ByteTok()
CTX = ["hello there", "how are you?"]


@pytest.fixture(scope="module")
def model():
    return tiny_model(sharpen=4.0)


def run(model, settings, context=CTX, disc=True):
    return sample_and_rank(model, TOK, context, settings, has_discriminator=disc, why="test", model_id="tiny")


class ForwardLog:
    """(batch, tokens) of every pass through the model's first block: prefill, decode steps and scoring alike."""

    def __init__(self, model):
        self.shapes = []
        self.handle = model.layers[0].register_forward_pre_hook(lambda m, a: self.shapes.append(tuple(a[0].shape[:2])))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.remove()


def test_all_candidates_come_from_one_prefill_and_are_scored_without_re_encoding(model):
    settings = RankSettings(num_candidates=16, max_new_tokens=10, seed=0)
    with ForwardLog(model) as log:
        out = run(model, settings)
    prompt_len = len(TOK.encode(CTX[0])) + len(TOK.encode(CTX[1])) + 3
    assert log.shapes[0] == (1, prompt_len), "the context is prefilled once, as one row"
    decode, suffix = log.shapes[1:-1], log.shapes[-1]
    assert set(decode) == {(16, 1)} and len(decode) <= settings.max_new_tokens, "then one token per candidate a step"
    assert suffix == (16, 5), "scoring: </s> + 4 attribute tokens per candidate, nothing re-encoded"
    assert len(out.candidates) == 16 and all(set(c.scores) == set(SCORE_ATTRIBUTES) for c in out.candidates)


def test_the_chosen_reply_is_the_best_safe_candidate(model):
    out = run(model, RankSettings(num_candidates=8, max_new_tokens=8, seed=1, safety_threshold=0.4))
    kept = [i for i, c in enumerate(out.candidates) if c.dropped is None]
    assert out.chosen == max(kept, key=lambda i: ssi_score(out.candidates[i].scores, out.settings.weights))
    assert out.text == out.candidates[out.chosen].text and not out.fallback_used
    prompt_ids = [1, *TOK.encode(CTX[0]), TOK.special_id("TURN"), *TOK.encode(CTX[1]), TOK.special_id("RESPONSE")]
    best = out.candidates[out.chosen]
    assert best.scores["SENSIBLE"] == pytest.approx(
        score_by_reencoding(model, prompt_ids + best.token_ids, "SENSIBLE", TOK), abs=1e-5
    )


def test_every_candidate_dropped_returns_the_fallback_and_says_why(model):
    out = run(model, RankSettings(num_candidates=4, max_new_tokens=6, seed=2, safety_threshold=1.0, fallback="Pass."))
    assert out.text == "Pass." and out.fallback_used and out.chosen is None
    assert len(out.dropped) == 4 and all(d["reason"] for d in out.dropped)


def test_a_model_without_discriminators_is_refused_unless_pt_ranking_is_asked(model):
    with pytest.raises(NotADiscriminator, match="never fine-tuned for discrimination .*ranking='pt'"):
        run(model, RankSettings(num_candidates=2, max_new_tokens=4), disc=False)
    with ForwardLog(model) as log:
        pt = run(model, RankSettings(num_candidates=4, max_new_tokens=6, seed=3, ranking="pt"), disc=False)
    assert pt.ranking == "pt" and all(c.scores == {} for c in pt.candidates)
    assert log.shapes[0][0] == 1 and all(b == 4 and n == 1 for b, n in log.shapes[1:]), "no scoring pass for PT"
    best = max(range(4), key=lambda i: pt.candidates[i].rank_score)
    assert pt.chosen == best or pt.candidates[best].dropped
    auto = run(model, RankSettings(num_candidates=2, max_new_tokens=4, ranking="auto"), disc=False)
    assert auto.ranking == "pt"


def test_a_context_longer_than_the_window_is_cut_from_the_left_and_said(model):
    long_ctx = ["an old turn " * 10, "a middle turn " * 5, "the latest turn"]
    out = run(model, RankSettings(num_candidates=2, max_new_tokens=16, seed=0), context=long_ctx)
    assert out.truncated["dropped_turns"] == 1 and out.truncated["prompt_tokens"] <= 128 - 16 - 5
    huge = run(model, RankSettings(num_candidates=2, max_new_tokens=16, seed=0), context=["x" * 500])
    assert huge.truncated["dropped_turns"] == 0 and huge.truncated["dropped_tokens"] == 502 - 107
    assert run(model, RankSettings(num_candidates=2, max_new_tokens=4), context=["hi"]).truncated is None
    with pytest.raises(ValueError, match="max_new_tokens leaves only"):
        run(model, RankSettings(max_new_tokens=127), context=["hi"])


def test_seeded_runs_agree_and_the_result_is_saved_with_its_settings(model, tmp_path):
    settings = RankSettings(num_candidates=4, max_new_tokens=6, seed=5)
    a, b = run(model, settings), run(model, settings)
    assert a.to_dict()["candidates"] == b.to_dict()["candidates"] and a.text == b.text
    path = a.save(tmp_path / "r")
    saved = json.loads(path.read_text())
    assert saved["settings"] == settings.to_dict() and len(saved["candidates"]) == 4
    assert RankSettings.from_dict(json.loads((tmp_path / "r" / "settings.json").read_text())) == settings


def test_research_runs_on_the_chosen_reply_and_returns_every_step(model):
    calls = []
    settings = RankSettings(
        num_candidates=4, max_new_tokens=6, seed=0, research=True, max_tool_calls=2, safety_threshold=0
    )
    out = sample_and_rank(
        model, TOK, CTX, settings, has_discriminator=True, query_fn=lambda q: calls.append(q) or [f"about {q}"]
    )
    assert out.base_text == out.candidates[out.chosen].text and out.text
    assert [s["query"] for s in out.research] == calls and len(calls) <= 2
    assert all(s["snippets"] == [f"about {s['query']}"] for s in out.research if s["query"])
    assert "research_s" in out.timings and out.to_dict()["research"] == out.research


def test_an_unseeded_reply_records_the_seed_it_drew_so_the_saved_settings_reproduce_it(model):
    first = run(model, RankSettings(num_candidates=3, max_new_tokens=6))
    assert first.settings.seed is not None
    again = run(model, RankSettings.from_dict(first.settings.to_dict()))
    assert [c.token_ids for c in again.candidates] == [c.token_ids for c in first.candidates]

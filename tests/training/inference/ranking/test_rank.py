"""The ranking formula and the safety filter on hand-made scores (no model)."""

import pytest

from training.inference.ranking.rank import ScoredCandidate, filter_and_rank, pt_score
from training.inference.ranking.settings import RankSettings


def cand(text, sensible, specific, interesting, unsafe, logprob=-1.0, n=3):
    scores = {"SENSIBLE": sensible, "SPECIFIC": specific, "INTERESTING": interesting, "UNSAFE": unsafe}
    return ScoredCandidate(text, list(range(n)), logprob, True, scores)


def test_rank_is_three_sensible_plus_specific_plus_interesting():
    cands = [
        cand("a", 0.5, 0.9, 0.9, 0.1),  # 1.5 + 1.8 = 3.3
        cand("b", 0.9, 0.2, 0.2, 0.1),  # 2.7 + 0.4 = 3.1
        cand("c", 0.8, 0.6, 0.4, 0.1),  # 2.4 + 1.0 = 3.4
    ]
    order = filter_and_rank(cands, RankSettings())
    assert order == [2, 0, 1]
    assert [c.rank_score for c in cands] == pytest.approx([3.3, 3.1, 3.4])


def test_unsafe_candidates_are_dropped_with_the_reason_even_when_they_rank_best():
    cands = [cand("great but unsafe", 1.0, 1.0, 1.0, 0.7), cand("fine", 0.5, 0.5, 0.5, 0.2)]
    order = filter_and_rank(cands, RankSettings(safety_threshold=0.5))
    assert order == [1]
    assert cands[0].dropped == "unsafe: P(safe) 0.300 < safety_threshold 0.5" and cands[1].dropped is None
    assert filter_and_rank([cand("x", 1, 1, 1, 0.45)], RankSettings(safety_threshold=0.5)) == [0]  # P(safe) .55


def test_every_candidate_dropped_leaves_nothing_to_choose():
    cands = [cand("x", 1, 1, 1, 0.9), cand("", 1, 1, 1, 0.0)]
    assert filter_and_rank(cands, RankSettings()) == []
    assert cands[1].dropped == "empty reply"


def test_custom_weights_change_the_winner():
    cands = [cand("sensible", 0.9, 0.1, 0.1, 0.0), cand("interesting", 0.1, 0.1, 0.95, 0.0)]
    assert filter_and_rank(cands, RankSettings())[0] == 0
    assert filter_and_rank(cands, RankSettings(weights={"INTERESTING": 1.0}))[0] == 1


def test_pt_ranking_is_log_likelihood_per_token():
    short = ScoredCandidate("ok", [1], -2.0, True)  # 2 tokens with the stop token: -1.0 per token
    long = ScoredCandidate("longer reply", [1, 2, 3, 4, 5], -4.8, True)  # 6 tokens: -0.8 per token
    assert filter_and_rank([short, long], RankSettings(ranking="pt")) == [1, 0]
    assert filter_and_rank([short, long], RankSettings(ranking="pt", length_alpha=0.0)) == [0, 1]  # raw likelihood
    assert pt_score(-3.0, 0, 1.0) == -3.0 and short.p_safe is None and short.dropped is None


def test_ties_keep_the_sampling_order():
    cands = [cand("a", 0.5, 0.5, 0.5, 0.0), cand("b", 0.5, 0.5, 0.5, 0.0)]
    assert filter_and_rank(cands, RankSettings()) == [0, 1]

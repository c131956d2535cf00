"""RankSettings: defaults from the paper, JSON round trip, one-line errors for bad values."""

import json

import pytest

from training.inference.ranking.settings import RankSettings


def test_defaults_are_the_papers():
    s = RankSettings()
    assert (s.num_candidates, s.top_k, s.max_tool_calls) == (16, 40, 4)
    assert s.weights == {"SENSIBLE": 3.0, "SPECIFIC": 1.0, "INTERESTING": 1.0}


def test_json_round_trip(tmp_path):
    s = RankSettings(num_candidates=4, seed=7, ranking="pt", fallback="No.")
    path = s.save(tmp_path / "settings.json")
    assert RankSettings.from_dict(json.loads(path.read_text())) == s


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"num_candidates": 0}, "num_candidates must be an integer from 1 to 64"),
        ({"top_k": 2.5}, "top_k must be an integer"),
        ({"temperature": 0}, "temperature must be a finite number > 0"),
        ({"safety_threshold": 1.5}, r"safety_threshold must be a finite number in \[0.0, 1.0\]"),
        ({"ranking": "best"}, "ranking must be one of discriminator, pt, auto"),
        ({"weights": {"UNSAFE": 1}}, "is not SENSIBLE, SPECIFIC or INTERESTING"),
        ({"fallback": " "}, "fallback must be a non-empty string"),
        ({"max_tool_calls": -1}, "max_tool_calls must be an integer from 0 to 16"),
        ({"num_candidates": 100_000}, "num_candidates must be an integer from 1 to 64"),  # one request, 23 GB: no
        ({"top_k": 100_000}, "top_k must be an integer from 1 to 1000"),
        ({"max_new_tokens": 10**9}, "max_new_tokens must be an integer from 1 to 1024"),
        ({"nope": 1}, "unknown setting"),
        ({"seed": True}, "seed must be an integer"),
    ],
)
def test_bad_values_are_one_line_errors(override, message):
    with pytest.raises(ValueError, match=message):
        RankSettings.from_dict(override)

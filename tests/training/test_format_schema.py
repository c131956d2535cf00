"""The example schema: JSON round trip, validation messages, format version rules."""

import pytest

from training.format import (
    FORMAT_VERSION,
    DiscriminativeExample,
    GenerativeExample,
    ResearchExample,
    example_from_dict,
    example_to_dict,
)
from training.format.schema import check_format_version

from .fixtures.examples import spec_examples


def test_every_kind_round_trips_through_json_dict():
    for ex in spec_examples():
        d = example_to_dict(ex)
        assert d["kind"] == ex.kind
        assert example_from_dict(d) == ex


def test_spec_example_fields():
    d = example_to_dict(DiscriminativeExample(["What's up?"], "not much.", "SENSIBLE", 1))
    assert d == {
        "kind": "discriminative",
        "context": ["What's up?"],
        "response": "not much.",
        "attribute": "SENSIBLE",
        "rating": 1,
    }


def test_research_target_routes():
    ts = ResearchExample(["q"], "base", [], "TS, Rafael Nadal's age")
    user = ResearchExample(["q"], "base", [{"query": "x", "snippets": ["y"]}], "User, He is 35.")
    assert (ts.route, ts.target_text) == ("TS", "Rafael Nadal's age")
    assert (user.route, user.target_text) == ("USER", "He is 35.")
    assert user.history[0].snippets == ["y"]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"kind": "chitchat", "context": [], "response": "x"}, "unknown kind 'chitchat'"),
        ({"context": [], "response": "x"}, "unknown kind None"),
        ({"kind": "generative", "context": []}, "missing field(s) response"),
        ({"kind": "generative", "context": [], "response": "x", "rating": 1}, "unknown field(s) rating"),
        ({"kind": "generative", "context": "hi", "response": "x"}, "context must be a list"),
        ({"kind": "generative", "context": ["hi", 3], "response": "x"}, "context[1] must be a string"),
        ({"kind": "generative", "context": [], "response": "  "}, "response is empty"),
        (
            {"kind": "discriminative", "context": [], "response": "x", "attribute": "FUNNY", "rating": 1},
            "attribute 'FUNNY' is not one of",
        ),
        (
            {"kind": "discriminative", "context": [], "response": "x", "attribute": "SENSIBLE", "rating": 2},
            "rating must be the integer 0 or 1",
        ),
        (
            {
                "kind": "discriminative",
                "context": [],
                "response": "x",
                "attribute": "SENSIBLE",
                "rating": True,
            },
            "rating must be the integer 0 or 1",
        ),
        (
            {"kind": "research", "context": [], "base_response": "b", "history": [], "target": "Search, x"},
            "target must start with 'TS,' or 'User,'",
        ),
        (
            {"kind": "research", "context": [], "base_response": "b", "history": [], "target": "TS,  "},
            "target text after the routing word is empty",
        ),
        (
            {
                "kind": "research",
                "context": [],
                "base_response": "b",
                "history": [{"q": 1}],
                "target": "TS, x",
            },
            "history[0] must be an object",
        ),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_malformed_examples_say_what_is_wrong(bad, message):
    with pytest.raises(ValueError) as err:
        example_from_dict(bad)
    assert message in str(err.value)


def test_constructors_validate_too():
    with pytest.raises(ValueError, match="response is empty"):
        GenerativeExample(["hi"], "")


@pytest.mark.parametrize("version", [FORMAT_VERSION, "1.0", "1.1"])
def test_format_version_accepted(version):
    check_format_version(version)


@pytest.mark.parametrize("version", ["2.0", "1.2", "0.9", "one", 1.0, None])
def test_format_version_rejected(version):
    with pytest.raises(ValueError, match="format_version"):
        check_format_version(version)

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolset
from toolset import Result, Toolset
from toolset.calculator import Calculator
from toolset.retrieval import Passage, Retriever
from toolset.retrieval.tantivy_engine import TantivyEngine
from toolset.translator import DictionaryBackend, Translator


def test_spec_examples_with_the_default_offline_toolset():
    assert toolset.query("135+7721") == ["7856"]
    assert toolset.query("hello in French") == ["Bonjour"]
    nadal = toolset.query("How old is Rafael Nadal?")
    assert nadal[0].startswith("Rafael Nadal / ")
    assert "born 3 June 1986" in nadal[0]


def test_repeating_a_query_in_a_session_returns_the_next_ranked_results():
    full = toolset.default_toolset().run("Grand Slam tennis titles", repeat=0)
    research = toolset.session()
    first = toolset.query("Grand Slam tennis titles", session=research)
    second = toolset.query("grand slam  TENNIS titles", session=research)  # same query, other spacing and case
    assert first == [r.text for r in full]
    assert second and not set(first) & set(second)
    assert toolset.query("Grand Slam tennis titles") == first  # no session: always the top results
    other = toolset.session()
    assert toolset.query("Grand Slam tennis titles", session=other) == first  # sessions are independent


def _tiny_toolset(k=3):
    engine = TantivyEngine.in_memory(
        [
            Passage(url="https://example.org/sum", title="Times table", text="7 times 6 is 42, a sum we like."),
            Passage(url="https://example.org/other", title="Other", text="Nothing to see."),
        ]
    )
    return Toolset([Calculator(), Translator(DictionaryBackend.from_file()), Retriever(engine)], results_per_query=k)


def test_tools_run_in_order_and_outputs_concatenate():
    results = _tiny_toolset().run("7 times 6")
    assert [(r.tool, r.text) for r in results] == [
        ("calculator", "42"),
        ("retrieval", "Times table / 7 times 6 is 42, a sum we like."),
    ]


def test_results_per_query_one_reproduces_the_papers_one_snippet_per_ask():
    ts = _tiny_toolset(k=1)
    research = ts.session()
    assert len(ts.query("sum", session=research)) == 1
    assert ts.query("sum", session=research) == []  # only one passage matches


class _Broken:
    name = "broken"

    def run(self, query, *, repeat=0, limit=1):
        raise RuntimeError("backend exploded")


def test_a_failing_tool_contributes_nothing_and_is_logged(caplog):
    ts = Toolset([_Broken(), Calculator()])
    with caplog.at_level(logging.ERROR):
        assert ts.query("1+1") == ["2"]
    assert "broken failed" in caplog.text


def test_result_dict_has_the_logged_fields():
    d = Result(tool="retrieval", text="T / s", title="T", url="https://x", snippet="s").as_dict()
    assert {"tool", "text", "title", "url"} <= set(d)


@pytest.mark.timeout(60)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300), st.from_regex(r"[\d+\-*/%^(). ]{0,60}")))
def test_any_input_gives_a_list_of_strings_never_an_exception(q):
    out = toolset.query(q)
    assert isinstance(out, list) and all(isinstance(s, str) for s in out)

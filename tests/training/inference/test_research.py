"""The research loop: routing by the first token, toolset calls, the maximum, toolset errors, every step returned."""

import pytest
import torch

from tests.training.inference.helpers import ByteTok, tiny_model
from training.inference.ranking.settings import RankSettings
from training.inference.research import default_query_fn, run_research
from training.model.model import LaMDAModel

torch.set_num_threads(2)
TOK = ByteTok()
TS, USER, EOR, RESEARCH = (TOK.special_id(n) for n in ("TS", "USER", "EOR", "RESEARCH"))


LETTERS = TOK.encode("abcdefghijklmnopqrstuvwxyz")


class Routed(LaMDAModel):
    """A random model whose route (the token after <RESEARCH>) is fixed; its text is lowercase letters and never
    ends early (so a query decodes and re-encodes to the same ids)."""

    route = TS

    def forward(self, input_ids, **kw):
        logits = super().forward(input_ids, **kw)
        allowed = torch.full_like(logits[..., :1].expand_as(logits), -1e4)
        allowed[..., LETTERS] = 0.0
        logits = logits + allowed
        at_route = input_ids[:, -1] == RESEARCH
        logits[at_route, -1, self.route] = 1e4
        return logits


def routed(route):
    base = tiny_model(max_seq_len=512)
    m = Routed(base.cfg, attention_backend="reference")
    m.load_state_dict(base.state_dict())
    m.route = route
    return m.eval()


class Log:
    def __init__(self, fail_on=()):
        self.queries, self.fail_on = [], set(fail_on)

    def __call__(self, q):
        self.queries.append(q)
        if len(self.queries) in self.fail_on:
            raise ConnectionError("retrieval index is down")
        return [f"snippet {len(self.queries)}", "", "second"]


SETTINGS = RankSettings(max_new_tokens=6, seed=0, max_snippets=1)


def test_a_model_that_never_says_user_stops_at_the_maximum_and_must_answer():
    log = Log()
    res = run_research(routed(TS), TOK, ["How old is Rafael Nadal?"], "He is 31.", SETTINGS, query_fn=log)
    assert len(res.steps) == 4 == len(log.queries) and res.forced
    assert [s["query"] for s in res.steps] == log.queries and all(q for q in log.queries)
    assert [s["snippets"] for s in res.steps] == [["snippet 1"], ["snippet 2"], ["snippet 3"], ["snippet 4"]]
    assert res.reply.strip()
    capped = run_research(routed(TS), TOK, ["hi"], "hello", SETTINGS.replace(max_tool_calls=1), query_fn=Log())
    assert len(capped.steps) == 1 and capped.forced


def test_user_first_answers_without_any_toolset_call():
    log = Log()
    res = run_research(routed(USER), TOK, ["hi"], "hello", SETTINGS, query_fn=log)
    assert res.steps == [] and log.queries == [] and not res.forced and res.reply


def test_one_cache_holds_the_whole_loop_exactly_as_the_training_rendering():
    from training.format.render import render_research_prompt
    from training.format.schema import ResearchStep

    model, passes = routed(TS), []
    model.embed.register_forward_pre_hook(lambda m, args: passes.append(args[0][0].tolist()))
    res = run_research(model, TOK, ["hi"], "hello", SETTINGS.replace(max_tool_calls=2), query_fn=Log())
    history = [ResearchStep(s["query"], s["snippets"]) for s in res.steps]
    stream = [t for p in passes for t in p]
    rendered = render_research_prompt(["hi"], "hello", history, TOK)
    assert stream == rendered + [USER] + TOK.encode(res.reply), "the cache holds the training layout, each token once"
    assert len(passes[0]) == len(render_research_prompt(["hi"], "hello", [], TOK)), "one prefill of the first prompt"
    assert stream.count(TOK.special_id("SNIPPET")) == 2 and res.steps[0]["snippets"] == ["snippet 1"]


def test_a_loop_that_outgrows_the_window_is_rendered_again_and_cut_from_the_left():
    long = RankSettings(max_new_tokens=6, seed=0, max_snippets=3, max_snippet_chars=300, max_tool_calls=3)
    model = routed(TS)
    assert model.cfg.max_seq_len == 512  # three calls with two 300-char snippets each do not fit
    res = run_research(model, TOK, ["hi"], "hello", long, query_fn=lambda q: ["x" * 300, "y" * 300])
    assert len(res.steps) == 3 and res.forced and res.truncated_tokens > 0


def test_toolset_errors_are_recorded_and_the_loop_goes_on():
    res = run_research(routed(TS), TOK, ["hi"], "hello", SETTINGS, query_fn=Log(fail_on={1, 3}))
    assert [s["error"] for s in res.steps] == [
        "ConnectionError: retrieval index is down",
        None,
        "ConnectionError: retrieval index is down",
        None,
    ]
    assert res.steps[0]["snippets"] == [] and res.steps[1]["snippets"] == ["snippet 2"]
    bad = run_research(routed(TS), TOK, ["hi"], "hello", SETTINGS.replace(max_tool_calls=1), query_fn=lambda q: "oops")
    assert bad.steps[0]["error"].startswith("TypeError: the toolset returned str")


def test_the_default_query_function_is_the_toolset():
    assert default_query_fn()("135+7721") == ["7856"]


@pytest.mark.parametrize("calls", [0])
def test_zero_tool_calls_answers_at_once(calls):
    res = run_research(routed(TS), TOK, ["hi"], "hello", SETTINGS.replace(max_tool_calls=calls), query_fn=Log())
    assert res.steps == [] and res.forced

"""OpenSearch / Elasticsearch backend. The request-shape and failure tests use a fake client; the contract
tests at
the bottom run against a real server only when LAMDA_OPENSEARCH_URL points at a reachable one."""

import os
import uuid

import pytest

from toolset.retrieval import Passage, Retriever
from toolset.retrieval.opensearch_engine import OpenSearchEngine, minimum_should_match, search_body


class FakeClient:
    def __init__(self, answer=None, error=None):
        self.answer, self.error, self.calls = answer, error, []

    def search(self, index, body):
        self.calls.append((index, body))
        if self.error:
            raise self.error
        return self.answer


def test_min_match_rule_matches_the_embedded_engine():
    assert minimum_should_match(0.5) == "2<-50%"
    assert minimum_should_match(0.0) == "1"


def test_user_text_goes_into_a_match_query_not_query_string():
    body = search_body('How old is Rafael Nadal? title:x OR "', limit=3, offset=6, min_match=0.5)
    assert body["from"] == 6 and body["size"] == 3
    match = body["query"]["match"]["content"]
    assert match["query"] == 'old Rafael Nadal? title:x OR "'
    assert "query_string" not in str(body)
    assert search_body("what is it", limit=3, offset=0, min_match=0.5) is None
    assert search_body("9**9**9**9", limit=3, offset=0, min_match=0.5) is None


def test_hits_become_results_with_citations():
    answer = {
        "hits": {
            "hits": [{"_score": 2.5, "_source": {"url": "https://e.org/n", "title": "Nadal", "text": "Born 1986."}}]
        }
    }
    client = FakeClient(answer=answer)
    [result] = Retriever(OpenSearchEngine(client=client, index="idx")).run("Rafael Nadal", repeat=2, limit=1)
    assert (result.title, result.url, result.text) == ("Nadal", "https://e.org/n", "Nadal / Born 1986.")
    assert client.calls[0][0] == "idx" and client.calls[0][1]["from"] == 2


def test_a_server_error_is_raised_and_the_toolset_gives_no_results_and_names_the_tool():
    from toolset.core import Toolset
    from toolset.retrieval import Retriever

    engine = OpenSearchEngine(client=FakeClient(error=ConnectionError("refused")))
    with pytest.raises(ConnectionError):  # "down" is not "nothing found": the workbench tells the worker
        engine.search("Rafael Nadal")
    failed: list[str] = []
    assert Toolset([Retriever(engine)]).run("Rafael Nadal", failed=failed) == [] and failed == ["retrieval"]


def _reachable_url():
    url = os.environ.get("LAMDA_OPENSEARCH_URL", "")
    if not url:
        return None, "LAMDA_OPENSEARCH_URL is not set (no OpenSearch/Elasticsearch server on this machine)"
    try:
        from opensearchpy import OpenSearch

        OpenSearch(hosts=[url], timeout=3, max_retries=0).info()
    except Exception as exc:
        return None, f"LAMDA_OPENSEARCH_URL={url} is not reachable: {exc}"
    return url, ""


@pytest.fixture(scope="module")
def live_engine():
    url, reason = _reachable_url()
    if url is None:
        pytest.skip(reason)
    engine = OpenSearchEngine(url, index=f"lamda-test-{uuid.uuid4().hex[:8]}")
    engine.create(replace=True)
    yield engine
    engine.client.indices.delete(index=engine.index)


@pytest.mark.opensearch
def test_live_server_same_contract_as_tantivy(live_engine):
    passages = [
        Passage(
            url="https://example.org/nadal",
            title="Rafael Nadal",
            text="Rafael Nadal was born on 3 June 1986.",
        ),
        Passage(url="https://example.org/federer", title="Roger Federer", text="Roger Federer was born in 1981."),
        Passage(url="https://example.org/paris", title="Paris", text="Paris is the capital of France."),
    ]
    assert live_engine.add(passages) == 3
    assert live_engine.count() == 3
    [first] = Retriever(live_engine).run("How old is Rafael Nadal?", limit=1)
    assert (first.title, first.url) == ("Rafael Nadal", "https://example.org/nadal")
    assert Retriever(live_engine).run("How old is Rafael Nadal?", repeat=1, limit=1) == []
    assert live_engine.search('title:x OR "((', limit=3) == []

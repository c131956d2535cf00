import pytest

from toolset.defaults import DEMO_CORPUS
from toolset.retrieval import Passage, Retriever, read_jsonl
from toolset.retrieval.analysis import query_terms, required_matches
from toolset.retrieval.snippets import make_snippet
from toolset.retrieval.tantivy_engine import IndexNotFound, TantivyEngine


@pytest.fixture(scope="module")
def demo_engine():
    return TantivyEngine.in_memory(read_jsonl(DEMO_CORPUS))


def test_demo_corpus_answers_the_nadal_question_first(demo_engine):
    hits = demo_engine.search("How old is Rafael Nadal?", limit=3)
    assert hits[0].passage.title == "Rafael Nadal"
    assert "3 June 1986" in hits[0].passage.text
    assert hits[0].passage.url.startswith("https://example.org/")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_results_carry_title_snippet_and_url(demo_engine):
    [first, *_] = Retriever(demo_engine).run("capital of France", limit=2)
    assert first.tool == "retrieval"
    assert first.title == "France"
    assert first.url == "https://example.org/demo/country-france"
    assert first.text == f"France / {first.snippet}"
    assert "Paris" in first.snippet


def test_repeat_pages_through_the_ranking(demo_engine):
    retriever = Retriever(demo_engine)
    full = [r.url for r in retriever.run("tennis Grand Slam titles", limit=6)]
    assert len(full) >= 4
    pages = [[r.url for r in retriever.run("tennis Grand Slam titles", repeat=n, limit=2)] for n in range(2)]
    assert pages[0] + pages[1] == full[:4]
    one_by_one = [retriever.run("tennis Grand Slam titles", repeat=n, limit=1)[0].url for n in range(3)]
    assert one_by_one == full[:3]


def test_stemming_and_accent_folding_match(demo_engine):
    assert demo_engine.search("Bogota", limit=1)[0].passage.title == "Colombia"
    assert demo_engine.search("who invented the web", limit=1)[0].passage.title == "Tim Berners-Lee"


def test_queries_with_too_few_matching_terms_find_nothing(demo_engine):
    # "hello" and "french" never occur in one demo passage; two-term queries need both terms
    assert demo_engine.search("hello in French", limit=3) == []
    assert demo_engine.search("135+7721", limit=3) == []


def test_queries_without_any_word_are_not_searched(demo_engine):
    assert demo_engine.search("9**9**9**9", limit=3) == []
    assert demo_engine.search("1986", limit=3) == []
    assert demo_engine.search("born 1986", limit=3)[0].passage.title in {"Rafael Nadal", "Usain Bolt"}


def test_required_matches_rule():
    assert [required_matches(n, 0.5) for n in range(0, 7)] == [0, 1, 2, 2, 2, 3, 3]
    assert required_matches(5, 0.0) == 1


def test_question_words_are_not_search_terms():
    assert query_terms("How old is Rafael Nadal?") == ["old", "rafael", "nadal"]
    assert query_terms("what is it?") == []
    assert len(query_terms(" ".join(f"w{i}" for i in range(500)))) == 32


@pytest.mark.timeout(5)
@pytest.mark.parametrize(
    "query",
    [
        'title:x OR 1=1 AND NOT "unbalanced',
        "nadal* ~2 ^10 [a TO z] {b TO c}",
        "'; DROP TABLE collection_toolquery; --",
        "rafael AND nadal OR -federer +(((",
        "\\\\ \" ' ` $ { } < > | & ;",
        "IN [rafael nadal]",
    ],
)
def test_query_syntax_is_never_interpreted(demo_engine, query):
    hits = demo_engine.search(query, limit=5)
    assert all(isinstance(h.passage.title, str) for h in hits)


def test_query_syntax_words_are_plain_terms(demo_engine):
    # 'rafael AND nadal OR -federer' is the terms rafael, nadal, federer: both tennis players match
    titles = {h.passage.title for h in demo_engine.search("rafael AND nadal OR -federer", limit=10)}
    assert "Rafael Nadal" in titles


def test_persistent_index_create_append_open(tmp_path, small_passages):
    engine = TantivyEngine.create(tmp_path / "idx")
    assert engine.add(small_passages[:6]) == 6
    again = TantivyEngine.create(tmp_path / "idx")  # existing index, no replace: append
    again.add(small_passages[6:])
    reopened = TantivyEngine.open(tmp_path / "idx")
    assert reopened.count() == 10
    assert engine.search("passage number 7", limit=1)[0].passage.url == "https://example.org/p7"  # sees the append
    assert TantivyEngine.create(tmp_path / "idx", replace=True).count() == 0


def test_refuses_to_write_into_a_directory_that_is_not_an_index(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="holds no tantivy index"):
        TantivyEngine.create(tmp_path, replace=True)
    assert (tmp_path / "notes.txt").exists()
    with pytest.raises(IndexNotFound):
        TantivyEngine.open(tmp_path / "missing")


def test_failed_add_commits_nothing(tmp_path, small_passages):
    engine = TantivyEngine.create(tmp_path / "idx")

    def broken():
        yield from small_passages[:3]
        raise RuntimeError("corpus reader died")

    with pytest.raises(RuntimeError):
        engine.add(broken())
    assert engine.count() == 0


def test_snippet_picks_the_best_sentence_of_a_long_passage():
    filler = "This sentence is about nothing in particular and fills space. " * 8
    text = filler + "Nadal was born in Manacor in 1986. " + filler
    snippet = make_snippet(text, query_terms("where was Nadal born"))
    assert snippet.startswith("Nadal was born in Manacor in 1986.")
    assert len(snippet) <= 300
    assert make_snippet("Short.", ["x"]) == "Short."


def test_passage_is_plain_data():
    assert Passage(url="u", title="t", text="x") == Passage(url="u", title="t", text="x")

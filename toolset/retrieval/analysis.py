"""Text analysis shared by indexing and querying: the SAME tantivy analyzer tokenizes documents at index
time and
queries at search time, so query terms can be built as term queries (never through a query parser: the
user's text
cannot inject query syntax)."""

from __future__ import annotations

import math
from functools import lru_cache

import tantivy

ANALYZER_NAME = "lamda_en"
MAX_QUERY_TERMS = 32
# question and filler words that carry no content in a search query (removed from queries only)
QUESTION_WORDS = (
    "how what who whom whose when where which why do does did is are was were am can could would should "
    "tell me please about you your i my know give show find search look up"
)


def build_analyzer(stem: bool = True) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stopword("english"))
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


@lru_cache(maxsize=2)
def analyzer(stem: bool = True) -> tantivy.TextAnalyzer:
    return build_analyzer(stem)


@lru_cache(maxsize=2)
def _question_terms(stem: bool) -> frozenset[str]:
    return frozenset(analyzer(stem).analyze(QUESTION_WORDS))


def query_terms(query: str, *, stem: bool = True, drop_question_words: bool = True) -> list[str]:
    """Distinct analyzed terms of a query, in order, at most MAX_QUERY_TERMS."""
    skip = _question_terms(stem) if drop_question_words else frozenset()
    terms: list[str] = []
    for term in analyzer(stem).analyze(query):
        if term not in skip and term not in terms:
            terms.append(term)
            if len(terms) == MAX_QUERY_TERMS:
                break
    return terms


def has_word(terms: list[str]) -> bool:
    """Retrieval only parses queries with at least one term containing a letter: "9**9**9**9" or "1' OR
    '1'='1"
    are not search queries (otherwise a lone "9" would match every passage that mentions the digit)."""
    return any(any(ch.isalpha() for ch in term) for term in terms)


def required_matches(n_terms: int, fraction: float) -> int:
    """How many of the query's terms a passage must contain: all of them for one or two terms, else
    ceil(fraction * n) but at least 2. fraction=0 means any single term (plain BM25 OR)."""
    if fraction <= 0 or n_terms == 0:
        return min(n_terms, 1)
    return max(min(n_terms, 2), math.ceil(fraction * n_terms))

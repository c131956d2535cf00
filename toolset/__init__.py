"""Toolset: calculator, translator and retrieval behind one `query(str) -> list[str]` face. Imports nothing
of ours.

>>> import toolset
>>> toolset.query("135+7721")
['7856']
>>> toolset.query("hello in French")
['Bonjour']
>>> research = toolset.session()
>>> toolset.query("How old is Rafael Nadal?", session=research)  # ranks 1-3; asking again gives ranks 4-6
"""

from __future__ import annotations

from toolset.core import ResearchState, Tool, Toolset
from toolset.result import Result
from toolset.text import MAX_QUERY_CHARS, clean_query, normalize_query


def default_toolset() -> Toolset:
    """The offline default (dictionary translator, demo corpus in RAM), built on first use."""
    from toolset.defaults import default_toolset as _default

    return _default()


def build_toolset(**options) -> Toolset:
    """See toolset.defaults.build_toolset for the options."""
    from toolset.defaults import build_toolset as _build

    return _build(**options)


def query(q: object, *, session: ResearchState | None = None) -> list[str]:
    """Run the calculator, the translator and retrieval on `q` with the default toolset; concatenated
    outputs."""
    return default_toolset().query(q, session=session)


def session() -> ResearchState:
    """A research session for the default toolset: repeating a query in it returns the next-ranked results."""
    return ResearchState()


__all__ = [
    "MAX_QUERY_CHARS",
    "ResearchState",
    "Result",
    "Tool",
    "Toolset",
    "build_toolset",
    "clean_query",
    "default_toolset",
    "normalize_query",
    "query",
    "session",
]

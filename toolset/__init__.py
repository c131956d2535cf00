"""Toolset: calculator, translator and retrieval behind one `query(str) -> list[str]` face. Imports nothing of ours."""

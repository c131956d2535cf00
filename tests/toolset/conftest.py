import json

import pytest

from toolset.retrieval import Passage


@pytest.fixture
def write_jsonl(tmp_path):
    """Write passages (dicts or raw lines) to a JSONL file and return its path."""

    def write(rows, name="corpus.jsonl"):
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture
def small_passages():
    return [
        Passage(
            url=f"https://example.org/p{i}",
            title=f"Alpha {i}",
            text=f"alpha beta passage number {i} " * (i + 1),
        )
        for i in range(10)
    ]

import subprocess
import sys
from pathlib import Path

import pytest

from toolset.cli import main
from toolset.retrieval.tantivy_engine import TantivyEngine

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    {"url": "https://example.org/a", "title": "Zorblax", "text": "The zorblax widget was invented in 2031."},
    {
        "url": "https://example.org/b",
        "title": "Quandle",
        "text": "A quandle is a made-up musical instrument.",
    },
]


def test_index_then_query_from_the_command_line(write_jsonl, tmp_path, capsys):
    corpus = write_jsonl(ROWS)
    assert main(["index", str(corpus), "--index-dir", str(tmp_path / "idx"), "--no-progress"]) == 0
    assert "indexed 2 passages" in capsys.readouterr().out
    assert TantivyEngine.open(tmp_path / "idx").count() == 2
    assert main(["query", "when was the zorblax widget invented", "--index-dir", str(tmp_path / "idx")]) == 0
    assert capsys.readouterr().out.strip() == "Zorblax / The zorblax widget was invented in 2031."
    assert main(["index", str(corpus), "--index-dir", str(tmp_path / "idx"), "--no-progress"]) == 0  # appends
    assert TantivyEngine.open(tmp_path / "idx").count() == 4
    assert main(["index", str(corpus), "--index-dir", str(tmp_path / "idx"), "--replace", "--no-progress"]) == 0
    assert TantivyEngine.open(tmp_path / "idx").count() == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "corpus.jsonl line 3: not valid JSON"),
        ('["a", "list"]', "corpus.jsonl line 3: expected a JSON object"),
        ('{"url": "u", "title": "t"}', "corpus.jsonl line 3: field 'text' must be a non-empty string"),
        (
            '{"url": "u", "title": "t", "text": 5}',
            "corpus.jsonl line 3: field 'text' must be a non-empty string",
        ),
        (
            '{"url": "u", "title": "", "text": "x"}',
            "corpus.jsonl line 3: field 'title' must be a non-empty string",
        ),
    ],
)
def test_malformed_line_is_named_and_nothing_is_written(write_jsonl, tmp_path, capsys, line, message):
    corpus = write_jsonl([ROWS[0], "", line, ROWS[1]])
    assert main(["index", str(corpus), "--index-dir", str(tmp_path / "idx"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {message}" or err.startswith(f"error: {message}")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "idx").exists()


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main(["index", str(tmp_path / "missing.jsonl"), "--index-dir", str(tmp_path / "i")]) == 2
    assert capsys.readouterr().err.startswith("error: corpus file not found")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("x")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"url": "u", "title": "t", "text": "x"}\n')
    assert main(["index", str(corpus), "--index-dir", str(tmp_path / "notes"), "--replace"]) == 2
    assert "holds no tantivy index" in capsys.readouterr().err
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\xff\xfe\x00\x00garbage")
    assert main(["index", str(binary), "--index-dir", str(tmp_path / "i")]) == 2
    assert "not UTF-8" in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_python_dash_m_shows_a_progress_bar(write_jsonl, tmp_path):
    corpus = write_jsonl(ROWS * 1500)
    run = subprocess.run(
        [sys.executable, "-m", "toolset", "index", str(corpus), "--index-dir", str(tmp_path / "idx")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "3000/3000" in run.stderr and "passage" in run.stderr  # tqdm's bar on stderr
    assert "indexed 3000 passages" in run.stdout

"""The trainer docs state what the code does (values that drifted before: the bucket table, the demo dialog count)."""

import re
from pathlib import Path

import torch

from training.model.relpos import relative_position_bucket

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _section(doc: str, title: str) -> str:
    text = (DOCS / doc).read_text()
    start = text.index(title)
    end = text.find("\n## ", start + len(title))
    return text[start : end if end > 0 else None]


def test_the_bucket_examples_in_model_md_are_what_relative_position_bucket_computes():
    section = _section("model.md", "## T5 relative position buckets")
    claims = re.findall(r"(\d+)(?:\.\.(\d+))? → (\d+)", section)
    assert len(claims) >= 5, section
    for first, last, bucket in claims:
        distances = torch.arange(int(first), int(last or first) + 1)
        got = relative_position_bucket(-distances, num_buckets=32, max_distance=128).tolist()
        assert got == [int(bucket)] * len(got), f"docs/model.md says {first}..{last or first} → {bucket}, got {got}"
    assert "every distance ≥ 113 shares bucket 31" in section


def test_training_md_states_the_tiny_presets_demo_corpus_size():
    from training.data.corpus import load_chitchat_dialogs
    from training.run.train_config import run_preset

    tiny = run_preset("tiny")
    dialogs = tiny.demo_dialogs or len(load_chitchat_dialogs())
    quick_start = _section("training.md", "## Quick start")
    stated = re.findall(r"([\d,]+) dialogs", quick_start)
    assert stated and {int(s.replace(",", "")) for s in stated} == {dialogs}, (stated, dialogs)

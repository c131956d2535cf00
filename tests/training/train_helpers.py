"""Shared fixtures of the LOOP tests: one small tokenizer and one snapshot with all three example kinds.

Import the fixtures into a test module with `from tests.training.train_helpers import assets  # noqa: F401`.
Everything is tiny so the trainer subprocesses finish in seconds on 2 cores.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORDS = (
    "hello hi how are you doing today fine thanks what about weather rain sun music movie book read play game "
    "cat dog food pizza coffee tea travel city beach mountain work school friend family weekend summer winter "
    "like love enjoy really very good great nice cool yes no maybe sure why because tennis player age year"
).split()

# Small and fast: a 2-layer model of width 64 at sequence length 64.
FAST = ["--model-arg", "d_model=64", "--model-arg", "n_layers=2", "--model-arg", "d_ff=128"]
FAST += ["--model-arg", "n_heads=2", "--seq-len", "64", "--batch-size", "4", "--no-progress"]


def sentence(rng: random.Random, n: int | None = None) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n or rng.randint(2, 5))).capitalize() + "."


def make_examples(seed: int = 0, n_gen: int = 48, n_disc: int = 24, n_res: int = 12) -> list:
    from training.format.schema import DiscriminativeExample, GenerativeExample, ResearchExample, ResearchStep

    rng = random.Random(seed)
    ctx = lambda: [sentence(rng) for _ in range(rng.randint(1, 2))]  # noqa: E731
    out: list = [GenerativeExample(ctx(), sentence(rng)) for _ in range(n_gen)]
    attrs = ("SENSIBLE", "SPECIFIC", "INTERESTING", "UNSAFE", "GROUNDED")
    out += [DiscriminativeExample(ctx(), sentence(rng), attrs[i % 5], i % 2) for i in range(n_disc)]
    for i in range(n_res):
        hist = [ResearchStep(sentence(rng, 2), [sentence(rng, 3)])] if i % 2 else []
        target = f"TS, {sentence(rng, 2)}" if i % 3 else f"User, {sentence(rng, 3)}"
        out.append(ResearchExample([sentence(rng)], sentence(rng, 3), hist, target))
    return out


@dataclass
class Assets:
    tokenizer: Path
    snapshot: Path
    other_tokenizer: Path  # a different tokenizer (same special tokens), for mismatch tests


@pytest.fixture(scope="session")
def assets(tmp_path_factory) -> Assets:
    from training.data.tokenizer import train_tokenizer
    from training.format.io import write_snapshot

    root = tmp_path_factory.mktemp("train_assets")
    examples = make_examples()
    write_snapshot(root / "snapshot", examples)
    rng = random.Random(1)
    texts = [sentence(rng) for _ in range(2000)]
    train_tokenizer(texts, root / "tok", vocab_size=400, num_threads=1)
    train_tokenizer(texts[:1000], root / "tok_other", vocab_size=320, num_threads=1)
    return Assets(root / "tok", root / "snapshot", root / "tok_other")


def env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def run_train(args: list[str], *, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    """`python -m training.train ARGS` in a fresh interpreter; returns the completed process (text mode)."""
    cmd = [sys.executable, "-m", "training.train", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout, **kw)


def base_args(assets: Assets, out: Path, *extra: str) -> list[str]:
    return ["--out", str(out), "--data", str(assets.snapshot), "--tokenizer", str(assets.tokenizer), *FAST, *extra]

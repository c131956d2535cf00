"""The demo corpus: the `chitchat-dataset` package (MIT licence, 7,168 human-human conversations shipped
inside the wheel as `chitchat_dataset/dataset.json`). Read from the installed package, never downloaded.

Each dialog is a list of turns (consecutive messages of one sender joined with a space); every turn becomes a
GenerativeExample whose context is the previous `max_context_turns` turns (none for a dialog's opening turn).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from training.errors import TrainInputError
from training.format.io import write_snapshot
from training.format.manifest import Manifest
from training.format.schema import GenerativeExample

PACKAGE = "chitchat-dataset"
LICENSE = "MIT"
DEFAULT_CONTEXT_TURNS = 4


def chitchat_path() -> Path:
    spec = importlib.util.find_spec("chitchat_dataset")
    path = Path(spec.origin).parent / "dataset.json" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise TrainInputError(
            f"the demo corpus needs the {PACKAGE} package (pip install {PACKAGE}==0.9.0); "
            "or pass --data with a dataset snapshot"
        )
    return path


def load_chitchat_dialogs(path: str | Path | None = None, *, max_dialogs: int | None = None) -> dict[str, list[str]]:
    """{conversation id: [turn, ...]} in file order; empty messages dropped, same-sender runs merged."""
    source = Path(path) if path else chitchat_path()
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise TrainInputError(f"{source}: cannot read the demo corpus ({err}); reinstall {PACKAGE}") from None
    dialogs: dict[str, list[str]] = {}
    for conv_id, conv in raw.items():
        if max_dialogs is not None and len(dialogs) >= max_dialogs:
            break
        turns: list[str] = []
        last_sender = None
        for group in conv.get("messages", []):
            text = " ".join(u.get("text", "").strip() for u in group if u.get("text", "").strip())
            if not text:
                continue
            sender = group[0].get("sender")
            if sender is not None and sender == last_sender:
                turns[-1] = f"{turns[-1]} {text}"
            else:
                turns.append(text)
            last_sender = sender
        if len(turns) >= 2:
            dialogs[conv_id] = turns
    return dialogs


def dialog_examples(
    dialogs: dict[str, list[str]], *, max_context_turns: int = DEFAULT_CONTEXT_TURNS
) -> Iterator[GenerativeExample]:
    """One GenerativeExample per turn, given up to `max_context_turns` previous turns as context."""
    if max_context_turns < 0:
        raise ValueError("max_context_turns must be >= 0")
    for conv_id, turns in dialogs.items():
        for i, turn in enumerate(turns):
            context = turns[max(0, i - max_context_turns) : i]
            yield GenerativeExample(context=context, response=turn, id=f"chitchat:{conv_id}:{i}")


def dialog_texts(dialogs: dict[str, list[str]]) -> Iterable[str]:
    """Every turn once: the text a tokenizer is trained on."""
    return (turn for turns in dialogs.values() for turn in turns)


def write_demo_snapshot(
    out_dir: str | Path,
    *,
    max_dialogs: int | None = None,
    max_context_turns: int = DEFAULT_CONTEXT_TURNS,
    format: str = "jsonl",
    overwrite: bool = False,
) -> Manifest:
    """Write the demo corpus as a dataset snapshot (generative examples only: the corpus has no ratings)."""
    dialogs = load_chitchat_dialogs(max_dialogs=max_dialogs)
    source = {
        "name": PACKAGE,
        "version": importlib.metadata.version(PACKAGE),
        "license": LICENSE,
        "dialogs": len(dialogs),
        "max_context_turns": max_context_turns,
    }
    examples = dialog_examples(dialogs, max_context_turns=max_context_turns)
    return write_snapshot(out_dir, examples, format=format, source=source, overwrite=overwrite)

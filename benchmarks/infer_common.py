"""Shared set-up of the inference benchmarks: the tiny preset (random init) with a 4K tokenizer trained on the
first demo dialogs, exported like a run's export and marked as fine-tuned for discrimination (so the scoring path
runs; the numbers measure cost, not quality)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from training.data.corpus import dialog_examples, dialog_texts, load_chitchat_dialogs  # noqa: E402
from training.data.tokenizer import train_tokenizer  # noqa: E402
from training.inference.export import export_model  # noqa: E402
from training.model.config import tiny  # noqa: E402
from training.run.parallel import build_model  # noqa: E402


def tiny_export(dialogs: int = 300, threads: int = 2, device: str = "cpu") -> tuple[Path, list]:
    """(export dir, the demo turns as GenerativeExamples) in a temporary folder."""
    torch.manual_seed(0)
    root = Path(tempfile.mkdtemp(prefix="lamda-infer-bench-"))
    chats = load_chitchat_dialogs(max_dialogs=dialogs)
    tok = train_tokenizer(dialog_texts(chats), root / "tok", vocab_size=4096, num_threads=threads)
    cfg = tiny().replace(vocab_size=tok.vocab_size)
    model = build_model(cfg, device=torch.device(device), seed=0)
    extra = {"discriminator": True, "note": "benchmark: random weights marked as a discriminator"}
    export_model(root / "export", model=model, model_config=cfg, tokenizer_dir=root / "tok", model_id="bench",
                 step=0, extra=extra)  # fmt: skip
    return root / "export", list(dialog_examples(chats))


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"

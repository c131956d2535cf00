"""A byte-level stand-in tokenizer with the format's special ids, and a small random-init model (CPU, seconds)."""

from __future__ import annotations

import torch

from training.format.specials import CONTROL_PIECES, RESERVED_IDS
from training.model.config import ModelConfig
from training.model.model import LaMDAModel

SPECIAL_IDS = {**RESERVED_IDS, "EOR": RESERVED_IDS["EOS"]}
SPECIAL_IDS.update({name: 4 + i for i, name in enumerate(CONTROL_PIECES)})
OFFSET = 4 + len(CONTROL_PIECES)


class ByteTok:
    """encode = UTF-8 bytes shifted past the special ids; enough for rendering, sampling and decoding."""

    vocab_size = OFFSET + 256
    bos_id = SPECIAL_IDS["BOS"]

    def special_id(self, name: str) -> int:
        return SPECIAL_IDS[name]

    def encode(self, text: str) -> list[int]:
        return [OFFSET + b for b in text.encode()]

    def decode(self, ids, show_special: bool = False) -> str:
        return bytes(i - OFFSET for i in ids if i >= OFFSET).decode(errors="replace")


def tiny_model(seed: int = 0, max_seq_len: int = 128, sharpen: float = 1.0) -> LaMDAModel:
    torch.manual_seed(seed)
    cfg = ModelConfig(
        vocab_size=ByteTok.vocab_size, d_model=32, n_layers=2, n_heads=4, d_head=8, d_ff=64, max_seq_len=max_seq_len
    )
    model = LaMDAModel(cfg, attention_backend="reference")
    with torch.no_grad():
        model.embed.weight.mul_(sharpen)
    return model.eval()

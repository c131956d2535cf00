"""SentencePiece BPE tokenizer with the rendering's special tokens (training/format/specials.py).

`train_tokenizer(texts, out_dir)` trains from an iterator (byte fallback, so any text encodes; special tokens
are control symbols, so they are atomic and never produced from text) and saves `tokenizer.model` +
`tokenizer.json` into out_dir, the folder a checkpoint/export keeps beside its weights.
`Tokenizer.load(dir)` reads them back.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import sentencepiece as spm

from training.errors import TrainInputError
from training.format.schema import FORMAT_VERSION
from training.format.specials import CONTROL_PIECES, RESERVED_IDS, SPECIAL_TOKENS

MODEL_FILE = "tokenizer.model"
META_FILE = "tokenizer.json"


class TokenizerError(TrainInputError, ValueError):
    """A tokenizer problem a user can fix (missing/corrupt files, wrong vocab for a checkpoint)."""


def _clean(texts: Iterable[str]) -> Iterator[str]:
    for text in texts:
        if isinstance(text, str) and text.strip():
            yield text


def train_tokenizer(
    texts: Iterable[str],
    out_dir: str | Path,
    *,
    vocab_size: int = 32000,
    max_sentences: int = 200_000,
    seed: int = 0,
    num_threads: int | None = None,
) -> Tokenizer:
    """Train a BPE model on (a random sample of at most `max_sentences` of) `texts`; save it in `out_dir`.

    On a small corpus the vocabulary may come out smaller than `vocab_size` (soft limit); use `.vocab_size`.
    """
    threads = num_threads or min(4, os.cpu_count() or 1)
    spm.set_random_generator_seed(seed)
    model = bytearray()

    class _Writer:  # sentencepiece writes the serialized model here
        def write(self, data: bytes) -> None:
            model.extend(data)

    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=_clean(texts),
            model_writer=_Writer(),
            model_type="bpe",
            vocab_size=vocab_size,
            byte_fallback=True,
            character_coverage=0.9995,
            normalization_rule_name="identity",  # decode(encode(x)) == x
            remove_extra_whitespaces=False,
            split_digits=True,
            unk_id=RESERVED_IDS["UNK"],
            bos_id=RESERVED_IDS["BOS"],
            eos_id=RESERVED_IDS["EOS"],
            pad_id=RESERVED_IDS["PAD"],
            control_symbols=list(CONTROL_PIECES.values()),
            input_sentence_size=max_sentences,
            shuffle_input_sentence=True,
            hard_vocab_limit=False,
            num_threads=threads,
            minloglevel=2,
        )
    except RuntimeError as err:
        msg = str(err).splitlines()[0] if str(err) else "training failed"
        raise TokenizerError(f"tokenizer training failed ({msg}); give more text or a different --vocab-size") from None
    tok = Tokenizer(bytes(model))
    tok.save(out_dir)
    return tok


class Tokenizer:
    """encode/decode text, ids of special tokens by name (see `SPECIAL_TOKENS`)."""

    def __init__(self, model_proto: bytes, *, where: str = "<memory>") -> None:
        self.model_proto = bytes(model_proto)
        self.where = where
        self.sp = spm.SentencePieceProcessor()
        try:
            self.sp.LoadFromSerializedProto(self.model_proto)
        except (RuntimeError, OSError) as err:
            raise TokenizerError(f"{where}: not a SentencePiece model ({err}); retrain the tokenizer") from None
        self._special = {}
        for name, piece in SPECIAL_TOKENS.items():
            idx = self.sp.piece_to_id(piece)
            if self.sp.id_to_piece(idx) != piece:
                raise TokenizerError(
                    f"{where}: lacks the special token {piece}; retrain the tokenizer with this trainer"
                )
            self._special[name] = idx
        self.special_ids = frozenset(self._special.values())

    # ---- files ----
    def save(self, out_dir: str | Path) -> Path:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / MODEL_FILE).write_bytes(self.model_proto)
        meta = {
            "type": "sentencepiece-bpe",
            "format_version": FORMAT_VERSION,
            "vocab_size": self.vocab_size,
            "sha256": self.fingerprint,
            "special_ids": dict(self._special),
        }
        (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        return out

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        """Load from a folder holding tokenizer.model (+ tokenizer.json, checked when present)."""
        folder = Path(path)
        model = folder / MODEL_FILE
        if not model.is_file():
            raise TokenizerError(f"{model}: missing; point at a folder with {MODEL_FILE} or train a new tokenizer")
        tok = cls(model.read_bytes(), where=str(model))
        meta_path = folder / META_FILE
        if meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text())
            except json.JSONDecodeError:
                raise TokenizerError(f"{meta_path}: not valid JSON; copy it again with {MODEL_FILE}") from None
            if meta.get("sha256") != tok.fingerprint or meta.get("special_ids") != tok._special:
                raise TokenizerError(
                    f"{meta_path}: does not describe the {MODEL_FILE} beside it; copy both from the same run"
                )
        return tok

    # ---- ids ----
    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_proto).hexdigest()

    @property
    def vocab_size(self) -> int:
        return self.sp.get_piece_size()

    @property
    def bos_id(self) -> int:
        return self._special["BOS"]

    @property
    def eos_id(self) -> int:
        return self._special["EOS"]

    @property
    def eor_id(self) -> int:
        """End of a response (or of a research output): stop generating here. Same id as eos."""
        return self._special["EOR"]

    @property
    def pad_id(self) -> int:
        return self._special["PAD"]

    def special_id(self, name: str) -> int:
        try:
            return self._special[name]
        except KeyError:
            raise KeyError(f"unknown special token {name!r}; known: {', '.join(self._special)}") from None

    def check_matches(self, vocab_size: int, *, what: str = "the checkpoint") -> None:
        if vocab_size != self.vocab_size:
            raise TokenizerError(
                f"{self.where}: tokenizer has {self.vocab_size} tokens but {what} expects {vocab_size}; "
                "use the tokenizer saved beside that checkpoint"
            )

    # ---- text ----
    def encode(self, text: str) -> list[int]:
        return self.sp.encode(text)

    def encode_batch(self, texts: list[str], *, num_threads: int = 2) -> list[list[int]]:
        return self.sp.encode(texts, num_threads=num_threads)

    def decode(self, ids: Iterable[int], *, show_special: bool = False) -> str:
        """Text of `ids`. Special tokens are dropped, or shown as pieces (e.g. '<RESPONSE>') for debugging."""
        ids = [int(i) for i in ids]
        if not show_special:
            return self.sp.decode([i for i in ids if i not in self.special_ids])
        parts, run = [], []
        for i in ids:
            if i in self.special_ids:
                if run:
                    parts.append(self.sp.decode(run))
                    run = []
                parts.append(self.sp.id_to_piece(i))
            else:
                run.append(i)
        if run:
            parts.append(self.sp.decode(run))
        return " ".join(parts)

"""SentencePiece BPE tokenizer: special tokens, byte fallback, save/load, mismatch errors."""

import json
import shutil

import pytest

from training.data.tokenizer import META_FILE, MODEL_FILE, Tokenizer, TokenizerError, train_tokenizer
from training.format.specials import CONTROL_PIECES, SPECIAL_TOKENS

from .fixtures.examples import tiny_tokenizer


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer()


def test_vocab_size_and_reserved_ids(tok):
    assert tok.vocab_size == 1024
    assert (tok.special_id("UNK"), tok.bos_id, tok.eos_id, tok.pad_id) == (0, 1, 2, 3)
    assert tok.eor_id == tok.eos_id == tok.special_id("EOR")


def test_special_tokens_are_distinct_single_ids(tok):
    ids = {name: tok.special_id(name) for name in SPECIAL_TOKENS if name != "EOR"}
    assert len(set(ids.values())) == len(ids)
    assert [tok.special_id(n) for n in CONTROL_PIECES] == list(range(4, 4 + len(CONTROL_PIECES)))
    assert tok.decode([tok.special_id("RESPONSE")], show_special=True) == "<RESPONSE>"
    with pytest.raises(KeyError, match="unknown special token 'NOPE'"):
        tok.special_id("NOPE")


@pytest.mark.parametrize("text", ["What's up?", "  two  spaces\tand tab", "naïve café 😀 東京", "x" * 300, "<1>"])
def test_any_text_round_trips(tok, text):
    ids = tok.encode(text)
    assert 0 not in ids  # byte fallback: never <unk>
    assert tok.decode(ids) == text


def test_batch_encode_matches(tok):
    texts = ["hello there", "how are you?"]
    assert tok.encode_batch(texts) == [tok.encode(t) for t in texts]


def test_save_and_load(tok, tmp_path):
    tok.save(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {MODEL_FILE, META_FILE}
    meta = json.loads((tmp_path / META_FILE).read_text())
    assert meta["vocab_size"] == 1024 and meta["special_ids"]["RESPONSE"] == tok.special_id("RESPONSE")
    again = Tokenizer.load(tmp_path)
    assert again.fingerprint == tok.fingerprint
    assert again.encode("What's up? not much.") == tok.encode("What's up? not much.")


def test_training_is_deterministic(tmp_path):
    texts = [f"line {i} about cats and dogs number {i * 7}" for i in range(300)]
    a = train_tokenizer(texts, tmp_path / "a", vocab_size=400, seed=3, num_threads=1)
    b = train_tokenizer(texts, tmp_path / "b", vocab_size=400, seed=3, num_threads=1)
    assert a.fingerprint == b.fingerprint


def test_vocab_too_small_is_a_clear_error(tmp_path):
    with pytest.raises(TokenizerError, match="tokenizer training failed.*--vocab-size"):
        train_tokenizer(["hello world"] * 50, tmp_path, vocab_size=100)


def test_load_missing(tmp_path):
    with pytest.raises(TokenizerError, match=r"tokenizer.model: missing"):
        Tokenizer.load(tmp_path)


def test_load_corrupt_model(tmp_path):
    (tmp_path / MODEL_FILE).write_bytes(b"not a model")
    with pytest.raises(TokenizerError, match="not a SentencePiece model"):
        Tokenizer.load(tmp_path)


def test_load_with_foreign_json(tok, tmp_path):
    tok.save(tmp_path)
    meta = json.loads((tmp_path / META_FILE).read_text())
    meta["sha256"] = "0" * 64
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(TokenizerError, match="does not describe the tokenizer.model beside it"):
        Tokenizer.load(tmp_path)


def test_model_without_our_special_tokens_is_rejected(tmp_path):
    import sentencepiece as spm

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(["hello world foo bar"] * 50),
        model_prefix=str(tmp_path / "plain"),
        vocab_size=15,
        minloglevel=2,
    )
    shutil.copy(tmp_path / "plain.model", tmp_path / MODEL_FILE)
    with pytest.raises(TokenizerError, match="lacks the special token"):
        Tokenizer.load(tmp_path)


def test_check_matches(tok):
    tok.check_matches(1024)
    with pytest.raises(TokenizerError, match="tokenizer has 1024 tokens but the checkpoint expects 4096"):
        tok.check_matches(4096)

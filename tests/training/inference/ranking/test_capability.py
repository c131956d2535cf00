"""Detecting a checkpoint never fine-tuned for discrimination, from its export's provenance."""

import json

import pytest
import torch

from tests.training.train_helpers import assets  # noqa: F401
from training.data.tokenizer import Tokenizer
from training.format.io import write_snapshot
from training.format.schema import DiscriminativeExample, GenerativeExample
from training.inference import ChatModel, NotADiscriminator, RankSettings
from training.inference.export import export_model
from training.inference.ranking.capability import ALL_ATTRIBUTES, has_discriminator, trained_attributes
from training.model.config import ModelConfig
from training.run.parallel import build_model


def test_mixture_weight_snapshot_contents_and_parents(tmp_path):
    assert has_discriminator({})[0] is False
    assert has_discriminator({"train_config": {"mixture": {"generative": 1}, "data": []}})[0] is False
    assert has_discriminator({"train_config": {"mixture": {"discriminative": 0.5}}})[0] is True
    gen_only, both = tmp_path / "gen", tmp_path / "both"
    write_snapshot(gen_only, [GenerativeExample(["a"], "b")])
    write_snapshot(both, [GenerativeExample(["a"], "b"), DiscriminativeExample(["a"], "b", "SENSIBLE", 1)])
    assert has_discriminator({"train_config": {"data": [str(gen_only)]}})[0] is False
    assert has_discriminator({"train_config": {"data": [str(both)]}})[0] is True
    assert has_discriminator({"train_config": {"data": [str(both)], "mixture": {"discriminative": 0}}})[0] is False
    parent = tmp_path / "parent"
    parent.mkdir()
    (parent / "config.json").write_text(json.dumps({"train_config": {"mixture": {"discriminative": 1}}}))
    ok, why = has_discriminator({"train_config": {"init_from": str(parent), "mixture": {"generative": 1}}})
    assert ok and "fine-tuned from" in why
    assert has_discriminator({"discriminator": False, "train_config": {"mixture": {"discriminative": 1}}})[0] is False


def _export(root, assets, extra):  # noqa: F811
    torch.manual_seed(0)
    tok = Tokenizer.load(assets.tokenizer)
    cfg = ModelConfig(vocab_size=tok.vocab_size, d_model=32, n_layers=1, n_heads=2, d_head=16, d_ff=64, max_seq_len=96)
    return export_model(
        root, model=build_model(cfg, device="cpu"), model_config=cfg, tokenizer_dir=assets.tokenizer,
        model_id="pt-only", step=0, extra=extra,
    )  # fmt: skip


def test_chat_model_refuses_discriminator_ranking_of_a_pre_trained_only_export(tmp_path, assets):  # noqa: F811
    pt = ChatModel.load(_export(tmp_path / "pt", assets, {"train_config": {"mixture": {}, "data": []}}))
    assert pt.has_discriminator is False
    with pytest.raises(NotADiscriminator, match="model 'pt-only' was never fine-tuned for discrimination"):
        pt.reply(["hello how are you"], {"num_candidates": 2, "max_new_tokens": 4})
    out = pt.reply(["hello how are you"], {"num_candidates": 3, "max_new_tokens": 4, "ranking": "pt", "seed": 0})
    assert out.ranking == "pt" and len(out.candidates) == 3 and out.model_id == "pt-only" and out.model_version
    ft = ChatModel.load(_export(tmp_path / "ft", assets, {"train_config": {"mixture": {"discriminative": 1.0}}}))
    scored = ft.reply(["hello how are you"], RankSettings(num_candidates=3, max_new_tokens=4, seed=0))
    assert scored.ranking == "discriminator" and all(len(c.scores) == 4 for c in scored.candidates)


def _exported_snapshot(path, attributes):
    """A snapshot whose manifest counts attributes the way the platform's exporter writes them."""
    write_snapshot(
        path,
        [DiscriminativeExample(["a"], "b", a, 1) for a in attributes],
        source={"counts": {"train": {"discriminative": {a: 1 for a in attributes}}}},
    )
    return str(path)


def test_trained_attributes_come_from_the_exporter_counts_and_parents(tmp_path):
    quality = _exported_snapshot(tmp_path / "q", ["SENSIBLE", "SPECIFIC", "INTERESTING"])
    safety = _exported_snapshot(tmp_path / "s", ["UNSAFE"])
    hand_made = tmp_path / "h"
    write_snapshot(hand_made, [DiscriminativeExample(["a"], "b", "SENSIBLE", 1)])
    assert trained_attributes({"train_config": {"data": [quality]}}) == {"SENSIBLE", "SPECIFIC", "INTERESTING"}
    assert trained_attributes({"train_config": {"data": [quality, safety]}}) == ALL_ATTRIBUTES - {"GROUNDED"}
    assert trained_attributes({"train_config": {"data": [str(hand_made)]}}) == ALL_ATTRIBUTES  # cannot tell
    assert trained_attributes({"train_config": {"mixture": {"discriminative": 1}}}) == ALL_ATTRIBUTES
    parent = tmp_path / "parent"
    parent.mkdir()
    (parent / "config.json").write_text(json.dumps({"train_config": {"data": [safety]}}))
    child = {"train_config": {"data": [quality], "init_from": str(parent)}}
    assert "UNSAFE" in trained_attributes(child)
    assert trained_attributes({"discriminator_attributes": ["UNSAFE"]}) == {"UNSAFE"}


def test_a_model_never_trained_on_unsafe_is_not_filtered_by_its_unsafe_noise(tmp_path, assets):  # noqa: F811
    quality = _exported_snapshot(tmp_path / "q", ["SENSIBLE", "SPECIFIC", "INTERESTING"])
    chat = ChatModel.load(_export(tmp_path / "ft", assets, {"train_config": {"data": [quality]}}))
    assert chat.untrained == {"UNSAFE", "GROUNDED"}
    # a threshold of 1.0 drops every candidate scored on UNSAFE; here UNSAFE is left out, so none is dropped
    out = chat.reply(["hello"], {"num_candidates": 3, "max_new_tokens": 4, "seed": 0, "safety_threshold": 1.0})
    assert out.ignored_attributes == ["UNSAFE"] and not out.fallback_used
    assert all("UNSAFE" not in c.scores and c.p_safe is None for c in out.candidates if not c.dropped)

"""Export (safetensors + config + tokenizer) and the ChatModel API the platform's `local` backend calls."""

import json

import pytest
import torch

from tests.training.train_helpers import assets  # noqa: F401
from training.data.batches import TokenBatches
from training.data.tokenizer import Tokenizer
from training.errors import TrainInputError
from training.format.io import load_snapshot
from training.inference import ChatModel, Reply
from training.inference.export import export_model, load_exported
from training.model.config import ModelConfig
from training.run.loop import micro_batch_loss
from training.run.optim import build_optimizer
from training.run.parallel import build_model
from training.run.train_config import TrainConfig


@pytest.fixture(scope="module")
def exported(tmp_path_factory, assets):  # noqa: F811
    """A model trained for a few steps on the test snapshot, exported like a run's final export."""
    torch.manual_seed(0)
    tok = Tokenizer.load(assets.tokenizer)
    cfg = ModelConfig(vocab_size=tok.vocab_size, d_model=64, n_layers=2, n_heads=2, d_head=32, d_ff=128, max_seq_len=96)
    model = build_model(cfg, device="cpu")
    opt = build_optimizer(model, TrainConfig(lr=3e-3, warmup_steps=0))
    snap = load_snapshot(assets.snapshot)
    batches = TokenBatches.from_examples(snap.examples, tok, seq_len=64, global_batch_size=8, seed=0)
    for _ in range(30):
        batch = next(batches)
        denom = torch.tensor(float(batch.global_loss_tokens))
        micro_batch_loss(model, batch, denom=denom)[0].backward()
        opt.step()
        opt.zero_grad()
    out = tmp_path_factory.mktemp("export") / "export"
    export_model(out, model=model, model_config=cfg, tokenizer_dir=assets.tokenizer, model_id="unit", step=30)
    return out, model


def test_export_round_trips_the_weights(exported):
    path, model = exported
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors", "tokenizer"]
    loaded, tok, config = load_exported(path)
    assert config.model_id == "unit" and config.step == 30 and config.model_version.startswith("step30-")
    ref = model.state_dict()
    for name, tensor in loaded.state_dict().items():
        assert torch.equal(tensor, ref[name]), name
    ids = torch.tensor([[tok.bos_id, *tok.encode("hello how are you")]])
    assert torch.equal(loaded(ids), model.eval()(ids))


def test_chat_model_replies_with_text_and_provenance(exported):
    path, _ = exported
    chat = ChatModel.load(path)
    reply = chat.respond(["Hi! How are you doing today?"], top_k=40, temperature=0.8, max_new_tokens=16, seed=3)
    assert isinstance(reply, Reply) and reply.text.strip()
    assert (
        reply.model_id == "unit"
        and reply.model_version == json.loads((path / "config.json").read_text())["model_version"]
    )
    assert reply.sampling == {"top_k": 40, "temperature": 0.8, "max_new_tokens": 16, "seed": 3, "num_candidates": 1}
    again = chat.respond(["Hi! How are you doing today?"], top_k=40, temperature=0.8, max_new_tokens=16, seed=3)
    assert again.text == reply.text  # seeded sampling is reproducible
    cands = chat.respond_candidates(["Hi!"], num_candidates=4, max_new_tokens=8, seed=1)
    assert len(cands) == 4 and all(isinstance(c.logprob, float) for c in cands)


def test_long_context_keeps_the_most_recent_turns(exported):
    chat = ChatModel.load(exported[0])
    reply = chat.respond(["tennis player age " * 40] * 5, max_new_tokens=8, seed=0)  # far longer than 96 tokens
    assert isinstance(reply.text, str)


def test_missing_export_dir_is_a_clear_error(tmp_path):
    with pytest.raises(TrainInputError, match=r"no-export: export dir not found"):
        ChatModel.load(tmp_path / "no-export")


def test_dir_without_config_is_a_clear_error(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(TrainInputError, match=r"config.json: missing, so .* is not an export"):
        ChatModel.load(tmp_path / "x")


def test_truncated_weights_are_a_clear_error(exported, tmp_path):
    import shutil

    broken = shutil.copytree(exported[0], tmp_path / "broken")
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(TrainInputError, match=r"model.safetensors: content changed after the export"):
        ChatModel.load(broken)


def test_garbage_config_is_a_clear_error(exported, tmp_path):
    import shutil

    broken = shutil.copytree(exported[0], tmp_path / "broken")
    (broken / "config.json").write_text("[1, 2")
    with pytest.raises(TrainInputError, match=r"config.json: invalid export config"):
        ChatModel.load(broken)


def test_weights_overwritten_in_place_are_refused(exported, tmp_path):
    import shutil

    broken = shutil.copytree(exported[0], tmp_path / "broken")
    weights = broken / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-4000:] = b"\x7f" * 4000  # same size: the tensors still parse, the values are garbage
    weights.write_bytes(bytes(data))
    with pytest.raises(TrainInputError, match=r"model.safetensors: content changed after the export"):
        ChatModel.load(broken)


def test_export_refuses_non_finite_weights(exported, tmp_path, assets):  # noqa: F811
    from training.errors import TrainingHalted

    _, model = exported
    poisoned = build_model(model.cfg, device="cpu")
    poisoned.load_state_dict(model.state_dict())
    with torch.no_grad():
        poisoned.layers[1].ff.w_up.weight[3, 5] = float("nan")
    out = tmp_path / "export"
    with pytest.raises(TrainingHalted, match=r"not exported: parameters layers.1.ff.w_up.weight hold NaN/inf"):
        export_model(out, model=poisoned, model_config=model.cfg, tokenizer_dir=assets.tokenizer, model_id="x", step=1)
    assert not out.exists() and not (tmp_path / "export.tmp").exists()


def test_loading_an_export_with_non_finite_weights_is_a_clear_error(exported, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    from training.format.io import sha256_file

    broken = shutil.copytree(exported[0], tmp_path / "broken")
    weights = broken / "model.safetensors"
    tensors = load_file(str(weights))
    tensors["norm.weight"][0] = float("inf")
    save_file(tensors, str(weights), metadata={"format": "lamda-export"})
    config = json.loads((broken / "config.json").read_text())
    config["weights_sha256"] = sha256_file(weights)  # a consistent export of bad weights
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(TrainInputError, match=r"model.safetensors: weights norm.weight hold NaN/inf"):
        ChatModel.load(broken)

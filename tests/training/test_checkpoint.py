"""DCP checkpoints: round trip, atomic rename, partial saves never resumed, corrupt files -> one-line errors."""

import shutil

import pytest
import torch

from tests.training.train_helpers import assets  # noqa: F401
from training.errors import TrainInputError
from training.model.config import ModelConfig
from training.run import checkpoint as ckpt
from training.run.optim import build_optimizer
from training.run.parallel import build_model
from training.run.train_config import TrainConfig

CFG = ModelConfig(vocab_size=400, d_model=32, n_layers=2, n_heads=2, d_head=16, d_ff=64, max_seq_len=64)


def _model_and_opt(seed: int = 0, steps: int = 1):
    torch.manual_seed(seed)
    model = build_model(CFG, device="cpu")
    opt = build_optimizer(model, TrainConfig(lr=1e-2, warmup_steps=0))
    for _ in range(steps):
        ids = torch.randint(0, CFG.vocab_size, (2, 16))
        model(ids).logsumexp(-1).mean().backward()
        opt.step()
        opt.zero_grad()
    return model, opt


def _save(root, step, model, opt, tok_dir, keep=2):
    return ckpt.save_checkpoint(
        root,
        step=step,
        model=model,
        optimizer=opt,
        train_state={"step": step, "data": {"pos": step * 3}, "rng": {"torch": torch.get_rng_state()}},
        model_config=CFG.to_dict(),
        train_config=TrainConfig().to_dict(),
        tokenizer_dir=tok_dir,
        keep=keep,
    )


def test_round_trip_restores_weights_optimizer_and_train_state(tmp_path, assets):  # noqa: F811
    model, opt = _model_and_opt(steps=2)
    path = _save(tmp_path, 2, model, opt, assets.tokenizer)
    assert path.name == "step_0000002" and (path / "tokenizer" / "tokenizer.model").exists()
    assert (path / "model_config.json").exists() and (path / "train_config.json").exists()

    model2, opt2 = _model_and_opt(seed=1, steps=0)
    state = ckpt.load_checkpoint(path, model=model2, optimizer=opt2)
    assert state["step"] == 2 and state["data"] == {"pos": 6}
    for a, b in zip(model.parameters(), model2.parameters(), strict=True):
        assert torch.equal(a, b)
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert all(torch.equal(s1[k]["exp_avg_sq"], s2[k]["exp_avg_sq"]) for k in s1)
    assert all(float(s1[k]["step"]) == float(s2[k]["step"]) == 2 for k in s1)


def test_partial_save_is_never_resumed_and_is_cleaned_up(tmp_path, assets, monkeypatch):  # noqa: F811
    model, opt = _model_and_opt()
    good = _save(tmp_path, 2, model, opt, assets.tokenizer)

    def killed_mid_save(state, checkpoint_id, **kw):
        (ckpt.Path(checkpoint_id) / "__0_0.distcp").write_bytes(b"half a shard")
        raise KeyboardInterrupt  # stands in for SIGKILL in the middle of writing

    monkeypatch.setattr(ckpt.dcp, "save", killed_mid_save)
    with pytest.raises(KeyboardInterrupt):
        _save(tmp_path, 4, model, opt, assets.tokenizer)
    assert (tmp_path / "step_0000004.tmp").is_dir()
    assert ckpt.latest_checkpoint(tmp_path) == good
    assert ckpt.cleanup_partial(tmp_path) == [tmp_path / "step_0000004.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_0000002"]


def test_keeps_only_the_newest_checkpoints(tmp_path, assets):  # noqa: F811
    model, opt = _model_and_opt()
    for step in (1, 2, 3):
        _save(tmp_path, step, model, opt, assets.tokenizer, keep=2)
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path)] == [2, 3]


@pytest.fixture
def saved(tmp_path, assets):  # noqa: F811
    model, opt = _model_and_opt()
    return _save(tmp_path, 1, model, opt, assets.tokenizer)


def _load_error(path) -> str:
    model, opt = _model_and_opt(seed=1, steps=0)
    with pytest.raises(TrainInputError) as err:
        ckpt.load_checkpoint(path, model=model, optimizer=opt)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg
    return msg


def test_truncated_shard_is_reported_with_the_file_and_fix(saved):
    shard = saved / "__0_0.distcp"
    shard.write_bytes(shard.read_bytes()[:100])
    msg = _load_error(saved)
    assert "__0_0.distcp" in msg and "truncated" in msg and "delete that checkpoint" in msg


def _garble_metadata(path) -> None:
    meta = path / ".metadata"
    meta.write_bytes(b"\x00garbage" * (meta.stat().st_size // 8) + b"\x00" * (meta.stat().st_size % 8))


def _as_format_1(path) -> None:
    """Rewrite the manifest like a checkpoint written before sha256s were recorded (sizes only)."""
    import json

    mpath = path / "checkpoint.json"
    manifest = json.loads(mpath.read_text())
    manifest["files"] = {rel: e["size"] for rel, e in manifest["files"].items()}
    manifest["format_version"] = 1
    mpath.write_text(json.dumps(manifest))


def test_garbage_dcp_metadata_is_reported(saved):
    _garble_metadata(saved)
    msg = _load_error(saved)
    assert ".metadata: content changed after the save" in msg


def test_garbage_dcp_metadata_without_hashes_is_a_dcp_load_error(saved):
    _as_format_1(saved)
    _garble_metadata(saved)
    assert "cannot load DCP checkpoint" in _load_error(saved)


def test_garbage_manifest_is_reported(saved):
    (saved / "checkpoint.json").write_text("{not json")
    assert "checkpoint.json" in _load_error(saved)


def test_tokenizer_that_does_not_match_the_checkpoint(saved, assets):  # noqa: F811
    shutil.copy(assets.other_tokenizer / "tokenizer.model", saved / "tokenizer" / "tokenizer.model")
    msg = _load_error(saved)
    assert "tokenizer.model" in msg and "does not match" in msg


def test_shard_overwritten_in_place_is_refused(saved):
    """Same size, different bytes: the size check passes, the sha256 check must not."""
    shard = saved / "__0_0.distcp"
    data = bytearray(shard.read_bytes())
    data[1000:5000] = b"\x7f" * 4000
    shard.write_bytes(bytes(data))
    msg = _load_error(saved)
    assert "__0_0.distcp" in msg and "sha256" in msg and "delete that checkpoint" in msg


def test_manifest_lists_size_and_sha256_of_every_file(saved):
    import json

    from training.format.io import sha256_file

    manifest = json.loads((saved / "checkpoint.json").read_text())
    assert manifest["format_version"] == 2
    on_disk = sorted(str(p.relative_to(saved)) for p in saved.rglob("*") if p.is_file() and p.name != "checkpoint.json")
    assert sorted(manifest["files"]) == on_disk
    for rel, entry in manifest["files"].items():
        assert entry == {"size": (saved / rel).stat().st_size, "sha256": sha256_file(saved / rel)}, rel


def test_format_1_manifest_with_sizes_only_still_loads(saved):
    _as_format_1(saved)
    model, opt = _model_and_opt(seed=1, steps=0)
    assert ckpt.load_checkpoint(saved, model=model, optimizer=opt)["step"] == 1


def test_a_checkpoint_with_nan_weights_and_matching_hashes_is_refused_on_load(tmp_path, assets):  # noqa: F811
    """The hashes only prove the files are what was written; NaN weights written (or edited with their hashes)
    must still not be resumed from: the run would halt again at once, forever."""
    model, opt = _model_and_opt(steps=1)
    with torch.no_grad():
        next(model.parameters())[0].fill_(float("nan"))
    path = _save(tmp_path, 1, model, opt, assets.tokenizer)  # save_checkpoint itself does not judge weights
    fresh, fresh_opt = _model_and_opt(seed=1, steps=0)
    with pytest.raises(TrainInputError, match="hold NaN or inf.*delete that checkpoint"):
        ckpt.load_checkpoint(path, model=fresh, optimizer=fresh_opt)
    with pytest.raises(TrainInputError, match="hold NaN or inf"):
        ckpt.load_model_weights(path, model=fresh)

"""Bad input -> ONE line naming the file and the fix, exit code 2, no traceback, no partial checkpoint left.

Most cases call `training.train.main(argv)` in-process (fast); two run the real CLI in a subprocess to pin the
process-level behaviour (exit status, nothing but the one line on stderr).
"""

import json
import shutil

import pytest

from tests.training.train_helpers import assets, base_args, run_train  # noqa: F401
from training.train import main


def _no_partial(out, *, fresh: bool = True) -> None:
    """No half-written checkpoint or export; a fresh run dir got no checkpoint at all."""
    ckdir = out / "checkpoints"
    assert not list(ckdir.glob("*.tmp")) if ckdir.exists() else True
    assert not (out / "export.tmp").exists()
    if fresh:
        assert not list(ckdir.glob("step_*")) if ckdir.exists() else True
        assert not (out / "export").exists()


def _fails(capsys, argv, *must_contain) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    for needle in must_contain:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_unknown_preset_subprocess(tmp_path):
    proc = run_train(["--preset", "huge", "--out", str(tmp_path / "o")])
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: unknown preset 'huge'; choose one of: tiny, lamda_2b, lamda_8b, lamda_137b"
    ]
    assert not (tmp_path / "o").exists()


def test_bad_flag_value_is_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--steps", "many"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: argument --steps: invalid int value: 'many'; see python -m training.train --help"
    ]


def test_missing_dataset_dir(tmp_path, capsys, assets):  # noqa: F811
    out, missing = tmp_path / "o", tmp_path / "no-such-snapshot"
    argv = base_args(assets, out)
    argv[argv.index(str(assets.snapshot))] = str(missing)
    _fails(capsys, argv, str(missing))
    _no_partial(out)


def test_malformed_dataset_file(tmp_path, capsys, assets):  # noqa: F811
    snap = tmp_path / "snap"
    shutil.copytree(assets.snapshot, snap)
    shard = sorted((snap / "data").glob("generative-*.jsonl"))[0]
    lines = shard.read_text().splitlines()
    lines[3] = '{"context": ["hi"], "response": '  # cut in the middle of a line
    shard.write_text("\n".join(lines) + "\n")
    out = tmp_path / "o"
    argv = base_args(assets, out)
    argv[argv.index(str(assets.snapshot))] = str(snap)
    _fails(capsys, argv, str(shard))
    _no_partial(out)


def test_example_longer_than_the_context(tmp_path, capsys, assets):  # noqa: F811
    out = tmp_path / "o"
    line = _fails(capsys, [*base_args(assets, out), "--seq-len", "16"], "--seq-len", "--truncate-long")
    assert str(assets.snapshot) in line
    _no_partial(out)


def test_mixture_asks_for_a_kind_the_data_lacks(tmp_path, capsys, assets):  # noqa: F811
    _fails(capsys, [*base_args(assets, tmp_path / "o"), "--mixture", "generative=1,chitchat=2"], "--mixture")


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, assets):  # noqa: F811
    """One finished 2-step run (checkpoints + export), shared: tests that damage it work on a copy."""
    out = tmp_path_factory.mktemp("cli_errors") / "run"
    proc = run_train(base_args(assets, out, "--steps", "2", "--ckpt-every", "1"))
    assert proc.returncode == 0, proc.stderr
    return out


def test_corrupt_checkpoint_subprocess(trained_run, tmp_path, assets):  # noqa: F811
    trained_run = shutil.copytree(trained_run, tmp_path / "run")
    shutil.rmtree(trained_run / "export")
    shard = trained_run / "checkpoints" / "step_0000002" / "__0_0.distcp"
    shard.write_bytes(shard.read_bytes()[:64])
    proc = run_train(base_args(assets, trained_run, "--steps", "4", "--no-export"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(shard) in lines[0] and "delete that checkpoint dir" in lines[0], proc.stderr
    _no_partial(trained_run, fresh=False)
    assert json.loads((trained_run / "metrics.jsonl").read_text().splitlines()[-1])["step"] == 2  # nothing trained


def test_tokenizer_that_does_not_match_the_checkpoint(trained_run, capsys, assets):  # noqa: F811
    argv = base_args(assets, trained_run, "--steps", "4")
    argv[argv.index(str(assets.tokenizer))] = str(assets.other_tokenizer)
    _fails(capsys, argv, str(assets.other_tokenizer / "tokenizer.model"), "does not match")
    _no_partial(trained_run, fresh=False)


def test_init_from_export_whose_tokenizer_vocab_differs(trained_run, tmp_path, capsys, assets):  # noqa: F811
    export = shutil.copytree(trained_run / "export", tmp_path / "export")
    shutil.copy(assets.other_tokenizer / "tokenizer.model", export / "tokenizer" / "tokenizer.model")
    shutil.copy(assets.other_tokenizer / "tokenizer.json", export / "tokenizer" / "tokenizer.json")
    cfg = json.loads((export / "config.json").read_text())
    cfg["tokenizer_sha256"] = json.loads((assets.other_tokenizer / "tokenizer.json").read_text())["sha256"]
    (export / "config.json").write_text(json.dumps(cfg))
    out = tmp_path / "ft"
    argv = ["--out", str(out), "--data", str(assets.snapshot), "--init-from", str(export), "--seq-len", "64"]
    _fails(capsys, argv, "tokenizer.model", "320 tokens", "expects 400")
    _no_partial(out)


def test_resume_with_different_data_flags(trained_run, capsys, assets):  # noqa: F811
    _fails(capsys, base_args(assets, trained_run, "--seed", "7"), "train_config.json", "--seed", "new --out")


def test_garbage_dcp_metadata_subprocess_is_one_line(trained_run, tmp_path, assets):  # noqa: F811
    """DCP logs its metadata fallbacks with tracebacks to the root logger; the user sees only our one line."""
    from tests.training.test_checkpoint import _as_format_1, _garble_metadata

    run = shutil.copytree(trained_run, tmp_path / "run")
    ckdir = run / "checkpoints" / "step_0000002"
    _as_format_1(ckdir)  # no sha256s: the garbage reaches dcp.load
    _garble_metadata(ckdir)
    proc = run_train(base_args(assets, run, "--steps", "4", "--no-export"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot load DCP checkpoint" in lines[0], proc.stderr


def test_shard_overwritten_in_place_subprocess(trained_run, tmp_path, assets):  # noqa: F811
    run = shutil.copytree(trained_run, tmp_path / "run")
    shard = run / "checkpoints" / "step_0000002" / "__0_0.distcp"
    data = bytearray(shard.read_bytes())
    data[2000:6000] = b"\x00" * 4000
    shard.write_bytes(bytes(data))
    proc = run_train(base_args(assets, run, "--steps", "4", "--no-export"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(shard) in lines[0] and "sha256" in lines[0], proc.stderr
    assert (shard.parent / "checkpoint.json").exists()  # never deleted: the user decides
    assert json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])["step"] == 2  # nothing trained


def test_model_arg_vocab_size_that_differs_from_the_tokenizer(tmp_path, capsys, assets):  # noqa: F811
    argv = [*base_args(assets, tmp_path / "o"), "--model-arg", "vocab_size=999"]
    _fails(capsys, argv, "--model-arg vocab_size=999", "has 400 tokens")
    assert (
        main([*base_args(assets, tmp_path / "ok", "--steps", "1", "--no-export"), "--model-arg", "vocab_size=400"]) == 0
    )


def test_nproc_per_node_launch_keeps_a_user_error_to_one_line(tmp_path, assets):  # noqa: F811
    """torchrun adds its own ChildFailedError traceback; --nproc-per-node runs the same ranks without it."""
    argv = base_args(assets, tmp_path / "o")
    argv[argv.index(str(assets.snapshot))] = str(tmp_path / "missing")
    proc = run_train(["--nproc-per-node", "2", *argv], timeout=180)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'missing'}: no such dataset snapshot folder; check the path (see docs/dataset-format.md)"
    ], proc.stderr

"""Snapshot I/O: JSONL and Parquet round trips, the committed fixtures, and every validation error."""

import json
import shutil

import pytest

from training.format import DatasetError, example_to_dict
from training.format.io import load_snapshot, sha256_file, write_snapshot
from training.format.manifest import read_manifest

from .fixtures.examples import CREATED_AT, MALFORMED, MIXTURE_HINT, VALID, spec_examples


def dicts(snap):
    return [example_to_dict(ex) for kind in snap.examples for ex in snap.examples[kind]]


def test_committed_fixture_loads():
    snap = load_snapshot(VALID)
    assert snap.manifest.format_version == "1.0"
    assert snap.manifest.mixture == MIXTURE_HINT
    assert {k: len(v) for k, v in snap.examples.items()} == {
        "generative": 4,
        "discriminative": 5,
        "research": 2,
    }
    assert snap.origins["discriminative"][2].endswith("discriminative-00000.jsonl:3")
    assert dicts(snap) == [example_to_dict(ex) for ex in spec_examples()]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_write_then_read_round_trips(tmp_path, fmt):
    out = tmp_path / "snap"
    manifest = write_snapshot(out, spec_examples(), format=fmt, source={"export_id": 7}, shard_size=2)
    assert not [p for p in tmp_path.iterdir() if p.name != "snap"], "temp folder left behind"
    raw = json.loads((out / "manifest.json").read_text())
    assert raw["format_version"] == "1.1" and raw["source"] == {"export_id": 7}
    assert {f["split"] for f in raw["files"]} == {"train"}
    assert sum(f["num_examples"] for f in raw["files"]) == len(spec_examples())
    assert all(f["format"] == fmt and f["path"].endswith(f".{fmt}") for f in raw["files"])
    assert all(sha256_file(out / f["path"]) == f["sha256"] for f in raw["files"])
    assert len([f for f in raw["files"] if f["kind"] == "discriminative"]) == 3  # 5 examples, shards of 2
    assert manifest.num_examples("research") == 2
    assert dicts(load_snapshot(out)) == [example_to_dict(ex) for ex in spec_examples()]


def test_jsonl_and_parquet_hold_the_same_examples(tmp_path):
    write_snapshot(tmp_path / "a", spec_examples(), format="jsonl")
    write_snapshot(tmp_path / "b", spec_examples(), format="parquet")
    assert dicts(load_snapshot(tmp_path / "a")) == dicts(load_snapshot(tmp_path / "b"))


def test_write_refuses_an_existing_folder(tmp_path):
    write_snapshot(tmp_path / "s", spec_examples(), created_at=CREATED_AT)
    with pytest.raises(DatasetError, match="already exists"):
        write_snapshot(tmp_path / "s", spec_examples())


def test_write_refuses_nothing_and_leaves_no_temp(tmp_path):
    with pytest.raises(DatasetError, match="no examples"):
        write_snapshot(tmp_path / "s", [])
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- errors, each naming the file and the fix
def test_missing_snapshot(tmp_path):
    with pytest.raises(DatasetError, match=r"nope: no such dataset snapshot folder; check the path"):
        load_snapshot(tmp_path / "nope")


def test_missing_manifest(tmp_path):
    with pytest.raises(DatasetError, match=r"manifest.json: missing"):
        load_snapshot(tmp_path)


def test_malformed_json_line_names_file_and_line():
    with pytest.raises(DatasetError) as err:
        load_snapshot(MALFORMED)
    msg = str(err.value)
    assert "discriminative-00000.jsonl:3: malformed JSON" in msg and "fix or remove it" in msg
    assert "\n" not in msg


@pytest.fixture
def copy(tmp_path):
    dst = tmp_path / "snap"
    shutil.copytree(VALID, dst)
    return dst


def edit_manifest(snap, fn):
    path = snap / "manifest.json"
    raw = json.loads(path.read_text())
    fn(raw)
    path.write_text(json.dumps(raw))


def rewrite_line(snap, rel, lineno, obj):
    path = snap / rel
    lines = path.read_text().splitlines()
    lines[lineno - 1] = json.dumps(obj)
    path.write_text("\n".join(lines) + "\n")
    edit_manifest(snap, lambda m: [f.update(sha256=sha256_file(path)) for f in m["files"] if f["path"] == rel])


def test_unknown_kind_names_the_line(copy):
    rewrite_line(copy, "data/generative-00000.jsonl", 2, {"kind": "poem", "context": [], "response": "x"})
    with pytest.raises(DatasetError, match=r"generative-00000.jsonl:2: unknown kind 'poem'"):
        load_snapshot(copy)


def test_kind_must_match_the_manifest(copy):
    line = {"kind": "discriminative", "context": [], "response": "x", "attribute": "SENSIBLE", "rating": 1}
    rewrite_line(copy, "data/generative-00000.jsonl", 1, line)
    with pytest.raises(DatasetError, match=r"generative-00000.jsonl:1: a discriminative example in a file"):
        load_snapshot(copy)


def test_invalid_field_names_the_line(copy):
    line = {"kind": "discriminative", "context": [], "response": "x", "attribute": "SENSIBLE", "rating": 5}
    rewrite_line(copy, "data/discriminative-00000.jsonl", 4, line)
    with pytest.raises(DatasetError, match=r"discriminative-00000.jsonl:4: rating must be the integer 0 or 1"):
        load_snapshot(copy)


def test_unsupported_format_version(copy):
    edit_manifest(copy, lambda m: m.update(format_version="2.0"))
    with pytest.raises(DatasetError, match=r"unsupported format_version '2.0'.*upgrade the trainer"):
        load_snapshot(copy)


def test_checksum_mismatch(copy):
    path = copy / "data" / "research-00000.jsonl"
    path.write_text(path.read_text().replace("35", "36"))
    with pytest.raises(DatasetError, match=r"research-00000.jsonl: checksum mismatch.*re-export"):
        load_snapshot(copy)


def test_count_mismatch(copy):
    edit_manifest(copy, lambda m: m["files"][0].update(num_examples=9))
    with pytest.raises(DatasetError, match=r"generative-00000.jsonl: has 4 examples but the manifest says 9"):
        load_snapshot(copy)


def test_file_listed_but_missing(copy):
    (copy / "data" / "research-00000.jsonl").unlink()
    with pytest.raises(DatasetError, match=r"research-00000.jsonl: listed in the manifest but missing"):
        load_snapshot(copy)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda m: m["files"][0].update(path="../outside.jsonl"),
            "must be a relative path inside the snapshot",
        ),
        (lambda m: m["files"][0].update(kind="poem"), "files\\[0\\].kind 'poem'"),
        (lambda m: m["files"][0].update(format="csv"), "not jsonl or parquet"),
        (lambda m: m["files"][0].pop("sha256"), "files\\[0\\] lacks sha256"),
        (lambda m: m.update(files=[]), "files must be a non-empty list"),
        (lambda m: m.update(mixture={"poems": 1}), "mixture kind 'poems'"),
        (lambda m: m.pop("format_version"), "no format_version"),
    ],
)
def test_bad_manifest_fields(copy, change, message):
    edit_manifest(copy, change)
    with pytest.raises(DatasetError, match=message):
        read_manifest(copy)


def test_manifest_not_json(copy):
    (copy / "manifest.json").write_text("{not json")
    with pytest.raises(DatasetError, match=r"manifest.json: not valid JSON"):
        read_manifest(copy)


def test_corrupt_parquet(tmp_path):
    out = tmp_path / "p"
    write_snapshot(out, spec_examples(), format="parquet")
    path = out / "data" / "generative-00000.parquet"
    path.write_bytes(b"PAR1 garbage")
    edit_manifest(out, lambda m: [f.update(sha256=sha256_file(path)) for f in m["files"] if "generative" in f["path"]])
    with pytest.raises(DatasetError, match=r"generative-00000.parquet: unreadable Parquet"):
        load_snapshot(out)

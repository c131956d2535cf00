"""Tokenise once: shards beside the snapshot hold exactly the renderer's ids and masks, and are reused."""

import json
import shutil

import numpy as np
import pytest

from training.data.batches import TokenBatches
from training.data.shuffle import Permutation
from training.data.sources import load_datasets
from training.format import DatasetError, render_example
from training.format.io import load_snapshot

from .fixtures.examples import VALID, tiny_tokenizer


def _load(snapshot, tmp_path, **kw):
    args = dict(data=[snapshot], tok=tiny_tokenizer(), max_tokens=129, truncate_long=False, out_dir=tmp_path / "out")
    return load_datasets(**{**args, "tokenized_dir": tmp_path / "tok", **kw})


def test_shards_hold_what_the_renderer_renders(tmp_path):
    data = _load(VALID, tmp_path)
    snap = load_snapshot(VALID)
    tok = tiny_tokenizer()
    train = data.splits["train"]
    assert {k: len(s) for k, s in train.items()} == {k: len(v) for k, v in snap.examples.items() if v}
    for kind, examples in snap.examples.items():
        for i, ex in enumerate(examples):
            r = render_example(ex, tok)
            ids, mask = train[kind].get(i)
            assert (ids.tolist(), mask.tolist()) == (r.ids, r.loss_mask), (kind, i)
            assert train[kind].length(i) == len(r) and train[kind].loss_tokens(i) == sum(r.loss_mask)
    assert train["generative"].parts[0].ids.dtype == np.uint16  # a 1024-token vocabulary fits in 16 bits


def test_the_second_start_reuses_the_shards_and_other_settings_get_their_own(tmp_path):
    first = _load(VALID, tmp_path)
    assert any(n.startswith("tokenised 11 examples into") for n in first.notes), first.notes
    folder = first.splits["train"]["generative"].parts[0]
    index = next((tmp_path / "tok").glob("valid_snapshot.tokenized/*/index.json"))
    stamp = index.stat().st_mtime_ns
    again = _load(VALID, tmp_path)
    assert f"reusing tokenised shards {index.parent}" in again.notes
    assert index.stat().st_mtime_ns == stamp and folder.meta == again.splits["train"]["generative"].parts[0].meta
    _load(VALID, tmp_path, max_tokens=200)  # another seq_len renders (and may truncate) differently
    _load(VALID, tmp_path, truncate_long=True)
    assert len(list((tmp_path / "tok").glob("valid_snapshot.tokenized/*/index.json"))) == 3


def test_shards_go_beside_the_snapshot_by_default(tmp_path):
    snap = shutil.copytree(VALID, tmp_path / "snap")
    data = _load(snap, tmp_path, tokenized_dir=None)
    assert list((tmp_path / "snap.tokenized").glob("*/index.json")), data.notes
    assert sorted(p.name for p in snap.iterdir()) == ["data", "manifest.json"]  # the snapshot itself is untouched


def test_a_half_built_or_damaged_folder_is_rebuilt(tmp_path):
    _load(VALID, tmp_path)
    folder = next((tmp_path / "tok").glob("valid_snapshot.tokenized/*"))
    ids = folder / "00000.ids"
    ids.write_bytes(ids.read_bytes()[:-2])  # truncated: the index's sizes no longer match
    again = _load(VALID, tmp_path)
    assert any(n.startswith("tokenised") for n in again.notes)
    assert ids.stat().st_size == json.loads((folder / "index.json").read_text())["parts"][0]["files"]["00000.ids"]


def test_a_source_file_changed_after_export_is_not_served_from_the_old_shards(tmp_path):
    snap = shutil.copytree(VALID, tmp_path / "snap")
    _load(snap, tmp_path)
    shard = snap / "data" / "generative-00000.jsonl"
    shard.write_text(shard.read_text() + '{"kind": "generative", "context": [], "response": "new"}\n')
    with pytest.raises(DatasetError, match="checksum mismatch"):
        _load(snap, tmp_path)


def test_a_source_file_edited_in_place_with_the_same_size_is_caught_too(tmp_path):
    snap = shutil.copytree(VALID, tmp_path / "snap")
    _load(snap, tmp_path)
    shard = snap / "data" / "generative-00000.jsonl"
    text = shard.read_text()
    shard.write_text(text.replace("not much.", "NOT much.", 1))  # same size, new mtime
    with pytest.raises(DatasetError, match="checksum mismatch"):
        _load(snap, tmp_path)


def test_errors_still_name_the_file_and_line(tmp_path):
    with pytest.raises(DatasetError, match=r"generative-00000.jsonl:1: generative example #0 is \d+ tokens"):
        _load(VALID, tmp_path, max_tokens=9)
    assert not list((tmp_path / "tok").glob("valid_snapshot.tokenized/*"))  # nothing half-written stays


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 1000, 4097])
def test_permutation_is_a_seeded_bijection(n):
    perm = Permutation(n, (1, 2))
    values = perm(np.arange(n))
    assert sorted(values.tolist()) == list(range(n))
    assert np.array_equal(values, Permutation(n, (1, 2))(np.arange(n)))
    if n > 3:
        assert not np.array_equal(values, Permutation(n, (1, 3))(np.arange(n)))


class CountingSet:
    """Wraps an example set and records which examples' tokens were read."""

    def __init__(self, base):
        self.base, self.read = base, []
        self.max_len, self.dropped, self.truncated = base.max_len, base.dropped, base.truncated

    def __len__(self):
        return len(self.base)

    def get(self, i):
        self.read.append(i)
        return self.base.get(i)

    def length(self, i):
        return self.base.length(i)

    def loss_tokens(self, i):
        return self.base.loss_tokens(i)


def test_each_rank_reads_only_the_tokens_of_its_rows(tmp_path):
    train = _load(VALID, tmp_path).splits["train"]
    tok = tiny_tokenizer()
    common = dict(seq_len=128, global_batch_size=4, pad_id=tok.pad_id, seed=3)
    whole = TokenBatches({k: CountingSet(s) for k, s in train.items()}, **common)  # noqa: C416
    ranks = [
        TokenBatches({k: CountingSet(s) for k, s in train.items()}, **common, rank=r, world_size=2) for r in (0, 1)
    ]
    for _ in range(6):
        full = next(whole)
        halves = [next(tb) for tb in ranks]
        assert np.array_equal(np.concatenate([h.input_ids for h in halves]), full.input_ids)
        assert all(h.global_loss_tokens == full.global_loss_tokens == int(full.loss_mask.sum()) for h in halves)
    reads = [sum(len(s.read) for s in tb.sets.values()) for tb in ranks]
    assert sum(reads) == sum(len(s.read) for s in whole.sets.values())  # each example read by exactly one rank
    assert all(0 < n < sum(reads) for n in reads)

"""T5 relative-position buckets against hand-worked values (num_buckets 32, max_distance 128 unless stated)."""

import math

import pytest
import torch

from training.model.relpos import last_bucket_start, relative_position_bucket

torch.set_num_threads(2)


def causal_bucket(distance: int, num_buckets: int = 32, max_distance: int = 128) -> int:
    rel = torch.tensor([-distance])  # key - query for a key `distance` tokens back
    return int(relative_position_bucket(rel, num_buckets=num_buckets, max_distance=max_distance)[0])


@pytest.mark.parametrize(
    "distance, bucket",
    [
        (0, 0),
        (1, 1),
        (15, 15),  # max_exact = 32 // 2 = 16: distances 0..15 are exact
        (16, 16),  # 16 + floor(ln(16/16) / ln(128/16) * 16) = 16 + 0
        (20, 17),  # 16 + floor(ln(1.25) / ln(8) * 16) = 16 + floor(1.717) = 17
        (32, 21),  # 16 + floor(ln 2 / ln 8 * 16) = 16 + floor(5.333) = 21
        (64, 26),  # 16 + floor(2/3 * 16) = 16 + 10
        (112, 30),  # 16 + floor(ln 7 / ln 8 * 16) = 16 + floor(14.97) = 30
        (113, 31),  # 16 + floor(ln(113/16) / ln 8 * 16) = 16 + floor(15.002) = 31
        (127, 31),
        (128, 31),  # 16 + 16 = 32, clamped to the last bucket 31
        (10_000, 31),
    ],
)
def test_unidirectional_buckets_hand_worked(distance, bucket):
    assert math.floor(math.log(113 / 16) / math.log(8) * 16) == 15  # the boundary case above, by hand
    assert causal_bucket(distance) == bucket


def test_future_keys_fold_into_bucket_zero_when_unidirectional():
    rel = torch.tensor([1, 5, 500])
    assert relative_position_bucket(rel, num_buckets=32, max_distance=128).tolist() == [0, 0, 0]


def test_bidirectional_buckets_hand_worked():
    # 16 buckets per direction, max_exact 8; keys after the query add 16.
    rel = torch.tensor([0, -3, 3, -8, 8, -20, 20, -200, 200])
    # -20: 8 + floor(ln(20/8) / ln(128/8) * 8) = 8 + floor(2.644) = 10; far distances clamp to 15 (+16 = 31).
    expected = [0, 3, 19, 8, 24, 10, 26, 15, 31]
    got = relative_position_bucket(rel, num_buckets=32, max_distance=128, bidirectional=True)
    assert got.tolist() == expected


def test_small_config_and_monotonic():
    # num_buckets 8, max_distance 16: exact 0..3, then 4 + floor(ln(n/4) / ln 4 * 4).
    expected = {0: 0, 3: 3, 4: 4, 5: 4, 6: 5, 8: 6, 11: 6, 12: 7, 16: 7, 99: 7}
    for n, b in expected.items():
        assert causal_bucket(n, num_buckets=8, max_distance=16) == b, n
    dist = torch.arange(0, 400)
    buckets = relative_position_bucket(-dist, num_buckets=32, max_distance=128)
    assert bool((buckets[1:] >= buckets[:-1]).all())
    assert int(buckets.max()) == 31


def test_shape_dtype_and_bad_input():
    rel = torch.arange(-6, 6).view(3, 4)
    out = relative_position_bucket(rel, num_buckets=32, max_distance=128)
    assert out.shape == (3, 4) and out.dtype == torch.long
    with pytest.raises(TypeError):
        relative_position_bucket(rel.float(), num_buckets=32, max_distance=128)
    with pytest.raises(ValueError):
        relative_position_bucket(rel, num_buckets=32, max_distance=8)


def test_last_bucket_start():
    assert last_bucket_start(num_buckets=32, max_distance=128) == 113
    assert last_bucket_start(num_buckets=8, max_distance=16) == 12

"""The spiral dataset, minibatches and accuracy."""

from __future__ import annotations

import numpy as np
import pytest

import puregrad as pg


def test_spiral_has_dezeros_shape_and_is_reproducible() -> None:
    x, t = pg.spiral()
    assert x.shape == (300, 2) and x.dtype == np.float64
    assert t.shape == (300,) and t.dtype == np.int64
    assert np.bincount(t).tolist() == [100, 100, 100]
    assert not x.flags.writeable and not t.flags.writeable
    x2, t2 = pg.spiral()
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(t, t2)
    x3, _ = pg.spiral(seed=2020)
    assert not np.array_equal(x, x3)


def test_spiral_points_lie_on_their_arms() -> None:
    x, t = pg.spiral(num_per_class=50, num_classes=4)
    assert x.shape == (200, 2)
    radius = np.hypot(x[:, 0], x[:, 1])
    for j in range(4):
        # the radii of arm j are exactly i / 50 for i = 0..49
        np.testing.assert_allclose(np.sort(radius[t == j]), np.arange(50) / 50, atol=1e-12)
    # angle = 4 j + 4 r + 0.2 noise (noise standard normal): the residual is small noise
    theta = np.arctan2(x[:, 0], x[:, 1])
    residual = np.angle(np.exp(1j * (theta - 4.0 * t - 4.0 * radius)))[radius > 0]
    assert 0.1 < np.std(residual) < 0.3
    assert np.all(np.abs(residual) < 1.5)
    # shuffled: the labels are not in blocks
    assert np.any(t[:50] != t[0])


def test_spiral_float32_and_errors() -> None:
    x, _ = pg.spiral(dtype=np.float32)
    assert x.dtype == np.float32
    with pytest.raises(ValueError, match="spiral: num_per_class and num_classes must be positive"):
        pg.spiral(num_per_class=0)


def test_minibatches_cover_each_point_once_per_epoch() -> None:
    x = np.arange(10.0)
    t = np.arange(10)
    rng = np.random.default_rng(0)
    epoch1 = list(pg.minibatches(x, t, 3, rng=rng))
    assert [len(b) for b, _ in epoch1] == [3, 3, 3, 1]
    seen = np.concatenate([b for b, _ in epoch1])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    assert all(np.array_equal(b, lab.astype(float)) for b, lab in epoch1)  # pairs stay paired
    epoch2 = np.concatenate([b for b, _ in pg.minibatches(x, t, 3, rng=rng)])
    assert not np.array_equal(seen, epoch2)  # a new order each epoch
    again = np.concatenate([b for b, _ in pg.minibatches(x, t, 3, rng=np.random.default_rng(0))])
    np.testing.assert_array_equal(seen, again)  # reproducible from the seed
    in_order = np.concatenate([b for b, _ in pg.minibatches(x, t, 4)])
    np.testing.assert_array_equal(in_order, x)


def test_minibatch_errors() -> None:
    with pytest.raises(ValueError, match="batch_size must be positive, got 0"):
        next(pg.minibatches(np.ones(3), np.ones(3), 0))
    with pytest.raises(ValueError, match=r"x and t differ in length \(3 and 2\)"):
        next(pg.minibatches(np.ones(3), np.ones(2), 1))


def test_accuracy() -> None:
    logits = np.array([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 5.0], [1.0, 3.0, 2.0]])
    assert pg.accuracy(logits, np.array([1, 0, 2, 2])) == 0.75
    assert pg.accuracy(pg.variable(logits), np.array([0, 1, 0, 0])) == 0.0
    with pytest.raises(ValueError, match=r"logits of shape \(4, 3\) and labels of shape \(3,\)"):
        pg.accuracy(logits, np.array([1, 0, 2]))

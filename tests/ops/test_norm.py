"""dropout and batch_norm: the mode, the randomness and the statistics as arguments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import puregrad as pg
from tests.helpers import check_orders, rand

# dropout --------------------------------------------------------------------------------------


def test_dropout_in_inference_is_the_identity() -> None:
    x = pg.variable(rand(3, 4))
    assert pg.dropout(x, 0.5, train=False) is x
    assert pg.dropout(x, 0.5, train=False, rng=np.random.default_rng(0)) is x
    y = pg.dropout(rand(2), train=False)
    assert not y.requires_grad


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_dropout_statistics_over_a_million_elements(rate: float) -> None:
    """With n = 10^6 the kept fraction has a standard deviation below 5e-4; the bound 0.01
    is 20 of them, and the seed is fixed: this cannot flake."""
    n = 1_000_000
    y = pg.dropout(np.ones(n), rate, train=True, rng=np.random.default_rng(42)).value
    kept = y != 0
    assert abs(kept.mean() - (1 - rate)) < 0.01
    np.testing.assert_allclose(y[kept], 1.0 / (1.0 - rate), rtol=1e-15)  # the rest scaled
    assert abs(y.mean() - 1.0) < 0.01 / (1.0 - rate)  # the expectation is kept


def test_dropout_same_seed_same_mask_and_gradient_through_kept_elements() -> None:
    x = rand(50, 40, seed=1)
    a = pg.dropout(x, 0.4, train=True, rng=np.random.default_rng(7)).value
    b = pg.dropout(x, 0.4, train=True, rng=np.random.default_rng(7)).value
    c = pg.dropout(x, 0.4, train=True, rng=np.random.default_rng(8)).value
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    v = pg.variable(x)
    y = pg.dropout(v, 0.4, train=True, rng=np.random.default_rng(7))
    g = pg.backward(pg.sum(y * 3.0))[v].value
    mask = (a != 0) / 0.6
    np.testing.assert_allclose(g, 3.0 * mask, rtol=1e-15)
    # The same mask in a check against finite differences (a fresh generator per call).
    pg.check_grad(lambda v: pg.dropout(v, 0.4, train=True, rng=np.random.default_rng(7)) ** 2, x[:4, :5])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_keeps_the_dtype(dtype: type[np.floating[Any]]) -> None:
    v = pg.variable(rand(10, dtype=dtype))
    y = pg.dropout(v, 0.5, train=True, rng=np.random.default_rng(0))
    assert y.dtype == dtype
    assert pg.backward(pg.sum(y))[v].dtype == dtype


def test_dropout_errors() -> None:
    rng = np.random.default_rng(0)
    for rate in (-0.1, 1.0, 2.0):
        with pytest.raises(ValueError, match=r"dropout: rate must be in \[0, 1\)"):
            pg.dropout(np.ones(3), rate, train=True, rng=rng)
    with pytest.raises(ValueError, match=r"dropout: train=True needs rng.*input shape \(3,\)"):
        pg.dropout(np.ones(3), 0.5, train=True)  # type: ignore[call-overload]  # the misuse under test


# batch_norm -----------------------------------------------------------------------------------


def test_batch_norm_train_normalizes_and_updates_the_statistics_exactly() -> None:
    x = rand(6, 3, seed=2) * np.array([1.0, 5.0, 0.1]) + np.array([0.0, 2.0, -1.0])
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    stats = pg.BatchNormStats(np.array([0.5, -0.5, 1.0]), np.array([2.0, 1.0, 0.5]))
    before = (stats.mean.copy(), stats.var.copy())
    y, new = pg.batch_norm(pg.variable(x), gamma, beta, stats, train=True, decay=0.8, eps=1e-3)
    mean, var = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(y.value, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, rtol=1e-12)
    np.testing.assert_allclose(new.mean, 0.8 * before[0] + 0.2 * mean, rtol=1e-14)
    np.testing.assert_allclose(new.var, 0.8 * before[1] + 0.2 * x.var(axis=0, ddof=1), rtol=1e-14)
    # Nothing mutated; the new statistics are read-only.
    np.testing.assert_array_equal(stats.mean, before[0])
    np.testing.assert_array_equal(stats.var, before[1])
    assert not new.mean.flags.writeable and not new.var.flags.writeable


def test_batch_norm_eval_uses_the_statistics_and_returns_them_unchanged() -> None:
    x = rand(2, 3, 4, 5, seed=3)
    stats = pg.BatchNormStats(rand(3, seed=4), rand(3, seed=5, low=0.5, high=2.0))
    gamma, beta = rand(3, seed=6), rand(3, seed=7)
    y, same = pg.batch_norm(x, gamma, beta, stats, train=False)
    assert same is stats
    shape = (1, 3, 1, 1)
    expected = (x - stats.mean.reshape(shape)) / np.sqrt(stats.var.reshape(shape) + 1e-5)
    np.testing.assert_allclose(y.value, expected * gamma.reshape(shape) + beta.reshape(shape), rtol=1e-12)
    pg.check_grad(lambda x, g, b: pg.batch_norm(x, g, b, stats, train=False)[0], x, gamma, beta)


def test_batch_norm_4d_statistics_are_per_channel_over_batch_and_space() -> None:
    x = rand(3, 2, 4, 5, seed=8)
    y, new = pg.batch_norm(x, np.ones(2), np.zeros(2), pg.BatchNormStats.init(2), train=True)
    np.testing.assert_allclose(y.value.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.value.var(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)) / (x.var(axis=(0, 2, 3)) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(new.mean, 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-14)
    np.testing.assert_allclose(new.var, 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-14)


def test_batch_norm_train_gradients_to_second_order() -> None:
    x = rand(4, 2, 2, 3, seed=9)
    gamma, beta = rand(2, seed=10), rand(2, seed=11)
    stats = pg.BatchNormStats.init(2)
    f = lambda x, g, b: pg.batch_norm(x, g, b, stats, train=True)[0] ** 2  # noqa: E731
    check_orders(f, x, gamma, beta, order=2)
    x2 = rand(5, 3, seed=12)
    check_orders(lambda x: pg.batch_norm(x, np.ones(3), np.zeros(3), pg.BatchNormStats.init(3), train=True)[0] ** 3, x2, order=2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_keeps_the_dtype_of_x(dtype: type[np.floating[Any]]) -> None:
    x = pg.variable(rand(4, 3, dtype=dtype))
    stats = pg.BatchNormStats.init(3, dtype)
    gamma, beta = np.ones(3, dtype), np.zeros(3, dtype)
    for train in (True, False):
        y, new = pg.batch_norm(x, gamma, beta, stats, train=train)
        assert y.dtype == dtype and new.mean.dtype == dtype and new.var.dtype == dtype
        assert pg.backward(pg.sum(y * y))[x].dtype == dtype


def test_batch_norm_errors() -> None:
    stats = pg.BatchNormStats.init(3)
    with pytest.raises(ValueError, match=r"batch_norm: x must be \(N, C\) or \(N, C, H, W\), got shape \(2, 3, 4\)"):
        pg.batch_norm(np.ones((2, 3, 4)), np.ones(3), np.zeros(3), stats, train=True)
    with pytest.raises(ValueError, match=r"batch_norm: gamma must have shape \(3,\) .*got \(2,\)"):
        pg.batch_norm(np.ones((2, 3)), np.ones(2), np.zeros(3), stats, train=True)
    with pytest.raises(ValueError, match=r"batch_norm: stats.mean must have shape \(2,\)"):
        pg.batch_norm(np.ones((2, 2)), np.ones(2), np.zeros(2), stats, train=True)
    with pytest.raises(ValueError, match="batch_norm: training needs more than one value per channel"):
        pg.batch_norm(np.ones((1, 3)), np.ones(3), np.zeros(3), stats, train=True)
    with pytest.raises(ValueError, match="BatchNormStats.init: num_features must be a positive int"):
        pg.BatchNormStats.init(0)

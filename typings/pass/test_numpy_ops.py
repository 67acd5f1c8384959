"""Typical numpy-style code on nodes (issue 8), generic in the floating type: it must
type-check under --strict, and it runs."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

F = TypeVar("F", bound=np.floating[Any])


def gaussian_log_likelihood(x: pg.Node[F] | NDArray[F], mu: pg.Node[F], log_sigma: pg.Node[F]) -> pg.Node[F]:
    """The mean log-density of `x` under a normal distribution, with a log-sum-exp mixture
    over two shifted copies, written with the new functions."""
    z = (x - mu) / pg.exp(log_sigma)
    two = pg.stack([-0.5 * z * z, -0.5 * (z - 1.0) * (z - 1.0)])
    return pg.logsumexp(two, axis=0).mean() - log_sigma


def robust_scale(x: pg.Node[F]) -> pg.Node[F]:
    """Huber-like: quadratic within 1 of the mean, linear outside, via where and abs."""
    centered = x - pg.mean(x)
    small = pg.abs(centered).value < 1.0
    return pg.sum(pg.where(small, 0.5 * centered * centered, pg.abs(centered) - 0.5)) / pg.std(x, ddof=1)


def fit(dtype: type[F]) -> tuple[pg.Node[F], NDArray[np.intp]]:
    rng = np.random.default_rng(0)
    data = rng.standard_normal(16).astype(dtype)
    mu = pg.variable(np.zeros((), dtype))
    log_sigma = pg.variable(np.zeros((), dtype))
    loss = -gaussian_log_likelihood(data, mu, log_sigma) + robust_scale(pg.variable(data))
    grads = pg.backward(loss)
    order = pg.argmax(pg.cumsum(pg.variable(data)))
    return grads[mu], order


def test_generic_numpy_style_code_in_float64_and_float32() -> None:
    g64, i64 = fit(np.float64)
    g32, i32 = fit(np.float32)
    assert g64.dtype == np.float64 and g32.dtype == np.float32
    assert i64.dtype == np.intp and i64 == i32


def test_numpy_calls_on_nodes_give_nodes() -> None:
    x = pg.variable(np.array([[1.0, -2.0], [3.0, 0.5]]))
    y: Any = np.maximum(np.abs(x), 1.0)  # numpy's stubs do not know nodes: Any
    z: Any = np.trace(np.triu(np.tile(y, (2, 2))))
    assert type(z) is pg.Node
    g: pg.Node[np.float64] = pg.backward(z)[x]
    assert g.shape == (2, 2)

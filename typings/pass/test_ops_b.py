"""Typical use of matmul, the nn ops and the transforms: it type-checks under --strict and runs."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

Array = NDArray[np.float64]


def logits(w: pg.Node[np.float64], b: pg.Node[np.float64], x: Array) -> pg.Node[np.float64]:
    return pg.linear(x, w, b)


def classification_loss(
    w: pg.Node[np.float64], b: pg.Node[np.float64], x: Array, t: NDArray[np.int64]
) -> pg.Node[np.float64]:
    return pg.softmax_cross_entropy(logits(w, b, x), t)


def test_a_classifier_trains_with_grad() -> None:
    rng = np.random.default_rng(0)
    x: Array = rng.standard_normal((32, 4))
    t: NDArray[np.int64] = (x[:, 0] > 0).astype(np.int64)
    w: Array = np.zeros((4, 2))
    b: Array = np.zeros(2)
    step = pg.value_and_grad(classification_loss, argnums=(0, 1))
    first, _ = step(w, b, x, t)
    for _ in range(50):
        value, (gw, gb) = step(w, b, x, t)
        w = w - 0.5 * gw
        b = b - 0.5 * gb
    assert float(value) < float(first)
    probabilities = pg.softmax(logits(pg.constant(w), pg.constant(b), x)).value
    assert float(np.mean(probabilities.argmax(axis=1) == t)) > 0.9


def test_regression_with_matmul_and_mean_squared_error() -> None:
    x: Array = np.linspace(-1.0, 1.0, 10)[:, None]
    target: Array = 3.0 * x[:, 0]
    w = pg.variable(np.zeros(1))
    for _ in range(100):
        loss = pg.mean_squared_error(x @ w, target)
        w = pg.variable(w.value - 0.5 * pg.backward(loss)[w].value)
    assert abs(float(w.value[0]) - 3.0) < 1e-3


def test_vjp_and_stop_gradient() -> None:
    def f(v: pg.Node[np.float32]) -> pg.Node[np.float32]:
        return pg.log_softmax(v) * pg.stop_gradient(v)

    x: NDArray[np.float32] = np.array([0.5, -1.0, 2.0], np.float32)
    out, vjp_fn = pg.vjp(f, x)
    (gx,) = vjp_fn(np.ones(3, np.float32))
    assert out.dtype == np.float32 and gx.dtype == np.float32
    clipped: pg.Node[np.float32] = pg.clip(pg.variable(x), -0.5, 0.5)
    assert clipped.value.max() == np.float32(0.5)


def test_gradient_of_a_scalar_function() -> None:
    def cube(v: pg.Node[np.float64]) -> pg.Node[np.float64]:
        return pg.sum(v * v * v)

    d_cube = pg.grad(cube)
    g: Array = d_cube(np.array([1.0, 2.0]))
    assert g.tolist() == [3.0, 12.0]

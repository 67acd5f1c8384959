"""Typical user code of the core: it must type-check under --strict, and it runs."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import puregrad as pg


def loss(w: pg.Node[np.float64], x: NDArray[np.float64]) -> pg.Node[np.float64]:
    return pg.sum((x * w - 1.0) ** 2) / x.size


def test_gradient_descent_step() -> None:
    x = np.linspace(0.0, 1.0, 5)
    w = pg.variable(np.full(5, 0.5), name="w")
    grads = pg.backward(loss(w, x))
    step: NDArray[np.float64] = w.value - 0.1 * grads[w].value
    assert loss(pg.variable(step), x).value < loss(w, x).value


def test_inference_scope_and_explicit_config() -> None:
    w = pg.variable(np.ones(3))
    with pg.no_grad():
        assert not pg.exp(w).requires_grad
    assert not pg.exp(w, config=pg.Config(enable_backprop=False)).requires_grad
    assert pg.exp(w).requires_grad


def test_second_derivative() -> None:
    x = pg.variable(2.0)
    dy = pg.backward(x**3, pg.Config(create_graph=True))[x]
    d2y = pg.backward(dy)[x]
    assert float(d2y.value) == 12.0


def test_float32_stays_float32() -> None:
    x: pg.Node[np.float32] = pg.variable(np.ones(2, np.float32))
    g: pg.Node[np.float32] = pg.backward(pg.sum(pg.square(x) * 2.0))[x]
    assert g.dtype == np.float32

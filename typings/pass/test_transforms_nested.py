"""Typical use of composable transforms, user ops and checkpoint: type-checks and runs."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import puregrad as pg


class Cube(pg.Op):
    name = "cube"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x**3

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy * 3 * xs[0] ** 2


def cube(x: pg.Node[np.float64]) -> pg.Node[np.float64]:
    return Cube()(x)


def critic(w: pg.Node[np.float64], x: pg.Node[np.float64] | NDArray[np.float64]) -> pg.Node[np.float64]:
    return pg.sum(pg.tanh(pg.matmul(x, w)))


def test_gradient_penalty_and_user_op() -> None:
    data = np.linspace(-1.0, 1.0, 6).reshape(2, 3)

    def loss(w: pg.Node[np.float64]) -> pg.Node[np.float64]:
        penalty = pg.grad(lambda x: critic(w, x))(pg.constant(data))
        return critic(w, data) + pg.sum(penalty * penalty) + pg.sum(cube(w))

    g: NDArray[np.float64] = pg.grad(loss)(np.full((3, 1), 0.5))
    assert g.shape == (3, 1)
    pg.check_grad(loss, np.full((3, 1), 0.5))


def test_forward_mode_and_curvature() -> None:
    x = np.array([0.5, -1.0, 2.0])
    v = np.array([1.0, 0.0, -1.0])

    def f(u: pg.Node[np.float64]) -> pg.Node[np.float64]:
        return pg.sum(cube(u) * pg.sin(u))

    _, tangent = pg.jvp(f, (x,), (v,))
    slope: float = float(np.dot(pg.grad(f)(x), v))
    assert abs(float(tangent) - slope) < 1e-12
    curvature = pg.hvp(f, x, v)
    np.testing.assert_allclose(curvature, pg.hessian(f)(x) @ v, rtol=1e-12)


def test_checkpointed_layers() -> None:
    layer = pg.Linear(3, 3)
    arrays = layer.init(np.random.default_rng(0))

    def loss(params: pg.LinearParams[np.float64], x: NDArray[np.float64]) -> pg.Node[np.float64]:
        def block(h: pg.Node[np.float64] | NDArray[np.float64]) -> pg.Node[np.float64]:
            return pg.tanh(layer.apply(params, h))

        y = pg.checkpoint(block)(pg.checkpoint(block)(x))
        return pg.sum(y * y)

    value, grads = pg.tree_value_and_grad(loss)(arrays, np.ones((2, 3)))
    assert value.shape == () and grads.W.shape == (3, 3)

"""Misuses of matmul, the nn ops and the transforms that mypy --strict must reject."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

x = pg.variable(np.ones((2, 3)))
y = pg.variable(np.ones((3, 2), np.float32))
floats: NDArray[np.float64] = np.zeros(2)
ints: NDArray[np.int64] = np.zeros(2, np.int64)
p: NDArray[np.float64] = np.ones(3)


def loss(a: pg.Node[np.float64], b: pg.Node[np.float64]) -> pg.Node[np.float64]:
    return pg.sum(a * b)


def loss_of_data(a: pg.Node[np.float64], data: NDArray[np.float64]) -> pg.Node[np.float64]:
    return pg.sum(a * data)


def square(a: pg.Node[np.float64]) -> pg.Node[np.float64]:
    return a * a


pg.matmul(x, y)  # type: ignore[misc]
x @ y  # type: ignore[operator]
x @ 2.0  # type: ignore[operator]
pg.matmul(x, [[1.0], [2.0], [3.0]])  # type: ignore[arg-type]
pg.linear(x, y)  # type: ignore[misc]
pg.linear(x, np.ones((3, 2)), b=1.0)  # type: ignore[arg-type]
pg.clip(x, "0", 1.0)  # type: ignore[call-overload]
pg.clip(x, 0.0)  # type: ignore[call-overload]
pg.softmax(x, axis="rows")  # type: ignore[call-overload]
pg.softmax(pg.constant(ints))  # type: ignore[type-var]
pg.log_softmax(x, -1, True)  # type: ignore[call-overload]
pg.mean_squared_error(x, y)  # type: ignore[misc]
pg.softmax_cross_entropy(x, floats)  # type: ignore[type-var]
pg.softmax_cross_entropy(x, [0, 1])  # type: ignore[arg-type]
pg.stop_gradient([1.0])  # type: ignore[call-overload]
pg.stop_gradient(x, config=pg.Config())  # type: ignore[call-overload]
g: NDArray[np.float64] = pg.grad(loss, argnums=(0, 1))(p, p)  # type: ignore[assignment]
pair: tuple[NDArray[np.float64], NDArray[np.float64]] = pg.grad(loss)(p, pg.constant(p))  # type: ignore[assignment]
pg.grad(loss)(p, p)  # type: ignore[call-overload]
pg.grad(loss_of_data)(p)  # type: ignore[call-overload]
pg.grad(loss_of_data)(p, p, p)  # type: ignore[call-overload]
pg.grad(loss_of_data)(p, data=p, scale=2.0)  # type: ignore[call-overload]
pg.grad(loss, argnums="a")  # type: ignore[call-overload]
pg.grad(loss, argnums=[0, 1])  # type: ignore[call-overload]
pg.grad(square)(ints)  # type: ignore[arg-type]
value, grads = pg.value_and_grad(loss, argnums=(0, 1))(p, p); grads.shape  # type: ignore[attr-defined]
out: float = pg.value_and_grad(square)(p)  # type: ignore[assignment]
pg.vjp(square, p)[1]("one")  # type: ignore[arg-type]
only_one: tuple[NDArray[np.float64]] = pg.vjp(loss, p, p)[1](p)  # type: ignore[assignment]
pg.grad(loss, argnums=(0, 1))(p, p).shape  # type: ignore[attr-defined]

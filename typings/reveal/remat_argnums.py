"""checkpoint of a function returning a tree of nodes, jacobian and hessian with a tuple
argnums: the types mypy infers (assert_type)."""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

a = np.ones(3)
a32 = np.ones(3, np.float32)
x = pg.variable(a)
x32 = pg.variable(a32)
lstm = pg.LSTM(3, 4)
params = lstm.init(np.random.default_rng(0))


def g(u: pg.Node[np.float64], v: pg.Node[np.float64], scale: float = 1.0) -> pg.Node[np.float64]:
    return pg.sum(u * v) * scale


def g32(u: pg.Node[np.float32], v: pg.Node[np.float32]) -> pg.Node[np.float32]:
    return pg.sum(u * v)


def both(v: pg.Node[np.float64]) -> tuple[pg.Node[np.float64], pg.Node[np.float64]]:
    return pg.sin(v), pg.cos(v)


def named(v: pg.Node[np.float32]) -> dict[str, pg.Node[np.float32]]:
    return {"s": pg.sin(v), "c": pg.cos(v)}


def nested(v: pg.Node[np.float64]) -> tuple[pg.Node[np.float64], list[pg.Node[np.float64]]]:
    return v * 2.0, [v]


def step(
    x: pg.Node[np.float64] | NDArray[np.float64], state: pg.LSTMState[np.float64] | None
) -> tuple[pg.Node[np.float64], pg.LSTMState[np.float64]]:
    return lstm.apply(params, x, state)


# checkpoint keeps f's parameters and its return type, a tree of nodes included.
assert_type(pg.checkpoint(both)(x), tuple[pg.Node[np.float64], pg.Node[np.float64]])
assert_type(pg.checkpoint(named)(x32), dict[str, pg.Node[np.float32]])
assert_type(pg.checkpoint(step)(np.ones((2, 3)), None), tuple[pg.Node[np.float64], pg.LSTMState[np.float64]])
assert_type(pg.checkpoint(step)(x, None)[1].c, pg.Node[np.float64] | NDArray[np.float64])
assert_type(pg.checkpoint(nested)(x), tuple[pg.Node[np.float64], list[pg.Node[np.float64]]])
assert_type(pg.checkpoint(g)(x, x, scale=2.0), pg.Node[np.float64])
stepper: Callable[
    [pg.Node[np.float64] | NDArray[np.float64], pg.LSTMState[np.float64] | None],
    tuple[pg.Node[np.float64], pg.LSTMState[np.float64]],
] = pg.checkpoint(step)

# jacobian with a tuple argnums: a tuple of Jacobians.
assert_type(pg.jacobian(g, argnums=(0, 1))(a, a), tuple[NDArray[np.float64], NDArray[np.float64]])
assert_type(pg.jacobian(g, argnums=(0, 1))(a, x, 2.0), tuple[pg.Node[np.float64], pg.Node[np.float64]])
assert_type(pg.jacobian(g32, argnums=(0, 1))(a32, a32), tuple[NDArray[np.float32], NDArray[np.float32]])
assert_type(pg.jacobian(g, argnums=(1, 0))(a, a), tuple[NDArray[np.float64], ...])

# hessian with a tuple argnums: a nested tuple of blocks.
assert_type(
    pg.hessian(g, argnums=(0, 1))(a, a),
    tuple[tuple[NDArray[np.float64], NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]]],
)
assert_type(
    pg.hessian(g, argnums=(0, 1))(x, a, scale=3.0),
    tuple[tuple[pg.Node[np.float64], pg.Node[np.float64]], tuple[pg.Node[np.float64], pg.Node[np.float64]]],
)
assert_type(
    pg.hessian(g32, argnums=(0, 1))(a32, a32)[0][1], NDArray[np.float32]
)
assert_type(pg.hessian(g, argnums=(1,))(a, a), tuple[tuple[NDArray[np.float64], ...], ...])

"""assert_type for matmul, linear, the nn ops and the transforms, in float64 and float32."""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

a64: NDArray[np.float64] = np.ones((2, 3))
a32: NDArray[np.float32] = np.ones((2, 3), np.float32)
m64: NDArray[np.float64] = np.ones((3, 4))
m32: NDArray[np.float32] = np.ones((3, 4), np.float32)
labels: NDArray[np.int64] = np.zeros(2, np.int64)
x = pg.variable(a64)
y = pg.variable(a32)
w = pg.variable(m64)
v = pg.variable(m32)

# Linear algebra
assert_type(pg.matmul(x, w), pg.Node[np.float64])
assert_type(pg.matmul(y, v), pg.Node[np.float32])
assert_type(pg.matmul(a64, w), pg.Node[np.float64])
assert_type(pg.matmul(y, m32), pg.Node[np.float32])
assert_type(x @ w, pg.Node[np.float64])
assert_type(x @ m64, pg.Node[np.float64])
assert_type(y @ v, pg.Node[np.float32])
assert_type(y @ m32, pg.Node[np.float32])
assert_type(pg.linear(x, w), pg.Node[np.float64])
assert_type(pg.linear(x, m64, np.zeros(4)), pg.Node[np.float64])
assert_type(pg.linear(y, v, pg.variable(np.zeros(4, np.float32))), pg.Node[np.float32])

# nn
assert_type(pg.clip(x, 0.0, 1.0), pg.Node[np.float64])
assert_type(pg.clip(y, None, 1), pg.Node[np.float32])
assert_type(pg.clip(a32, -1.0, None), pg.Node[np.float32])
assert_type(pg.clip(2.0, 0.0, 1.0), pg.Node[np.float64])
assert_type(pg.softmax(x), pg.Node[np.float64])
assert_type(pg.softmax(y, axis=0), pg.Node[np.float32])
assert_type(pg.softmax(a32, axis=(0, 1)), pg.Node[np.float32])
assert_type(pg.log_softmax(x, axis=None), pg.Node[np.float64])
assert_type(pg.log_softmax(y), pg.Node[np.float32])
assert_type(pg.mean_squared_error(x, a64), pg.Node[np.float64])
assert_type(pg.mean_squared_error(y, y), pg.Node[np.float32])
assert_type(pg.mean_squared_error(y, 0.0), pg.Node[np.float32])
assert_type(pg.mean_squared_error(1.0, x), pg.Node[np.float64])
assert_type(pg.softmax_cross_entropy(x, labels), pg.Node[np.float64])
assert_type(pg.softmax_cross_entropy(y, pg.constant(labels)), pg.Node[np.float32])
assert_type(pg.stop_gradient(x), pg.Node[np.float64])
assert_type(pg.stop_gradient(y), pg.Node[np.float32])
assert_type(pg.stop_gradient(a32), pg.Node[np.float32])
assert_type(pg.stop_gradient(np.float32(1.0)), pg.Node[np.float32])
assert_type(pg.stop_gradient(1.0), pg.Node[np.float64])


# Transforms: the result keeps the dtype, one array for an int argnums, a tuple for a tuple.
def loss64(p: pg.Node[np.float64], data: NDArray[np.float64], scale: float = 1.0) -> pg.Node[np.float64]:
    return scale * pg.sum(pg.exp(pg.matmul(data, p)))


def loss32(p: pg.Node[np.float32], q: pg.Node[np.float32]) -> pg.Node[np.float32]:
    return pg.sum(p * q)


d64: NDArray[np.float64] = np.ones((2, 3))
p64: NDArray[np.float64] = np.ones(3)
p32: NDArray[np.float32] = np.ones(3, np.float32)

grad64 = pg.grad(loss64)
assert_type(grad64(p64, d64), NDArray[np.float64])
assert_type(grad64(p64, d64, scale=2.0), NDArray[np.float64])
assert_type(pg.grad(loss32)(p32, pg.constant(p32)), NDArray[np.float32])
assert_type(pg.grad(loss32, argnums=1)(pg.constant(p32), p32), NDArray[np.float32])
assert_type(pg.grad(loss32, argnums=(0, 1))(p32, p32), tuple[NDArray[np.float32], NDArray[np.float32]])
assert_type(pg.grad(loss32, argnums=(1,))(p32, p32), tuple[NDArray[np.float32], ...])
assert_type(pg.grad(loss32, argnums=2), Callable[..., NDArray[np.float32]])
assert_type(pg.value_and_grad(loss64)(p64, d64), tuple[NDArray[np.float64], NDArray[np.float64]])
assert_type(
    pg.value_and_grad(loss32, argnums=1)(pg.constant(p32), p32),
    tuple[NDArray[np.float32], NDArray[np.float32]],
)
assert_type(
    pg.value_and_grad(loss32, argnums=(0, 1))(p32, p32),
    tuple[NDArray[np.float32], tuple[NDArray[np.float32], NDArray[np.float32]]],
)
assert_type(
    pg.value_and_grad(loss32, argnums=(1, 0))(p32, p32),
    tuple[NDArray[np.float32], tuple[NDArray[np.float32], ...]],
)


def square64(p: pg.Node[np.float64]) -> pg.Node[np.float64]:
    return p * p


def three(p: pg.Node[np.float32], q: pg.Node[np.float32], r: pg.Node[np.float32]) -> pg.Node[np.float32]:
    return p * q * r


out, vjp_fn = pg.vjp(square64, p64)
assert_type(out, NDArray[np.float64])
assert_type(vjp_fn, Callable[[NDArray[np.float64] | float], tuple[NDArray[np.float64]]])
assert_type(vjp_fn(p64), tuple[NDArray[np.float64]])
assert_type(pg.vjp(loss32, p32, p32)[1](1.0), tuple[NDArray[np.float32], NDArray[np.float32]])
assert_type(pg.vjp(three, p32, p32, p32)[1](p32), tuple[NDArray[np.float32], ...])

"""Composable transforms, user ops and checkpoint: the types mypy infers (assert_type)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

a = np.ones(3)
a32 = np.ones(3, np.float32)
x = pg.variable(a)
x32 = pg.variable(a32)


def f(v: pg.Node[np.float64]) -> pg.Node[np.float64]:
    return pg.sum(v * v)


def f32(v: pg.Node[np.float32]) -> pg.Node[np.float32]:
    return pg.sum(v * v)


def g(u: pg.Node[np.float64], v: pg.Node[np.float64], scale: float = 1.0) -> pg.Node[np.float64]:
    return pg.sum(u * v) * scale


def elementwise(v: pg.Node[np.float64]) -> pg.Node[np.float64]:
    return pg.sin(v) * v


def h(data: NDArray[np.float64], v: pg.Node[np.float64]) -> pg.Node[np.float64]:
    return pg.sum(v * data)


# grad and value_and_grad: arrays in, arrays out; nodes in, nodes out; nested to any depth.
assert_type(pg.grad(f)(a), NDArray[np.float64])
assert_type(pg.grad(f)(x), pg.Node[np.float64])
assert_type(pg.grad(f32)(a32), NDArray[np.float32])
assert_type(pg.grad(f32)(x32), pg.Node[np.float32])
assert_type(pg.grad(lambda v: pg.sum(pg.grad(f)(v)))(a), NDArray[np.float64])
assert_type(pg.grad(lambda v: pg.sum(pg.grad(lambda u: pg.sum(pg.grad(f)(u)))(v)))(a), NDArray[np.float64])
assert_type(pg.grad(lambda v: pg.sum(pg.grad(f)(v)))(x), pg.Node[np.float64])
assert_type(pg.value_and_grad(f)(a), tuple[NDArray[np.float64], NDArray[np.float64]])
assert_type(pg.value_and_grad(f)(x), tuple[pg.Node[np.float64], pg.Node[np.float64]])
assert_type(pg.grad(h, argnums=1)(a, x), pg.Node[np.float64])
assert_type(pg.grad(h, argnums=1)(a, a), NDArray[np.float64])
assert_type(pg.grad(g, argnums=(0, 1))(a, a), tuple[NDArray[np.float64], NDArray[np.float64]])
assert_type(pg.grad(g, argnums=(0, 1))(x, a, 2.0), tuple[pg.Node[np.float64], pg.Node[np.float64]])
assert_type(
    pg.value_and_grad(g, argnums=(0, 1))(a, x),
    tuple[pg.Node[np.float64], tuple[pg.Node[np.float64], pg.Node[np.float64]]],
)

# vjp
assert_type(pg.vjp(f, x)[0], pg.Node[np.float64])
assert_type(pg.vjp(f, x)[1], Callable[[pg.Node[np.float64] | NDArray[np.float64] | float], tuple[pg.Node[np.float64]]])
assert_type(pg.vjp(g, x, a)[1](x), tuple[pg.Node[np.float64], pg.Node[np.float64]])
assert_type(pg.vjp(f, a)[1](1.0), tuple[NDArray[np.float64]])

# Forward mode, Jacobians, Hessians
assert_type(pg.jvp(f, (a,), (a,)), tuple[NDArray[np.float64], NDArray[np.float64]])
assert_type(pg.jvp(f, (x,), (a,)), tuple[pg.Node[np.float64], pg.Node[np.float64]])
assert_type(pg.jvp(f, (a,), (x,)), tuple[pg.Node[np.float64], pg.Node[np.float64]])
assert_type(pg.jvp(f32, (a32,), (a32,)), tuple[NDArray[np.float32], NDArray[np.float32]])
assert_type(pg.jvp(g, (a, a), (a, a)), tuple[NDArray[np.float64], NDArray[np.float64]])
assert_type(pg.hvp(f, a, a), NDArray[np.float64])
assert_type(pg.hvp(f, x, a), pg.Node[np.float64])
assert_type(pg.hvp(f32, a32, a32), NDArray[np.float32])
assert_type(pg.jacobian(elementwise)(a), NDArray[np.float64])
assert_type(pg.jacobian(elementwise)(x), pg.Node[np.float64])
assert_type(pg.jacobian(h, argnums=1)(a, a), NDArray[np.float64])
assert_type(pg.hessian(f)(a), NDArray[np.float64])
assert_type(pg.hessian(f)(x), pg.Node[np.float64])
assert_type(pg.hessian(f32)(a32), NDArray[np.float32])


# Your own ops: precise annotations on forward pass --strict; calling keeps the node's dtype.
class Cube(pg.Op):
    name = "cube"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x**3

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy * 3 * xs[0] ** 2


class SinCos(pg.MultiOp):
    name = "sincos"

    def forward(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return np.sin(x), np.cos(x)

    def vjp(self, i: int, gys: tuple[Any, ...], xs: tuple[Any, ...]) -> Any:
        return gys[0] * np.cos(xs[0]) - gys[1] * np.sin(xs[0])


assert_type(Cube()(x), pg.Node[np.float64])
assert_type(Cube()(x32), pg.Node[np.float32])
assert_type(Cube()(a, x), pg.Node[np.float64])
assert_type(SinCos()(x), tuple[pg.Node[np.float64], ...])
def cube(v: pg.Node[np.float64]) -> pg.Node[np.float64]:
    return Cube()(v)


assert_type(pg.grad(lambda v: pg.sum(cube(v)))(a), NDArray[np.float64])

# checkpoint keeps f's signature and dtype.
checkpointed: Callable[[pg.Node[np.float64]], pg.Node[np.float64]] = pg.checkpoint(f)
assert_type(pg.checkpoint(f)(x), pg.Node[np.float64])
assert_type(pg.checkpoint(f32)(x32), pg.Node[np.float32])
assert_type(pg.checkpoint(g)(x, x, scale=2.0), pg.Node[np.float64])

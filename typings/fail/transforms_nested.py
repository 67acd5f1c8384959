"""Misuses of the composable transforms, user ops and checkpoint that mypy must reject."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

a = np.ones(3)
a32 = np.ones(3, np.float32)
x = pg.variable(a)
x32 = pg.variable(a32)


def f(v: pg.Node[np.float64]) -> pg.Node[np.float64]:
    return pg.sum(v * v)


pg.jvp(f, (a,), a)  # type: ignore[call-overload]
pg.jvp(f, a, (a,))  # type: ignore[call-overload]
pg.jvp(f, [a], [a])  # type: ignore[call-overload]
y32: pg.Node[np.float32] = pg.checkpoint(f)(x)  # type: ignore[assignment]
pg.checkpoint(f)(x32)  # type: ignore[arg-type]
pg.checkpoint(f)(x, 2.0)  # type: ignore[call-arg]
as_node: pg.Node[np.float64] = pg.grad(f)(a)  # type: ignore[assignment]
as_array: NDArray[np.float64] = pg.grad(f)(x)  # type: ignore[assignment]
pg.grad(f)(a32)  # type: ignore[arg-type]
pg.grad(f)(x32)  # type: ignore[arg-type]
pg.hvp(f, x, x32)  # type: ignore[misc]
pg.hessian(f)(x, a)  # type: ignore[call-overload]
pg.vjp(f, a)[1](x)  # type: ignore[arg-type]
pg.value_and_grad(f)(x)[0].flags  # type: ignore[attr-defined]


class Cube(pg.Op):
    name = "cube"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x**3

    def vjp(self, i: int, gy: Any) -> Any:  # type: ignore[override]
        return gy


class NoRule(pg.Op):
    name = "no_rule"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x


NoRule()  # type: ignore[abstract]
Cube()(x) + x32  # type: ignore[operator]

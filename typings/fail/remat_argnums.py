"""Misuses of checkpoint over trees and of jacobian/hessian with a tuple argnums that mypy
must reject."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

a = np.ones(3)
a32 = np.ones(3, np.float32)
x = pg.variable(a)
x32 = pg.variable(a32)


def both(v: pg.Node[np.float64]) -> tuple[pg.Node[np.float64], pg.Node[np.float64]]:
    return pg.sin(v), pg.cos(v)


def g(u: pg.Node[np.float64], v: pg.Node[np.float64]) -> pg.Node[np.float64]:
    return pg.sum(u * v)


pg.checkpoint(lambda v: 1.0)  # type: ignore[type-var]
pg.checkpoint(lambda v: "no")  # type: ignore[type-var]
one: pg.Node[np.float64] = pg.checkpoint(both)(x)  # type: ignore[assignment]
s32, c32 = pg.checkpoint(both)(x32)  # type: ignore[arg-type]
s, c, extra = pg.checkpoint(both)(x)  # type: ignore[misc]
single: NDArray[np.float64] = pg.jacobian(g, argnums=(0, 1))(a, a)  # type: ignore[assignment]
as_nodes: tuple[pg.Node[np.float64], pg.Node[np.float64]] = pg.jacobian(g, argnums=(0, 1))(a, a)  # type: ignore[assignment]
pg.jacobian(g, argnums=(0, 1))(a32, a32)  # type: ignore[arg-type]
flat: tuple[NDArray[np.float64], NDArray[np.float64]] = pg.hessian(g, argnums=(0, 1))(a, a)  # type: ignore[assignment]
pg.hessian(g, argnums=(0, 1))(a)  # type: ignore[call-overload]
pg.hessian(g, argnums=[0, 1])  # type: ignore[call-overload]

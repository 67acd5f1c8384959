"""Shared test helpers: derivatives of any order, built with create_graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

Fn = Callable[..., pg.Node[Any]]
HIGHER: pg.Config = pg.Config(create_graph=True)


def derivative(f: Fn, argnum: int = 0) -> Fn:
    """x -> d/dx_argnum sum(f(x)), as a node with its own graph (differentiable again)."""

    def df(*xs: pg.Node[Any]) -> pg.Node[Any]:
        y = pg.sum(f(*xs))
        g = pg.backward(y, HIGHER).get(xs[argnum]) if y.requires_grad else None
        return g if g is not None else pg.constant(np.zeros(xs[argnum].shape, xs[argnum].dtype))

    return df


def check_orders(
    f: Fn, *inputs: NDArray[Any], order: int = 3, rtol: float | None = None,
    atol: float | None = None
) -> None:
    """check_grad of f, and of its derivatives up to `order` (for every argument)."""
    pg.check_grad(f, *inputs, rtol=rtol, atol=atol)
    current = [f]
    for _ in range(order - 1):
        current = [derivative(g, i) for g in current for i in range(len(inputs))]
        for g in current:
            pg.check_grad(g, *inputs, rtol=rtol, atol=atol)


def rand(*shape: int, dtype: type[np.floating[Any]] = np.float64, seed: int = 0,
         low: float = -1.0, high: float = 1.0) -> NDArray[Any]:
    """A reproducible random array."""
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)

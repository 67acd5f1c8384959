"""Reductions: sum."""

from __future__ import annotations

import builtins
from typing import Any, overload

import attrs
import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, Node, shape_of
from puregrad.op import Array, Op, apply
from puregrad.ops.shape import BroadcastTo, Reshape

__all__ = ["Sum", "sum"]

Axis = int | tuple[int, ...] | None


def _axes(x: object, axis: object, op: str) -> tuple[int, ...] | None:
    """`axis` as a sorted tuple of non-negative axes of `x` (None: all of them)."""
    if axis is None:
        return None
    ndim = len(shape_of(x))
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        axis = (int(axis),)
    if not (isinstance(axis, tuple) and builtins.all(isinstance(a, (int, np.integer)) for a in axis)):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    try:
        return tuple(sorted(normalize_axis_tuple(axis, ndim)))
    except (ValueError, IndexError) as error:
        raise ValueError(f"{op}: {error} (input shape {shape_of(x)})") from None


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape a reduction over `axis` has with keepdims=True."""
    return tuple(1 if axis is None or i in axis else s for i, s in enumerate(shape))


@attrs.frozen
class Sum(Op):
    name = "sum"
    axis: tuple[int, ...] | None
    keepdims: bool

    def forward(self, *xs: Any) -> Any:
        return np.sum(xs[0], axis=self.axis, keepdims=self.keepdims)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        shape = shape_of(xs[0])
        return BroadcastTo(shape)(Reshape(_kept_shape(shape, self.axis))(gy))


@overload
def sum(x: Node[D] | NDArray[D], axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[D]: ...
@overload
def sum(x: float, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[np.float64]: ...
def sum(x: object, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[Any]:
    """Sum of `x` over `axis` (all axes when None), as `numpy.sum`.

    >>> import puregrad as pg
    >>> sum(pg.variable(np.ones((2, 3))), axis=1).value
    array([3., 3.])
    """
    return apply(Sum(_axes(x, axis, "sum"), bool(keepdims)), (x,), config)

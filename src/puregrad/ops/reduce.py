"""Reductions: sum, mean, max and min, with numpy's `axis` and `keepdims`."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any, overload

import attrs
import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, F, Node, shape_of
from puregrad.op import Array, NonDifferentiable, Op, apply
from puregrad.ops.shape import BroadcastTo, Reshape

__all__ = ["Extreme", "Mean", "Sum", "max", "mean", "min", "sum"]

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


@attrs.frozen
class Mean(Op):
    name = "mean"
    axis: tuple[int, ...] | None
    keepdims: bool

    def forward(self, *xs: Any) -> Any:
        return np.mean(xs[0], axis=self.axis, keepdims=self.keepdims)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        shape = shape_of(xs[0])
        kept = _kept_shape(shape, self.axis)
        count = math.prod(shape) // builtins.max(math.prod(kept), 1)
        return BroadcastTo(shape)(Reshape(kept)(gy) / count)


def _share(x: Any, y: Any, axis: tuple[int, ...] | None, kept: tuple[int, ...]) -> Any:
    """Where `x` attains its extreme `y` along `axis`, 1 / (the number of such places); 0
    elsewhere: max([1, 3, 3]) sends [0, .5, .5] of the gradient."""
    hits = np.equal(x, np.reshape(y, kept)) | np.isnan(x)  # a nan extreme: the nans
    return (hits / np.sum(hits, axis=axis, keepdims=True)).astype(np.result_type(x))


@attrs.frozen
class Extreme(Op):
    """max or min: the gradient goes to the places that attain the extreme, split evenly
    among ties."""

    name: str  # type: ignore[misc]  # "max" or "min": an instance's own name
    function: Callable[..., Any]
    axis: tuple[int, ...] | None
    keepdims: bool

    def forward(self, *xs: Any) -> Any:
        x = xs[0]
        try:
            return self.function(x, axis=self.axis, keepdims=self.keepdims)
        except ValueError:
            raise ValueError(
                f"{self.name}: cannot reduce an empty axis of shape {np.shape(x)}"
            ) from None

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        kept = _kept_shape(shape_of(xs[0]), self.axis)
        share = NonDifferentiable(
            f"{self.name}_share", lambda x, y: _share(x, y, self.axis, kept)
        )(xs[0], y)
        return Reshape(kept)(gy) * share


@overload
def mean(x: Node[F] | NDArray[F], axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[F]: ...
@overload
def mean(x: float, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[np.float64]: ...
def mean(x: object, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[Any]:
    """Mean of floating `x` over `axis` (all axes when None), as `numpy.mean`.

    Raises:
        TypeError: `axis` is not None, an int or a tuple of ints.
        ValueError: an axis out of range or repeated.

    >>> import puregrad as pg
    >>> mean(pg.variable(np.array([[1.0, 2.0], [3.0, 5.0]])), axis=1).value
    array([1.5, 4. ])
    """
    return apply(Mean(_axes(x, axis, "mean"), bool(keepdims)), (x,), config)


@overload
def max(x: Node[D] | NDArray[D], axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[D]: ...
@overload
def max(x: float, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[np.float64]: ...
def max(x: object, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[Any]:
    """Largest element of `x` over `axis` (all axes when None), as `numpy.max`. Tied maxima
    share the gradient evenly; a nan maximum sends it to the nans.

    Raises:
        TypeError: `axis` is not None, an int or a tuple of ints.
        ValueError: an axis out of range or repeated, or an empty axis to reduce.

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([1.0, 3.0, 3.0]))
    >>> pg.backward(max(x))[x].value
    array([0. , 0.5, 0.5])
    """
    return apply(Extreme("max", np.max, _axes(x, axis, "max"), bool(keepdims)), (x,), config)


@overload
def min(x: Node[D] | NDArray[D], axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[D]: ...
@overload
def min(x: float, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[np.float64]: ...
def min(x: object, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[Any]:
    """Smallest element of `x` over `axis` (all axes when None), as `numpy.min`; tied
    minima share the gradient evenly (see `max`).

    >>> import puregrad as pg
    >>> min(pg.variable(np.array([[2.0, 1.0], [0.0, 4.0]])), axis=0).value
    array([0., 1.])
    """
    return apply(Extreme("min", np.min, _axes(x, axis, "min"), bool(keepdims)), (x,), config)

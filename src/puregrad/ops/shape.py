"""Shape ops: reshape, broadcast_to and sum_to (the pair `backward` undoes broadcasting with)."""

from __future__ import annotations

from typing import Any, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, Node, shape_of
from puregrad.op import Array, Op, apply

__all__ = ["BroadcastTo", "Reshape", "SumTo", "broadcast_to", "reshape", "sum_to"]


def _shape(shape: object, op: str) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    if isinstance(shape, (tuple, list)) and all(isinstance(s, (int, np.integer)) for s in shape):
        return tuple(int(s) for s in shape)
    raise TypeError(f"{op}: shape must be an int or a tuple of ints, got {shape!r}")


@attrs.frozen
class Reshape(Op):
    name = "reshape"
    shape: tuple[int, ...]

    def forward(self, *xs: Any) -> Any:
        (x,) = xs
        try:
            return np.reshape(x, self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape shape {np.shape(x)} into {self.shape}"
            ) from None

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return Reshape(shape_of(xs[0]))(gy)


@attrs.frozen
class BroadcastTo(Op):
    name = "broadcast_to"
    shape: tuple[int, ...]

    def forward(self, *xs: Any) -> Any:
        (x,) = xs
        try:
            return np.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast shape {np.shape(x)} to {self.shape}"
            ) from None

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return gy  # `backward` sums every gradient back to its input's shape


@attrs.frozen
class SumTo(Op):
    name = "sum_to"
    shape: tuple[int, ...]

    def forward(self, *xs: Any) -> Any:
        (x,) = xs
        shape = np.shape(x)
        if shape == self.shape:
            return x
        lead = len(shape) - len(self.shape)
        if lead < 0 or any(
            t != 1 and t != s for s, t in zip(shape[lead:], self.shape)
        ):
            raise ValueError(f"sum_to: cannot sum shape {shape} to {self.shape}")
        axes = tuple(range(lead)) + tuple(
            lead + i for i, (s, t) in enumerate(zip(shape[lead:], self.shape)) if t == 1 and s != 1
        )
        # Summing the kept axes first and the leading ones last leaves a fresh array, not a
        # view, so nothing is copied when it is stored.
        kept = tuple(a for a in axes if a >= lead)
        y = np.sum(x, axis=kept, keepdims=True) if kept else x
        return np.sum(y, axis=tuple(range(lead))) if lead else y

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return BroadcastTo(shape_of(xs[0]))(gy)


@overload
def reshape(x: Node[D] | NDArray[D], shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[D]: ...
@overload
def reshape(x: float, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[np.float64]: ...
def reshape(x: object, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[Any]:
    """`x` with a new shape of the same size (one entry may be -1), as `numpy.reshape`.

    >>> import puregrad as pg
    >>> reshape(pg.variable(np.arange(6.0)), (2, 3)).shape
    (2, 3)
    """
    return apply(Reshape(_shape(shape, "reshape")), (x,), config)


@overload
def broadcast_to(x: Node[D] | NDArray[D], shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[D]: ...
@overload
def broadcast_to(x: float, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[np.float64]: ...
def broadcast_to(x: object, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[Any]:
    """`x` broadcast to `shape`, as `numpy.broadcast_to`; its gradient is `sum_to`.

    >>> import puregrad as pg
    >>> broadcast_to(pg.variable(np.array([1.0, 2.0])), (3, 2)).shape
    (3, 2)
    """
    return apply(BroadcastTo(_shape(shape, "broadcast_to")), (x,), config)


@overload
def sum_to(x: Node[D] | NDArray[D], shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[D]: ...
@overload
def sum_to(x: float, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[np.float64]: ...
def sum_to(x: object, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[Any]:
    """Sum `x` down to `shape` (the reverse of `broadcast_to`): `shape` must broadcast to
    `x.shape`.

    >>> import puregrad as pg
    >>> sum_to(pg.variable(np.ones((3, 2))), (1, 2)).value
    array([[3., 3.]])
    """
    return apply(SumTo(_shape(shape, "sum_to")), (x,), config)

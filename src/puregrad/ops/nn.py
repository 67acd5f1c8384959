"""Neural-network ops: clip, softmax, log_softmax, the losses, and stop_gradient."""

from __future__ import annotations

import math
from typing import Any, Final, TypeAlias, TypeVar, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, F, Node, _leaf, constant, shape_of
from puregrad.op import Array, Op, apply
from puregrad.ops.reduce import Axis, _axes

__all__ = [
    "Clip",
    "ClipGrad",
    "LogSoftmax",
    "MeanSquaredError",
    "OneHot",
    "Softmax",
    "SoftmaxCrossEntropy",
    "clip",
    "log_softmax",
    "mean_squared_error",
    "softmax",
    "softmax_cross_entropy",
    "stop_gradient",
]

Int = TypeVar("Int", bound=np.integer[Any])
"""The integer scalar type of class labels."""

Bound: TypeAlias = int | float | None


# clip -----------------------------------------------------------------------------------------


def _inside(x: Any, x_min: Bound, x_max: Bound) -> Any:
    """Where `x_min <= x <= x_max` (bounds inclusive; None is no bound), as a bool array."""
    mask = np.ones(np.shape(x), bool) if x_min is None else np.greater_equal(x, x_min)
    return mask if x_max is None else mask & np.less_equal(x, x_max)


@attrs.frozen
class ClipGrad(Op):
    """`gy` where `x_min <= x <= x_max`, else 0: the gradient of clip, itself linear in `gy`
    (and locally constant in `x`, so `x` gets no gradient from it)."""

    name = "clip_grad"
    x_min: Bound
    x_max: Bound

    def forward(self, *xs: Any) -> Any:
        gy, x = xs
        return gy * _inside(x, self.x_min, self.x_max)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return self(gy, xs[1]) if i == 0 else None


@attrs.frozen
class Clip(Op):
    name = "clip"
    x_min: Bound
    x_max: Bound

    def forward(self, *xs: Any) -> Any:
        return np.clip(xs[0], self.x_min, self.x_max)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return ClipGrad(self.x_min, self.x_max)(gy, xs[0])


def _bound(value: object, which: str) -> Bound:
    """A bound as a Python number, so that it never changes the dtype of `x` (a numpy
    float64 scalar would promote a float32 array)."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    raise TypeError(f"clip: {which} must be a real scalar or None, got {type(value).__name__}")


@overload
def clip(x: Node[D] | NDArray[D], x_min: float | None, x_max: float | None, *, config: Config | None = None) -> Node[D]: ...
@overload
def clip(x: float, x_min: float | None, x_max: float | None, *, config: Config | None = None) -> Node[np.float64]: ...
def clip(x: object, x_min: float | None, x_max: float | None, *, config: Config | None = None) -> Node[Any]:
    """`x` limited to `[x_min, x_max]`, as `numpy.clip`; either bound may be None.

    The gradient passes where `x_min <= x <= x_max` (bounds inclusive) and is 0 elsewhere.

    Raises:
        TypeError: a bound is not a real scalar or None.

    >>> import puregrad as pg
    >>> clip(pg.variable(np.array([-2.0, 0.5, 3.0])), 0.0, 1.0).value
    array([0. , 0.5, 1. ])
    """
    return apply(Clip(_bound(x_min, "x_min"), _bound(x_max, "x_max")), (x,), config)


# softmax and log_softmax ------------------------------------------------------------------------


@attrs.frozen
class Softmax(Op):
    name = "softmax"
    axis: tuple[int, ...] | None

    def forward(self, *xs: Any) -> Any:
        z = np.exp(xs[0] - np.max(xs[0], axis=self.axis, keepdims=True))
        z /= np.sum(z, axis=self.axis, keepdims=True)
        return z

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return y * (gy - np.sum(gy * y, axis=self.axis, keepdims=True))


@attrs.frozen
class LogSoftmax(Op):
    name = "log_softmax"
    axis: tuple[int, ...] | None

    def forward(self, *xs: Any) -> Any:
        z = xs[0] - np.max(xs[0], axis=self.axis, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=self.axis, keepdims=True))

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return gy - np.exp(y) * np.sum(gy, axis=self.axis, keepdims=True)


@overload
def softmax(x: Node[F] | NDArray[F], axis: Axis = -1, *, config: Config | None = None) -> Node[F]: ...
@overload
def softmax(x: float, axis: Axis = -1, *, config: Config | None = None) -> Node[np.float64]: ...
def softmax(x: object, axis: Axis = -1, *, config: Config | None = None) -> Node[Any]:
    """`exp(x) / sum(exp(x))` along `axis` (an int, a tuple, or None for all axes),
    computed stably (the maximum is subtracted first).

    Raises:
        ValueError: `axis` is out of range for `x`.

    >>> import puregrad as pg
    >>> softmax(pg.variable(np.array([0.0, np.log(3.0)]))).value
    array([0.25, 0.75])
    """
    return apply(Softmax(_axes(x, axis, "softmax")), (x,), config)


@overload
def log_softmax(x: Node[F] | NDArray[F], axis: Axis = -1, *, config: Config | None = None) -> Node[F]: ...
@overload
def log_softmax(x: float, axis: Axis = -1, *, config: Config | None = None) -> Node[np.float64]: ...
def log_softmax(x: object, axis: Axis = -1, *, config: Config | None = None) -> Node[Any]:
    """`log(softmax(x, axis))`, computed stably as `x - max - log(sum(exp(x - max)))`.

    Raises:
        ValueError: `axis` is out of range for `x`.

    >>> import puregrad as pg
    >>> log_softmax(pg.variable(np.array([1e4, 1e4]))).value
    array([-0.69314718, -0.69314718])
    """
    return apply(LogSoftmax(_axes(x, axis, "log_softmax")), (x,), config)


# Losses -----------------------------------------------------------------------------------------


@attrs.frozen
class MeanSquaredError(Op):
    name = "mean_squared_error"

    def forward(self, *xs: Any) -> Any:
        x0, x1 = xs
        try:
            d = np.subtract(x0, x1)
        except ValueError:
            raise ValueError(
                f"mean_squared_error: cannot broadcast shapes {np.shape(x0)} and {np.shape(x1)}"
            ) from None
        if d.size == 0:
            raise ValueError(
                f"mean_squared_error: no elements (shapes {np.shape(x0)} and {np.shape(x1)})"
            )
        return np.mean(d * d)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x0, x1 = xs
        size = math.prod(np.broadcast_shapes(shape_of(x0), shape_of(x1)))
        scale = 2.0 / size if i == 0 else -2.0 / size
        return gy * scale * (x0 - x1)


MEAN_SQUARED_ERROR: Final = MeanSquaredError()


@overload
def mean_squared_error(x0: Node[D] | NDArray[D], x1: Node[D] | NDArray[D] | D | float, *, config: Config | None = None) -> Node[D]: ...
@overload
def mean_squared_error(x0: D | float, x1: Node[D] | NDArray[D], *, config: Config | None = None) -> Node[D]: ...
def mean_squared_error(x0: object, x1: object, *, config: Config | None = None) -> Node[Any]:
    """The mean of `(x0 - x1) ** 2` over all elements, after broadcasting (a 0-d node).

    Raises:
        ValueError: the shapes do not broadcast, or there are no elements.

    >>> import puregrad as pg
    >>> mean_squared_error(pg.variable(np.array([1.0, 3.0])), np.array([0.0, 0.0])).value
    array(5.)
    """
    return apply(MEAN_SQUARED_ERROR, (x0, x1), config)


@attrs.frozen
class OneHot(Op):
    """`t` (integer labels `(N,)`) as a bool matrix `(N, classes)`; labels get no gradient."""

    name = "one_hot"
    classes: int

    def forward(self, *xs: Any) -> Any:
        return xs[0][:, None] == np.arange(self.classes)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return None  # integer labels are never differentiated


SOFTMAX_ROWS: Final = Softmax((1,))


@attrs.frozen
class SoftmaxCrossEntropy(Op):
    """`mean(-log_softmax(x)[n, t[n]])`; its rule `(softmax(x) - onehot(t)) * gy / N` is
    built from ops, so it differentiates again."""

    name = "softmax_cross_entropy"

    def forward(self, *xs: Any) -> Any:
        x, t = xs
        _check_labels(np.shape(x), np.asarray(t))
        z = x - np.max(x, axis=1, keepdims=True)
        log_sum = np.log(np.sum(np.exp(z), axis=1))
        return np.mean(log_sum - z[np.arange(len(z)), t])

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x, t = xs
        n, classes = shape_of(x)
        return (SOFTMAX_ROWS(x) - OneHot(classes)(t)) * (gy / n)


def _check_labels(shape: tuple[int, ...], t: NDArray[Any]) -> None:
    name = "softmax_cross_entropy"
    if len(shape) != 2:
        raise ValueError(f"{name}: logits must be 2-D (N, C), got shape {shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: labels must be integers, got dtype {t.dtype}")
    if t.shape != shape[:1]:
        raise ValueError(
            f"{name}: labels of shape {t.shape} for logits of shape {shape}; expected {shape[:1]}"
        )
    if shape[0] == 0:
        raise ValueError(f"{name}: empty batch (logits of shape {shape})")
    low, high = t.min(), t.max()
    if low < 0 or high >= shape[1]:
        bad = low if low < 0 else high
        raise ValueError(
            f"{name}: labels must be in [0, {shape[1]}) for logits of shape {shape}, got {bad}"
        )


SOFTMAX_CROSS_ENTROPY: Final = SoftmaxCrossEntropy()


def softmax_cross_entropy(
    x: Node[D] | NDArray[D], t: Node[Int] | NDArray[Int], *, config: Config | None = None
) -> Node[D]:
    """The cross entropy of `softmax(x)` against integer class labels, averaged over the
    batch: `mean(logsumexp(x[n]) - x[n, t[n]])`, computed stably (finite for logits like
    1e4).

    Args:
        x: logits of shape `(N, C)`.
        t: integer labels of shape `(N,)`, each in `[0, C)` (a constant: no gradient).

    Raises:
        TypeError: the labels are not integers.
        ValueError: `x` is not 2-D or empty, `t` is not of shape `(N,)`, or a label is out of
            range.

    >>> import puregrad as pg
    >>> softmax_cross_entropy(pg.variable(np.zeros((2, 4))), np.array([0, 3])).value
    array(1.38629436)
    """
    return apply(SOFTMAX_CROSS_ENTROPY, (x, t), config)


# stop_gradient -----------------------------------------------------------------------------------


@overload
def stop_gradient(x: Node[D] | NDArray[D]) -> Node[D]: ...
@overload
def stop_gradient(x: D) -> Node[D]: ...
@overload
def stop_gradient(x: float) -> Node[np.float64]: ...
def stop_gradient(x: Node[Any] | NDArray[Any] | np.generic | float) -> Node[Any]:
    """The same value as a constant: no gradient flows back through it.

    It records nothing, so it needs no config; the value is shared, not copied.

    >>> import puregrad as pg
    >>> x = pg.variable(2.0)
    >>> pg.backward(x * stop_gradient(x))[x]
    Node(2., constant)
    """
    if type(x) is Node:
        return _leaf(x.value, x.name, False) if x.requires_grad else x
    return constant(x)

"""Reductions: sum, mean, max, min, prod, var, std and logsumexp, with numpy's `axis` and
`keepdims`; the running sums and products cumsum and cumprod; argmax and argmin (index
arrays, not differentiated)."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any, Final, overload

import attrs
import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, F, Node, shape_of
from puregrad.op import Array, NonDifferentiable, Op, apply
from puregrad.ops.binary import Where
from puregrad.ops.shape import BroadcastTo, Concat, Flip, GetItem, Reshape, Transpose, _axis

__all__ = [
    "Cumprod",
    "Cumsum",
    "Extreme",
    "LogSumExp",
    "Mean",
    "Prod",
    "Std",
    "Sum",
    "Var",
    "argmax",
    "argmin",
    "cumprod",
    "cumsum",
    "logsumexp",
    "max",
    "mean",
    "min",
    "prod",
    "std",
    "sum",
    "var",
]

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
class Cumsum(Op):
    """Running sum along `axis` (from the end when `reverse`); its gradient is the running sum
    of `gy` the other way."""

    name = "cumsum"
    axis: int
    reverse: bool = False

    def forward(self, *xs: Any) -> Any:
        if not self.reverse:
            return np.cumsum(xs[0], axis=self.axis)
        y = np.cumsum(np.flip(xs[0], self.axis), axis=self.axis)
        y.setflags(write=False)  # so the flipped view below is stored without a copy
        return np.flip(y, self.axis)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return Cumsum(self.axis, not self.reverse)(gy)


def _running(x: object, axis: int | None, op: str, config: Config | None) -> tuple[object, int]:
    """The operand and axis of a running sum or product: numpy flattens for axis None."""
    if axis is None:
        return apply(Reshape((-1,)), (x,), config), 0
    return x, _axis(axis, shape_of(x), op)


@overload
def cumsum(x: Node[D] | NDArray[D], axis: int | None = None, *, config: Config | None = None) -> Node[D]: ...
@overload
def cumsum(x: float, axis: int | None = None, *, config: Config | None = None) -> Node[np.float64]: ...
def cumsum(x: object, axis: int | None = None, *, config: Config | None = None) -> Node[Any]:
    """Running sum of `x` along `axis` (of the flattened `x` when None), as `numpy.cumsum`.

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([1.0, 2.0, 3.0]))
    >>> cumsum(x).value
    array([1., 3., 6.])
    >>> pg.backward(pg.sum(cumsum(x)))[x].value
    array([3., 2., 1.])
    """
    operand, a = _running(x, axis, "cumsum", config)
    return apply(Cumsum(a), (operand,), config)


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


# prod and cumprod: gradients exact with zeros in the input -------------------------------------

HAS_ZERO: Final = NonDifferentiable("has_zero", lambda x: not np.all(x))
NONZERO: Final = NonDifferentiable("nonzero", lambda x: np.not_equal(x, 0))
SEVERAL_ZEROS: Final = NonDifferentiable(
    "several_zeros", lambda x, axis: bool(np.any(np.sum(np.equal(x, 0), axis=axis) > 1))
)


def _first_zero(axis: int) -> NonDifferentiable:
    """The mask of the first zero along `axis` (False everywhere in a slice without one)."""

    def first(x: Any) -> Any:
        zero = np.equal(x, 0)
        return zero & (np.cumsum(zero, axis=axis) == 1)

    return NonDifferentiable("first_zero", first)


@attrs.frozen
class Cumprod(Op):
    """Running product along `axis`; the gradient of `x[j]` is
    `sum over i >= j of gy[i] * (the product of x[:i + 1] but x[j])`, exact with zeros.

    Without zeros that is `revcumsum(gy * y) / x`. With one zero per slice, the zero's own
    gradient is `revcumsum(gy * y1)`, `y1` the running product with that zero read as 1, and
    every other place keeps the division (by 1 at the zero). With several zeros in a slice
    the products are formed one row per `j` (`n` running products of `n` elements, O(n^2)),
    so that the derivatives between two zeros are right as well. Each form equals the
    gradient near `x` too, so each differentiates again exactly, to every order.
    """

    name = "cumprod"
    axis: int

    def forward(self, *xs: Any) -> Any:
        return np.cumprod(xs[0], axis=self.axis)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x = xs[0]
        after = Cumsum(self.axis, reverse=True)
        if not HAS_ZERO(x):
            return after(gy * y) / x
        if SEVERAL_ZEROS(x, self.axis):
            return self._by_rows(gy, x)
        first = Where(_first_zero(self.axis)(x))
        y1 = Cumprod(self.axis)(first(1, x))
        return first(after(gy * y1), after(gy * y) / Where(NONZERO(x))(x, 1))

    def _by_rows(self, gy: Array, x: Array) -> Array:
        """The gradient from `n` running products, row `j` with `x[j]` read as 1."""
        shape = shape_of(x)
        n = shape[self.axis]
        order = tuple(d for d in range(len(shape)) if d != self.axis) + (self.axis,)
        lead = tuple(shape[d] for d in order[:-1])
        rows = BroadcastTo(lead + (n, n))(Reshape(lead + (1, n))(Transpose(order)(x)))
        products = Cumprod(len(lead) + 1)(Where(np.eye(n, dtype=bool))(1, rows))
        upper = np.triu(np.ones((n, n), x.dtype))  # [j, i]: 1 where i >= j
        g = Reshape(lead + (1, n))(Transpose(order)(gy))
        gx = Sum((len(lead) + 1,), False)(g * upper * products)
        return Transpose(tuple(int(d) for d in np.argsort(order)))(gx)


@overload
def cumprod(x: Node[D] | NDArray[D], axis: int | None = None, *, config: Config | None = None) -> Node[D]: ...
@overload
def cumprod(x: float, axis: int | None = None, *, config: Config | None = None) -> Node[np.float64]: ...
def cumprod(x: object, axis: int | None = None, *, config: Config | None = None) -> Node[Any]:
    """Running product of `x` along `axis` (of the flattened `x` when None), as
    `numpy.cumprod`. Its gradient is exact with zeros in `x`, and differentiates again
    exactly (see `Cumprod`).

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([2.0, 0.0, 3.0]))
    >>> pg.backward(pg.sum(cumprod(x)))[x].value
    array([1., 8., 0.])
    """
    operand, a = _running(x, axis, "cumprod", config)
    return apply(Cumprod(a), (operand,), config)


def _others(x: Array, axis: tuple[int, ...] | None) -> Array:
    """The product of the other elements of each group that `prod` reduces over `axis`,
    without division (so zeros are fine): the running products from the left and from the
    right, each stopping one short, multiplied. Built from ops: it differentiates again."""
    shape = shape_of(x)
    axes = tuple(range(len(shape))) if axis is None else axis
    rest = tuple(d for d in range(len(shape)) if d not in axes)
    order = rest + axes
    moved = tuple(shape[d] for d in order)
    last = len(rest)
    z = Reshape(moved[:last] + (-1,))(Transpose(order)(x))
    ones = np.ones(moved[:last] + (1,), x.dtype)

    def exclusive(v: Array) -> Array:
        head = GetItem((slice(None),) * last + (slice(None, -1),))(v)
        return Concat(last)(ones, Cumprod(last)(head))

    flip = Flip((last,))
    others = exclusive(z) * flip(exclusive(flip(z)))
    back = tuple(int(a) for a in np.argsort(order))
    return Transpose(back)(Reshape(moved)(others))


@attrs.frozen
class Prod(Op):
    """Product over `axis`. Its rule is `gy * y / x` without zeros and the product of the
    others (`_others`, built without division from running products) with them, exact to
    every order either way."""

    name = "prod"
    axis: tuple[int, ...] | None
    keepdims: bool

    def forward(self, *xs: Any) -> Any:
        return np.prod(xs[0], axis=self.axis, keepdims=self.keepdims)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x = xs[0]
        kept = _kept_shape(shape_of(x), self.axis)
        if not HAS_ZERO(x):
            return Reshape(kept)(gy) * Reshape(kept)(y) / x
        return Reshape(kept)(gy) * _others(x, self.axis)


@overload
def prod(x: Node[D] | NDArray[D], axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[D]: ...
@overload
def prod(x: float, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[np.float64]: ...
def prod(x: object, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[Any]:
    """Product of `x` over `axis` (all axes when None), as `numpy.prod`. The gradient of each
    element is the product of the others, exact with zeros in `x` (one or several).

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([2.0, 0.0, 3.0]))
    >>> pg.backward(prod(x))[x].value
    array([0., 6., 0.])
    """
    return apply(Prod(_axes(x, axis, "prod"), bool(keepdims)), (x,), config)


# var, std, logsumexp ------------------------------------------------------------------------


def _count(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> int:
    """How many elements each group of a reduction over `axis` holds."""
    return math.prod(shape) // builtins.max(math.prod(_kept_shape(shape, axis)), 1)


@attrs.frozen
class Var(Op):
    """Variance over `axis` with `ddof` delta degrees of freedom; its gradient is
    `2 (x - mean) / (n - ddof)`."""

    name = "var"
    axis: tuple[int, ...] | None
    ddof: int
    keepdims: bool

    def forward(self, *xs: Any) -> Any:
        return np.var(xs[0], axis=self.axis, ddof=self.ddof, keepdims=self.keepdims)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x = xs[0]
        shape = shape_of(x)
        scale = 2.0 / (_count(shape, self.axis) - self.ddof)
        centered = x - Mean(self.axis, True)(x)
        return Reshape(_kept_shape(shape, self.axis))(gy) * scale * centered


@attrs.frozen
class Std(Op):
    """Standard deviation over `axis`; its gradient is `(x - mean) / ((n - ddof) y)`."""

    name = "std"
    axis: tuple[int, ...] | None
    ddof: int
    keepdims: bool

    def forward(self, *xs: Any) -> Any:
        return np.std(xs[0], axis=self.axis, ddof=self.ddof, keepdims=self.keepdims)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x = xs[0]
        shape = shape_of(x)
        kept = _kept_shape(shape, self.axis)
        count = _count(shape, self.axis) - self.ddof
        return Reshape(kept)(gy) * (x - Mean(self.axis, True)(x)) / (Reshape(kept)(y) * count)


def _ddof(ddof: object, op: str) -> int:
    if not isinstance(ddof, (int, np.integer)) or isinstance(ddof, bool):
        raise TypeError(f"{op}: ddof must be an int, got {ddof!r}")
    return int(ddof)


@overload
def var(x: Node[F] | NDArray[F], axis: Axis = None, *, ddof: int = 0, keepdims: bool = False, config: Config | None = None) -> Node[F]: ...
@overload
def var(x: float, axis: Axis = None, *, ddof: int = 0, keepdims: bool = False, config: Config | None = None) -> Node[np.float64]: ...
def var(x: object, axis: Axis = None, *, ddof: int = 0, keepdims: bool = False, config: Config | None = None) -> Node[Any]:
    """Variance of floating `x` over `axis`, dividing by `n - ddof`, as `numpy.var`.

    Raises:
        TypeError: `axis` or `ddof` of the wrong type.
        ValueError: an axis out of range or repeated.

    >>> import puregrad as pg
    >>> var(pg.variable(np.array([1.0, 2.0, 3.0, 4.0])), ddof=1).value
    array(1.66666667)
    """
    return apply(Var(_axes(x, axis, "var"), _ddof(ddof, "var"), bool(keepdims)), (x,), config)


@overload
def std(x: Node[F] | NDArray[F], axis: Axis = None, *, ddof: int = 0, keepdims: bool = False, config: Config | None = None) -> Node[F]: ...
@overload
def std(x: float, axis: Axis = None, *, ddof: int = 0, keepdims: bool = False, config: Config | None = None) -> Node[np.float64]: ...
def std(x: object, axis: Axis = None, *, ddof: int = 0, keepdims: bool = False, config: Config | None = None) -> Node[Any]:
    """Standard deviation of floating `x` over `axis`, as `numpy.std`: `sqrt(var(x, axis,
    ddof=ddof))`. Its gradient is nan where the deviation is 0 (as JAX).

    >>> import puregrad as pg
    >>> std(pg.variable(np.array([[1.0, 3.0], [2.0, 2.0]])), axis=1).value
    array([1., 0.])
    """
    return apply(Std(_axes(x, axis, "std"), _ddof(ddof, "std"), bool(keepdims)), (x,), config)


@attrs.frozen
class LogSumExp(Op):
    """`log(sum(exp(x)))` over `axis`, with the maximum taken out first so nothing
    overflows; its gradient is the softmax of `x`, computed as stably."""

    name = "logsumexp"
    axis: tuple[int, ...] | None
    keepdims: bool

    def forward(self, *xs: Any) -> Any:
        x = xs[0]
        try:
            m = _shift(self.axis)(x)  # all -inf (or an inf) in a group: nothing to take out
        except ValueError:
            raise ValueError(f"logsumexp: cannot reduce an empty axis of shape {np.shape(x)}") from None
        with np.errstate(divide="ignore"):  # log(0) = -inf where every element is -inf
            y = np.log(np.sum(np.exp(x - m), axis=self.axis, keepdims=True)) + m
        return y if self.keepdims else np.reshape(y, np.shape(np.sum(x, axis=self.axis)))

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        # The softmax of x, from x less its maximum (a constant: softmax does not depend on
        # it) rather than as exp(x - y): y = 1e30 in float32 has lost log 2 to rounding.
        x = xs[0]
        e = np.exp(x - _shift(self.axis)(x))
        return Reshape(_kept_shape(shape_of(x), self.axis))(gy) * e / np.sum(e, axis=self.axis, keepdims=True)


def _shift(axis: tuple[int, ...] | None) -> NonDifferentiable:
    """The maximum over `axis` (kept), as a constant; 0 where it is not finite."""

    def shift(x: Any) -> Any:
        m = np.max(x, axis=axis, keepdims=True)
        return np.where(np.isfinite(m), m, 0).astype(np.result_type(x))

    return NonDifferentiable("logsumexp_shift", shift)


@overload
def logsumexp(x: Node[F] | NDArray[F], axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[F]: ...
@overload
def logsumexp(x: float, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[np.float64]: ...
def logsumexp(x: object, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[Any]:
    """`log(sum(exp(x)))` over `axis` (all axes when None), computed stably, as
    `scipy.special.logsumexp`: finite for any finite `x`, with a gradient (the softmax of
    `x`) that is too.

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([1000.0, 1000.0]))
    >>> logsumexp(x).value
    array(1000.69314718)
    >>> pg.backward(logsumexp(x))[x].value
    array([0.5, 0.5])
    """
    return apply(LogSumExp(_axes(x, axis, "logsumexp"), bool(keepdims)), (x,), config)


# argmax and argmin: index arrays ---------------------------------------------------------------


def _arg(function: Callable[..., Any], x: object, axis: int | None, keepdims: bool, op: str) -> NDArray[np.intp]:
    value = x.value if type(x) is Node else x
    if not isinstance(value, (np.ndarray, int, float, np.generic)):
        raise TypeError(f"{op}: expected a Node, numpy.ndarray or scalar, got {type(value).__name__}")
    if axis is not None:
        axis = _axis(axis, np.shape(value), op)
    try:
        return np.asarray(function(value, axis=axis, keepdims=bool(keepdims)), dtype=np.intp)
    except ValueError as error:
        raise ValueError(f"{op}: {error} (input shape {np.shape(value)})") from None


def argmax(x: Node[Any] | NDArray[Any] | float, axis: int | None = None, keepdims: bool = False) -> NDArray[np.intp]:
    """The indices of the largest elements along `axis` (of the flattened `x` when None), as
    `numpy.argmax`: a plain integer array (a 0-d one for axis None), never differentiated.

    >>> import puregrad as pg
    >>> argmax(pg.variable(np.array([[1.0, 5.0], [7.0, 2.0]])), axis=1)
    array([1, 0])
    """
    return _arg(np.argmax, x, axis, keepdims, "argmax")


def argmin(x: Node[Any] | NDArray[Any] | float, axis: int | None = None, keepdims: bool = False) -> NDArray[np.intp]:
    """The indices of the smallest elements along `axis`, as `numpy.argmin` (see `argmax`).

    >>> import puregrad as pg
    >>> argmin(pg.variable(np.array([3.0, 1.0, 2.0])))
    array(1)
    """
    return _arg(np.argmin, x, axis, keepdims, "argmin")

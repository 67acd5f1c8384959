"""Elementwise functions: one line each, the forward beside its VJP rule `(gy, x, y) -> gx`.

Piecewise-constant functions (`sign`, `floor`, `ceil`, `round`) have zero gradients, as in
JAX: a constant array of zeros, so the input still gets a gradient (of zeros)."""

from __future__ import annotations

import math
from typing import Any, Final, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, Node
from puregrad.op import (
    Array,
    Elementwise,
    FloatUnaryFunction,
    NonDifferentiable,
    Op,
    UnaryFunction,
    apply,
    unary_function,
)

__all__ = [
    "Round",
    "abs",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctanh",
    "cbrt",
    "ceil",
    "cos",
    "cosh",
    "exp",
    "exp2",
    "expm1",
    "floor",
    "log",
    "log10",
    "log1p",
    "log2",
    "reciprocal",
    "relu",
    "round",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "tan",
    "tanh",
]


def _sigmoid(x: Any) -> Any:
    """`1 / (1 + e ** -x)` as written, in three passes over one new array (negate, exp, then
    add and reciprocal in place): within about one ulp of the exact value wherever that is a
    normal float, for any `x`. For large negative `x`, `e ** -x` is large but exact to its
    own ulp, and so is its reciprocal; where it overflows (x below -709.78 in float64, -88.72
    in float32) the result is 0, the exact value being subnormal there (below 2.3e-308,
    1.2e-38). Three times faster than the branchy `exp(-|x|)` form, and faster than
    `0.5 tanh(0.5 x) + 0.5`, which loses all relative precision below about -37."""
    with np.errstate(over="ignore"):
        y = np.exp(np.negative(x))
    if type(y) is np.ndarray:  # our own new array: finish in place
        y += 1
        return np.reciprocal(y, out=y)
    return 1 / (1 + y)


IS_POSITIVE: Final = NonDifferentiable("is_positive", lambda x: np.greater(x, 0))
"""The mask `x > 0`: a constant, so relu's rule works on nodes without a comparison op."""

SQUARE: Final = Elementwise("square", np.square, lambda gy, x, y: gy * (2 * x))
EXP: Final = Elementwise("exp", np.exp, lambda gy, x, y: gy * y)
LOG: Final = Elementwise("log", np.log, lambda gy, x, y: gy / x)
SIN: Final = Elementwise("sin", np.sin, lambda gy, x, y: gy * np.cos(x))
COS: Final = Elementwise("cos", np.cos, lambda gy, x, y: -gy * np.sin(x))
TANH: Final = Elementwise("tanh", np.tanh, lambda gy, x, y: gy * (1 - y * y))
SQRT: Final = Elementwise("sqrt", np.sqrt, lambda gy, x, y: gy / (2 * y))
SIGMOID: Final = Elementwise("sigmoid", _sigmoid, lambda gy, x, y: gy * (y * (1 - y)))


def _relu_rule(gy: Array, x: Array, y: Array) -> Array:
    """`gy * (x > 0)`. On float arrays of one shape (a plain backward): into `gy` itself
    when it is writable (backward hands over a gradient nobody else holds, see `Op.vjp`),
    else in one new array of `gy`'s layout, the mask written into it as 0 and 1 and then
    multiplied by `gy` in place. On nodes, the general form."""
    if type(gy) is np.ndarray and type(x) is np.ndarray and gy.shape == x.shape and gy.dtype.kind == "f":
        if gy.flags.writeable:
            np.multiply(gy, np.greater(x, 0), out=gy)
            return gy
        out = np.empty_like(gy)
        np.greater(x, 0, out=out)
        out *= gy
        return out
    return gy * IS_POSITIVE(x)


RELU: Final = Elementwise("relu", lambda x: np.maximum(x, 0), _relu_rule)

square: Final[UnaryFunction] = unary_function(
    SQUARE,
    """Elementwise `x ** 2`.

    >>> import puregrad as pg
    >>> square(pg.variable(3.0))
    Node(9., op=square)
    """,
)
exp: Final[FloatUnaryFunction] = unary_function(EXP, """Elementwise `e ** x`.""")
log: Final[FloatUnaryFunction] = unary_function(LOG, """Elementwise natural logarithm.""")
sin: Final[FloatUnaryFunction] = unary_function(
    SIN,
    """Elementwise sine.

    >>> import puregrad as pg
    >>> sin(pg.variable(0.0))
    Node(0., op=sin)
    """,
)
cos: Final[FloatUnaryFunction] = unary_function(
    COS,
    """Elementwise cosine.

    >>> import puregrad as pg
    >>> cos(pg.variable(0.0))
    Node(1., op=cos)
    """,
)
tanh: Final[FloatUnaryFunction] = unary_function(
    TANH,
    """Elementwise hyperbolic tangent; its gradient is `1 - tanh(x) ** 2`.

    >>> import puregrad as pg
    >>> tanh(pg.variable(0.0))
    Node(0., op=tanh)
    """,
)
sqrt: Final[FloatUnaryFunction] = unary_function(
    SQRT,
    """Elementwise square root (nan below 0, as numpy; its gradient is infinite at 0).

    >>> import puregrad as pg
    >>> sqrt(pg.variable(4.0))
    Node(2., op=sqrt)
    """,
)
sigmoid: Final[FloatUnaryFunction] = unary_function(
    SIGMOID,
    """Elementwise logistic function `1 / (1 + e ** -x)`, stable for any `x` (no overflow).

    >>> import puregrad as pg
    >>> sigmoid(pg.variable(np.array([-1000.0, 0.0, 1000.0])))
    Node([0. , 0.5, 1. ], op=sigmoid)
    """,
)
relu: Final[UnaryFunction] = unary_function(
    RELU,
    """Elementwise `max(x, 0)`; its gradient is 1 where `x > 0`, else 0 (0 at `x == 0`).

    >>> import puregrad as pg
    >>> relu(pg.variable(np.array([-1.0, 0.0, 2.0])))
    Node([0., 0., 2.], op=relu)
    """,
)


# numpy's other unary functions -----------------------------------------------------------------

SIGN_OF: Final = NonDifferentiable("sign", np.sign)
"""`sign(x)` as a constant, for the rule of abs (its own derivative is zero)."""
ZEROS_LIKE: Final = NonDifferentiable("zeros_like", lambda x: np.zeros(np.shape(x), np.result_type(x)))
"""The zero gradient of a piecewise-constant function, as a constant of `x`'s shape."""
LN2: Final = math.log(2.0)
LN10: Final = math.log(10.0)

ABS: Final = Elementwise("abs", np.absolute, lambda gy, x, y: gy * SIGN_OF(x))
SIGN: Final = Elementwise("sign", np.sign, lambda gy, x, y: ZEROS_LIKE(x))
FLOOR: Final = Elementwise("floor", np.floor, lambda gy, x, y: ZEROS_LIKE(x))
CEIL: Final = Elementwise("ceil", np.ceil, lambda gy, x, y: ZEROS_LIKE(x))
RECIPROCAL: Final = Elementwise("reciprocal", np.reciprocal, lambda gy, x, y: -gy * (y * y))
TAN: Final = Elementwise("tan", np.tan, lambda gy, x, y: gy * (1 + y * y))
ARCSIN: Final = Elementwise("arcsin", np.arcsin, lambda gy, x, y: gy / np.sqrt((1 - x) * (1 + x)))
ARCCOS: Final = Elementwise("arccos", np.arccos, lambda gy, x, y: -gy / np.sqrt((1 - x) * (1 + x)))
ARCTAN: Final = Elementwise("arctan", np.arctan, lambda gy, x, y: gy / (1 + x * x))
SINH: Final = Elementwise("sinh", np.sinh, lambda gy, x, y: gy * np.cosh(x))
COSH: Final = Elementwise("cosh", np.cosh, lambda gy, x, y: gy * np.sinh(x))
ARCSINH: Final = Elementwise("arcsinh", np.arcsinh, lambda gy, x, y: gy / np.hypot(x, 1))
ARCCOSH: Final = Elementwise("arccosh", np.arccosh, lambda gy, x, y: gy / np.sqrt((x - 1) * (x + 1)))
ARCTANH: Final = Elementwise("arctanh", np.arctanh, lambda gy, x, y: gy / ((1 - x) * (1 + x)))
LOG1P: Final = Elementwise("log1p", np.log1p, lambda gy, x, y: gy / (1 + x))
EXPM1: Final = Elementwise("expm1", np.expm1, lambda gy, x, y: gy * (y + 1))
LOG2: Final = Elementwise("log2", np.log2, lambda gy, x, y: gy / (x * LN2))
LOG10: Final = Elementwise("log10", np.log10, lambda gy, x, y: gy / (x * LN10))
EXP2: Final = Elementwise("exp2", np.exp2, lambda gy, x, y: gy * (y * LN2))
CBRT: Final = Elementwise("cbrt", np.cbrt, lambda gy, x, y: gy / (3 * (y * y)))


@attrs.frozen
class Round(Op):
    """`numpy.round(x, decimals)`: piecewise constant, so its gradient is zero."""

    name = "round"
    decimals: int

    def forward(self, *xs: Any) -> Any:
        return np.round(xs[0], self.decimals)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return ZEROS_LIKE(xs[0])


abs: Final[UnaryFunction] = unary_function(
    ABS,
    """Elementwise `|x|`, as `numpy.abs`; its gradient is `sign(x)` (0 at 0, as JAX).

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([-2.0, 0.0, 3.0]))
    >>> pg.backward(pg.sum(abs(x)))[x].value
    array([-1.,  0.,  1.])
    """,
)
sign: Final[UnaryFunction] = unary_function(
    SIGN, """Elementwise sign (-1, 0 or 1), as `numpy.sign`; its gradient is zero."""
)
floor: Final[UnaryFunction] = unary_function(
    FLOOR, """Elementwise floor, as `numpy.floor`; its gradient is zero."""
)
ceil: Final[UnaryFunction] = unary_function(
    CEIL, """Elementwise ceiling, as `numpy.ceil`; its gradient is zero."""
)
reciprocal: Final[FloatUnaryFunction] = unary_function(
    RECIPROCAL, """Elementwise `1 / x`, as `numpy.reciprocal`; its gradient is `-1 / x ** 2`."""
)
tan: Final[FloatUnaryFunction] = unary_function(
    TAN, """Elementwise tangent; its gradient is `1 + tan(x) ** 2`."""
)
arcsin: Final[FloatUnaryFunction] = unary_function(
    ARCSIN, """Elementwise inverse sine; its gradient is `1 / sqrt(1 - x ** 2)`."""
)
arccos: Final[FloatUnaryFunction] = unary_function(
    ARCCOS, """Elementwise inverse cosine; its gradient is `-1 / sqrt(1 - x ** 2)`."""
)
arctan: Final[FloatUnaryFunction] = unary_function(
    ARCTAN, """Elementwise inverse tangent; its gradient is `1 / (1 + x ** 2)`."""
)
sinh: Final[FloatUnaryFunction] = unary_function(
    SINH, """Elementwise hyperbolic sine; its gradient is `cosh(x)`."""
)
cosh: Final[FloatUnaryFunction] = unary_function(
    COSH, """Elementwise hyperbolic cosine; its gradient is `sinh(x)`."""
)
arcsinh: Final[FloatUnaryFunction] = unary_function(
    ARCSINH, """Elementwise inverse hyperbolic sine; its gradient is `1 / hypot(x, 1)`."""
)
arccosh: Final[FloatUnaryFunction] = unary_function(
    ARCCOSH, """Elementwise inverse hyperbolic cosine (x >= 1); its gradient is `1 / sqrt(x ** 2 - 1)`."""
)
arctanh: Final[FloatUnaryFunction] = unary_function(
    ARCTANH, """Elementwise inverse hyperbolic tangent (|x| < 1); its gradient is `1 / (1 - x ** 2)`."""
)
log1p: Final[FloatUnaryFunction] = unary_function(
    LOG1P,
    """Elementwise `log(1 + x)`, accurate for tiny `x`; its gradient is `1 / (1 + x)`.

    >>> import puregrad as pg
    >>> log1p(pg.variable(1e-20)).value
    array(1.e-20)
    """,
)
expm1: Final[FloatUnaryFunction] = unary_function(
    EXPM1, """Elementwise `e ** x - 1`, accurate for tiny `x`; its gradient is `e ** x`."""
)
log2: Final[FloatUnaryFunction] = unary_function(
    LOG2, """Elementwise base-2 logarithm; its gradient is `1 / (x log 2)`."""
)
log10: Final[FloatUnaryFunction] = unary_function(
    LOG10, """Elementwise base-10 logarithm; its gradient is `1 / (x log 10)`."""
)
exp2: Final[FloatUnaryFunction] = unary_function(
    EXP2, """Elementwise `2 ** x`; its gradient is `2 ** x log 2`."""
)
cbrt: Final[FloatUnaryFunction] = unary_function(
    CBRT,
    """Elementwise cube root (real, also below 0); its gradient `1 / (3 cbrt(x) ** 2)` is
    infinite at 0.

    >>> import puregrad as pg
    >>> cbrt(pg.variable(np.array([-8.0, 27.0]))).value
    array([-2.,  3.])
    """,
)


@overload
def round(x: Node[D] | NDArray[D], decimals: int = 0, *, config: Config | None = None) -> Node[D]: ...
@overload
def round(x: float, decimals: int = 0, *, config: Config | None = None) -> Node[np.float64]: ...
def round(x: object, decimals: int = 0, *, config: Config | None = None) -> Node[Any]:
    """`x` rounded to `decimals` places (halves to even), as `numpy.round`; its gradient is
    zero.

    Raises:
        TypeError: `decimals` is not an int.

    >>> import puregrad as pg
    >>> round(pg.variable(np.array([0.5, 1.5, 2.25])), 1).value
    array([0.5, 1.5, 2.2])
    """
    given: object = decimals  # checked at run time: callers may not be typed
    if not isinstance(given, (int, np.integer)) or isinstance(given, bool):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return apply(Round(int(decimals)), (x,), config)

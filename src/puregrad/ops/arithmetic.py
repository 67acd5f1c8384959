"""Broadcasting arithmetic: add, sub, mul, div, neg, pow, and the dtype cast `backward` uses."""

from __future__ import annotations

from typing import Any, Final, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, Node
from puregrad.op import (
    Array,
    Binary,
    BinaryFunction,
    Elementwise,
    Op,
    UnaryFunction,
    apply,
    binary_function,
    unary_function,
)

__all__ = ["Cast", "add", "div", "mul", "neg", "pow", "power", "sub"]

# Each rule gives the gradient for one input, at the broadcast shape: `backward` sums it back.
ADD: Final = Binary("add", np.add, lambda gy, x0, x1, y: gy, lambda gy, x0, x1, y: gy)
SUB: Final = Binary("sub", np.subtract, lambda gy, x0, x1, y: gy, lambda gy, x0, x1, y: -gy)
MUL: Final = Binary(
    "mul", np.multiply, lambda gy, x0, x1, y: gy * x1, lambda gy, x0, x1, y: gy * x0
)
DIV: Final = Binary(
    "div", np.divide, lambda gy, x0, x1, y: gy / x1, lambda gy, x0, x1, y: -gy * x0 / (x1 * x1)
)
POWER: Final = Binary(
    "pow",
    np.power,
    lambda gy, x0, x1, y: gy * x1 * x0 ** (x1 - 1),
    lambda gy, x0, x1, y: gy * y * np.log(x0),
)
NEG: Final = Elementwise("neg", np.negative, lambda gy, x, y: -gy)

add: Final[BinaryFunction] = binary_function(
    ADD,
    """Elementwise `x0 + x1`, with numpy broadcasting.

    >>> import puregrad as pg
    >>> add(pg.variable(np.array([1.0, 2.0])), 1.0)
    Node([2., 3.], op=add)
    """,
)
sub: Final[BinaryFunction] = binary_function(
    SUB, """Elementwise `x0 - x1`, with numpy broadcasting."""
)
mul: Final[BinaryFunction] = binary_function(
    MUL, """Elementwise `x0 * x1`, with numpy broadcasting."""
)
div: Final[BinaryFunction] = binary_function(
    DIV, """Elementwise true division `x0 / x1`, with numpy broadcasting."""
)
power: Final[BinaryFunction] = binary_function(
    POWER,
    """Elementwise `x0 ** x1`, where either side may be a node (`2 ** x` differentiates in
    the exponent: d/dx1 = x0 ** x1 * log(x0)).""",
)
neg: Final[UnaryFunction] = unary_function(NEG, """Elementwise `-x`.""")


@overload
def pow(x: Node[D] | NDArray[D], c: D | float | NDArray[D], *, config: Config | None = None) -> Node[D]: ...
@overload
def pow(x: float, c: float, *, config: Config | None = None) -> Node[np.float64]: ...
def pow(x: object, c: object, *, config: Config | None = None) -> Node[Any]:
    """Elementwise `x ** c` for a constant exponent `c` (a scalar, array or constant node).

    Raises:
        TypeError: `c` is a node that requires grad (use `x ** c`, which differentiates in
            the exponent too).

    >>> import puregrad as pg
    >>> pow(pg.variable(3.0), 2)
    Node(9., op=pow)
    """
    if type(c) is Node and c.requires_grad:
        raise TypeError("pow: the exponent must be a constant; use x ** c for a node exponent")
    return apply(POWER, (x, c), config)


@attrs.frozen
class Cast(Op):
    """`x.astype(dtype)`; its rule passes the gradient on, and `backward` casts it back."""

    name = "cast"
    dtype: np.dtype[Any]

    def forward(self, *xs: Any) -> Any:
        return np.asarray(xs[0]).astype(self.dtype)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return gy

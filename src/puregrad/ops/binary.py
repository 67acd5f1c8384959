"""numpy's other two-input functions: maximum and minimum (ties split evenly), arctan2, hypot,
logaddexp, and `where` with a constant condition. Each rule gives the gradient for one input
at the broadcast shape; `backward` sums it back."""

from __future__ import annotations

from typing import Any, Final, TypeAlias, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, Node, Operand
from puregrad.op import (
    Array,
    Binary,
    BinaryFunction,
    FloatBinaryFunction,
    NonDifferentiable,
    Op,
    apply,
    binary_function,
)

__all__ = [
    "Condition",
    "Where",
    "arctan2",
    "hypot",
    "logaddexp",
    "maximum",
    "minimum",
    "where",
]


def _wins(x0: Any, x1: Any) -> Any:
    """The share of `x0` in `maximum(x0, x1)`: 1 where it is larger (or nan, which numpy
    propagates), 1/2 where the two tie, else 0."""
    larger = np.greater(x0, x1) | np.isnan(x0)
    return np.where(np.equal(x0, x1), 0.5, larger).astype(np.result_type(x0, x1))


WINS: Final = NonDifferentiable("wins", _wins)

MAXIMUM: Final = Binary(
    "maximum",
    np.maximum,
    lambda gy, x0, x1, y: gy * WINS(x0, x1),
    lambda gy, x0, x1, y: gy * WINS(x1, x0),
)
MINIMUM: Final = Binary(
    "minimum",
    np.minimum,
    lambda gy, x0, x1, y: gy * WINS(x1, x0),
    lambda gy, x0, x1, y: gy * WINS(x0, x1),
)
ARCTAN2: Final = Binary(
    "arctan2",
    np.arctan2,
    lambda gy, x0, x1, y: gy * x1 / (x0 * x0 + x1 * x1),
    lambda gy, x0, x1, y: -gy * x0 / (x0 * x0 + x1 * x1),
)
HYPOT: Final = Binary(
    "hypot", np.hypot, lambda gy, x0, x1, y: gy * x0 / y, lambda gy, x0, x1, y: gy * x1 / y
)
LOGADDEXP: Final = Binary(
    "logaddexp",
    np.logaddexp,
    lambda gy, x0, x1, y: gy * np.exp(x0 - y),  # never above 1: stable for any x
    lambda gy, x0, x1, y: gy * np.exp(x1 - y),
)

maximum: Final[BinaryFunction] = binary_function(
    MAXIMUM,
    """Elementwise larger of `x0` and `x1`, with numpy broadcasting, as `numpy.maximum`.
    Where they tie each gets half the gradient (as JAX).

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([-1.0, 0.0, 2.0]))
    >>> pg.backward(pg.sum(maximum(x, 0.0)))[x].value
    array([0. , 0.5, 1. ])
    """,
)
minimum: Final[BinaryFunction] = binary_function(
    MINIMUM,
    """Elementwise smaller of `x0` and `x1`, as `numpy.minimum`; ties split the gradient
    evenly.""",
)
arctan2: Final[FloatBinaryFunction] = binary_function(
    ARCTAN2,
    """Elementwise angle of the point `(x1, x0)`, as `numpy.arctan2(x0, x1)`; its gradients
    are `x1 / r**2` and `-x0 / r**2` (nan at the origin).""",
)
hypot: Final[FloatBinaryFunction] = binary_function(
    HYPOT,
    """Elementwise `sqrt(x0**2 + x1**2)` without overflow, as `numpy.hypot`; its gradients
    are `x0 / y` and `x1 / y` (nan at the origin).""",
)
logaddexp: Final[FloatBinaryFunction] = binary_function(
    LOGADDEXP,
    """Elementwise `log(e**x0 + e**x1)`, stable for any size, as `numpy.logaddexp`; its
    gradients are `e**(x0 - y)` and `e**(x1 - y)`.

    >>> import puregrad as pg
    >>> logaddexp(pg.variable(1000.0), 1000.0).value
    array(1000.69314718)
    """,
)


# where ----------------------------------------------------------------------------------------

Condition: TypeAlias = NDArray[np.bool_] | Node[np.bool_] | bool
"""The condition of `where`: a constant (an array, a constant node or a bool)."""


@attrs.frozen(eq=False)  # identity: it holds an array
class Where(Op):
    """`numpy.where(condition, x, y)` for a constant `condition`: each gradient is the
    upstream one where that side was chosen, 0 elsewhere (never nan from the other side)."""

    name = "where"
    condition: NDArray[np.bool_]

    def forward(self, *xs: Any) -> Any:
        return np.where(self.condition, xs[0], xs[1])

    def failure(self, values: list[Any]) -> str | None:
        shapes = self.condition.shape, np.shape(values[0]), np.shape(values[1])
        return f"where: cannot broadcast shapes {shapes[0]} (condition), {shapes[1]} and {shapes[2]}"

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return self(gy, 0) if i == 0 else self(0, gy)


def as_condition(condition: object, op: str) -> NDArray[np.bool_]:
    """A constant condition as a read-only bool array of its own (a later write to the
    caller's array cannot change a recorded op)."""
    if type(condition) is Node:
        if condition.requires_grad:
            raise TypeError(f"{op}: the condition must be a constant, got a node that requires grad")
        condition = condition.value
    if not isinstance(condition, (np.ndarray, bool, np.bool_, int, np.integer)):
        raise TypeError(
            f"{op}: the condition must be a bool array or a bool, got {type(condition).__name__}"
        )
    array = np.array(condition, dtype=bool)
    array.setflags(write=False)
    return array


@overload
def where(condition: Condition, x: Node[D] | NDArray[D], y: Operand[D], *, config: Config | None = None) -> Node[D]: ...
@overload
def where(condition: Condition, x: D | float, y: Node[D] | NDArray[D], *, config: Config | None = None) -> Node[D]: ...
@overload
def where(condition: Condition, x: float, y: float, *, config: Config | None = None) -> Node[np.float64]: ...
def where(condition: object, x: object, y: object, *, config: Config | None = None) -> Node[Any]:
    """`x` where `condition` holds, else `y`, broadcasting all three, as
    `numpy.where(condition, x, y)`. The condition is a constant; `x` gets the gradient where it
    was chosen and `y` elsewhere.

    Raises:
        TypeError: the condition requires grad or is not an array or a bool.
        ValueError: the shapes do not broadcast.

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([-1.0, 4.0]))
    >>> where(x.value > 0, pg.sqrt(pg.abs(x)), 0.0).value
    array([0., 2.])
    """
    return apply(Where(as_condition(condition, "where")), (x, y), config)

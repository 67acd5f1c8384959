"""Elementwise functions: one line each, the forward beside its VJP rule `(gy, x, y) -> gx`."""

from __future__ import annotations

from typing import Final

import numpy as np

from puregrad.op import Elementwise, FloatUnaryFunction, UnaryFunction, unary_function

__all__ = ["exp", "log", "square"]

SQUARE: Final = Elementwise("square", np.square, lambda gy, x, y: gy * (2 * x))
EXP: Final = Elementwise("exp", np.exp, lambda gy, x, y: gy * y)
LOG: Final = Elementwise("log", np.log, lambda gy, x, y: gy / x)

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

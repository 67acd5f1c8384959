"""An op that saves residuals for its rule: precise annotations on forward_saving pass
--strict, and calling it keeps the node's dtype."""

from __future__ import annotations

from typing import Any, assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg


class Relu(pg.Op):
    """Saves its mask (a locally constant residual) for the rule."""

    name = "relu_saving_mask"
    saves = True

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.maximum(x, 0.0)

    def forward_saving(
        self, x: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], tuple[NDArray[np.bool_]]]:
        mask = x > 0
        return x * mask, (mask,)

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy * xs[1]


x = pg.variable(np.ones(3))
assert_type(Relu()(x), pg.Node[np.float64])
assert_type(Relu()(pg.variable(np.ones(3, np.float32))), pg.Node[np.float32])
assert_type(Relu.saves, bool)
assert_type(Relu().forward_saving(np.ones(3)), tuple[NDArray[np.float64], tuple[NDArray[np.bool_]]])

"""An op that saves residuals for its rule: precise annotations on forward_saving pass
--strict, and calling it keeps the node's dtype."""

from __future__ import annotations

from typing import Any, assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg


class Sort(pg.Op):
    name = "sort"
    saves = True

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.sort(x)

    def forward_saving(
        self, x: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], tuple[NDArray[np.intp]]]:
        order = np.argsort(x)
        return x[order], (np.argsort(order),)

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy[xs[1]]


x = pg.variable(np.ones(3))
assert_type(Sort()(x), pg.Node[np.float64])
assert_type(Sort.saves, bool)
assert_type(Sort().forward_saving(np.ones(3)), tuple[NDArray[np.float64], tuple[NDArray[np.intp]]])

"""An op saving residuals, as a user writes it: type-checks and runs, to the second order."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import puregrad as pg


class Rank(pg.Op):
    """Sorts a vector, keeping the inverse permutation for the rule."""

    name = "rank_sort"
    saves = True

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.sort(x)

    def forward_saving(
        self, x: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], tuple[NDArray[np.intp]]]:
        order = np.argsort(x, kind="stable")
        return x[order], (np.argsort(order),)

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy[xs[1]]


def test_a_sorting_op_with_residuals() -> None:
    a = np.array([3.0, 1.0, 2.0])
    f = lambda v: pg.sum(Rank()(v) ** 2 * np.array([1.0, 2.0, 3.0]))  # noqa: E731
    g: NDArray[np.float64] = pg.grad(f)(a)
    np.testing.assert_allclose(g, 2 * a * np.array([3.0, 1.0, 2.0]))
    h: NDArray[np.float64] = pg.hessian(f)(a)
    np.testing.assert_allclose(h, np.diag(2 * np.array([3.0, 1.0, 2.0])))

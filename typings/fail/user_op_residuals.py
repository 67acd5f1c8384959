"""Misuses of an op's residuals that mypy must reject."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import puregrad as pg


class NotATuple(pg.Op):
    name = "not_a_tuple"
    saves = True

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x

    def forward_saving(self, x: NDArray[np.float64]) -> NDArray[np.float64]:  # type: ignore[override]
        return x  # the residuals are missing

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy


class ResidualsNotArrays(pg.Op):
    name = "not_arrays"
    saves = True

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x

    def forward_saving(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], tuple[list[int]]]:  # type: ignore[override]
        return x, ([1, 2],)

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy


class SavesNotABool(pg.Op):
    name = "saves_not_a_bool"
    saves = "yes"  # type: ignore[assignment]

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy

"""Misuses of pg.parallel.value_and_grad that mypy --strict must reject."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

x: NDArray[np.float64] = np.ones((4, 2))


def loss(p: dict[str, pg.Param[np.float64]], x: NDArray[np.float64]) -> pg.Node[np.float64]:
    return pg.sum(x @ p["w"])


def not_a_node(p: dict[str, pg.Param[np.float64]], x: NDArray[np.float64]) -> float:
    return 0.0


params: dict[str, pg.Param[np.float64]] = {"w": np.ones((2, 1))}
pg.parallel.value_and_grad(loss, params, x, x)  # type: ignore[arg-type]
pg.parallel.value_and_grad(loss, params)  # type: ignore[call-overload]
pg.parallel.value_and_grad(not_a_node, params, x)  # type: ignore[arg-type]
pg.parallel.value_and_grad(loss, params, [1.0, 2.0])  # type: ignore[call-overload]
pg.parallel.value_and_grad(loss, params, x, client="tcp://scheduler:8786")  # type: ignore[call-overload]
pg.parallel.value_and_grad(loss, params, x, chunk_rows=0.5)  # type: ignore[call-overload]
pg.parallel.value_and_grad(loss, [np.ones(2)], x)  # type: ignore[arg-type]
value: NDArray[np.float32] = pg.parallel.value_and_grad(loss, params, x)[0]  # type: ignore[assignment]
pg.parallel.value_and_grad(loss, params, x, batch_rows=None)  # type: ignore[call-overload]

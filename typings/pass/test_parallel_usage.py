"""Typical data-parallel training code: full-batch gradient descent with pg.parallel, on
ndarrays and on a lazily generated Dask array, in this process (client=None)."""

from __future__ import annotations

import attrs
import dask.array as da
import numpy as np
from numpy.typing import NDArray

import puregrad as pg


@attrs.frozen
class Line:
    w: pg.Param[np.float64]
    b: pg.Param[np.float64]


def summed_squared_error(p: Line, x: NDArray[np.float64], y: NDArray[np.float64]) -> pg.Node[np.float64]:
    return pg.sum((pg.linear(x, p.w, p.b) - y) ** 2)


def fit(x: NDArray[np.float64] | da.Array, y: NDArray[np.float64] | da.Array) -> tuple[float, Line]:
    params = Line(np.zeros((2, 1)), np.zeros(1))
    optimizer = pg.SGD(0.4)
    state = optimizer.init(params)
    loss = np.inf
    for _ in range(15):
        value, grads = pg.parallel.value_and_grad(summed_squared_error, params, x, y, chunk_rows=64)
        params, state = pg.step(optimizer, grads, state, params)
        loss = float(value)
    return loss, params


def test_full_batch_descent_fits_a_line_on_ndarrays_and_dask_arrays() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 2))
    y = x @ np.array([[2.0], [-1.0]]) + 0.5
    lazy = (da.from_array(x, chunks=100), da.from_array(y, chunks=100))
    for data in ((x, y), lazy):
        loss, params = fit(*data)
        assert loss < 1e-6
        np.testing.assert_allclose(params.w, [[2.0], [-1.0]], atol=1e-3)
        np.testing.assert_allclose(params.b, [0.5], atol=1e-3)

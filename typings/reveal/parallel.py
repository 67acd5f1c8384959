"""assert_type for pg.parallel.value_and_grad: typed like tree_value_and_grad."""

from __future__ import annotations

from typing import assert_type

import dask.array as da
import numpy as np
from distributed import Client
from numpy.typing import NDArray

import puregrad as pg

x64: NDArray[np.float64] = np.ones((4, 2))
x32: NDArray[np.float32] = np.ones((4, 2), np.float32)
t: NDArray[np.int64] = np.zeros(4, np.int64)
lazy = da.ones((4, 2), chunks=(2, 2))
mlp = pg.MLP((2, 3))
params64 = mlp.init(np.random.default_rng(0))
params32 = mlp.init(np.random.default_rng(0), np.float32)
# A dict of parameters is annotated with Param leaves, as for tree_value_and_grad (dicts are
# invariant: a dict[str, NDArray] is not a dict[str, Param]).
weights: dict[str, pg.Param[np.float64]] = {"w": np.ones((2, 1))}
pair: tuple[pg.Param[np.float64], ...] = (np.ones(2), np.ones(2))


def one(p: dict[str, pg.Param[np.float64]], x: NDArray[np.float64]) -> pg.Node[np.float64]:
    return pg.sum(x @ p["w"])


def two(p: pg.MLPParams[np.float32], x: NDArray[np.float32], t: NDArray[np.int64]) -> pg.Node[np.float32]:
    return pg.softmax_cross_entropy(mlp.apply(p, x), t) * len(t)


def three(p: tuple[pg.Param[np.float64], ...], a: NDArray[np.float64], b: NDArray[np.float64], c: NDArray[np.int64]) -> pg.Node[np.float64]:
    return pg.sum(a * p[0]) + pg.sum(b * p[1])


def four(p: pg.MLPParams[np.float64], *arrays: NDArray[np.float64]) -> pg.Node[np.float64]:
    return pg.sum(mlp.apply(p, arrays[0]))


def with_client(client: Client) -> None:
    assert_type(
        pg.parallel.value_and_grad(two, params32, x32, t, client=client),
        tuple[NDArray[np.float32], pg.MLPParams[np.float32]],
    )


assert_type(
    pg.parallel.value_and_grad(one, weights, x64),
    tuple[NDArray[np.float64], dict[str, pg.Param[np.float64]]],
)
assert_type(pg.parallel.value_and_grad(one, weights, lazy, chunk_rows=2, batch_rows=1)[0], NDArray[np.float64])
assert_type(
    pg.parallel.value_and_grad(two, params32, x32, t, client=None),
    tuple[NDArray[np.float32], pg.MLPParams[np.float32]],
)
assert_type(
    pg.parallel.value_and_grad(three, pair, x64, x64, t),
    tuple[NDArray[np.float64], tuple[pg.Param[np.float64], ...]],
)
assert_type(
    pg.parallel.value_and_grad(four, params64, x64, x64, x64, x64, x64),
    tuple[NDArray[np.float64], pg.MLPParams[np.float64]],
)

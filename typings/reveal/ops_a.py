"""assert_type for the elementwise, shape and reduction ops and the Node methods, in float64
and float32."""

from __future__ import annotations

from typing import assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

a64: NDArray[np.float64] = np.ones((2, 3))
a32: NDArray[np.float32] = np.ones((2, 3), np.float32)
x = pg.variable(a64)
y = pg.variable(a32)
k = pg.constant(np.arange(6).reshape(2, 3))

# Elementwise
assert_type(pg.sin(x), pg.Node[np.float64])
assert_type(pg.sin(y), pg.Node[np.float32])
assert_type(pg.sin(0.5), pg.Node[np.float64])
assert_type(pg.cos(x), pg.Node[np.float64])
assert_type(pg.cos(a32), pg.Node[np.float32])
assert_type(pg.tanh(y), pg.Node[np.float32])
assert_type(pg.tanh(x), pg.Node[np.float64])
assert_type(pg.sqrt(x), pg.Node[np.float64])
assert_type(pg.sqrt(y), pg.Node[np.float32])
assert_type(pg.sigmoid(x), pg.Node[np.float64])
assert_type(pg.sigmoid(y), pg.Node[np.float32])
assert_type(pg.relu(x), pg.Node[np.float64])
assert_type(pg.relu(y), pg.Node[np.float32])
assert_type(pg.relu(k), pg.Node[np.int64])
assert_type(pg.relu(x, config=pg.Config()), pg.Node[np.float64])

# Shape
assert_type(pg.transpose(x), pg.Node[np.float64])
assert_type(pg.transpose(y, (1, 0)), pg.Node[np.float32])
assert_type(pg.transpose(a32, [1, 0]), pg.Node[np.float32])
assert_type(pg.get_item(x, 0), pg.Node[np.float64])
assert_type(pg.get_item(y, (slice(None), [0, 0])), pg.Node[np.float32])
assert_type(pg.get_item(k, np.array([True, False])), pg.Node[np.int64])
assert_type(pg.concat([x, x]), pg.Node[np.float64])
assert_type(pg.concat([x, a64], axis=1), pg.Node[np.float64])
assert_type(pg.concat([y, a32], 1), pg.Node[np.float32])
assert_type(pg.concat((y, y)), pg.Node[np.float32])
assert_type(pg.concat([a32, a32]), pg.Node[np.float32])
assert_type(pg.split(x, 2), tuple[pg.Node[np.float64], ...])
assert_type(pg.split(y, [1, 2], axis=1), tuple[pg.Node[np.float32], ...])

# Reductions
assert_type(pg.mean(x), pg.Node[np.float64])
assert_type(pg.mean(y, axis=(0, 1), keepdims=True), pg.Node[np.float32])
assert_type(pg.mean(2.0), pg.Node[np.float64])
assert_type(pg.max(x, 0), pg.Node[np.float64])
assert_type(pg.max(y), pg.Node[np.float32])
assert_type(pg.max(k), pg.Node[np.int64])
assert_type(pg.min(x, axis=-1), pg.Node[np.float64])
assert_type(pg.min(y, keepdims=True), pg.Node[np.float32])

# Node methods and indexing
assert_type(x.T, pg.Node[np.float64])
assert_type(y.T, pg.Node[np.float32])
assert_type(x.reshape(3, 2), pg.Node[np.float64])
assert_type(y.reshape((6,)), pg.Node[np.float32])
assert_type(y.reshape(-1), pg.Node[np.float32])
assert_type(x.transpose(), pg.Node[np.float64])
assert_type(y.transpose(1, 0), pg.Node[np.float32])
assert_type(y.transpose((1, 0)), pg.Node[np.float32])
assert_type(x.sum(), pg.Node[np.float64])
assert_type(y.sum(axis=0, keepdims=True), pg.Node[np.float32])
assert_type(x.mean(1), pg.Node[np.float64])
assert_type(y.mean(), pg.Node[np.float32])
assert_type(x.max(), pg.Node[np.float64])
assert_type(y.max(axis=(0, 1)), pg.Node[np.float32])
assert_type(k.max(), pg.Node[np.int64])
assert_type(x.min(0), pg.Node[np.float64])
assert_type(y.min(), pg.Node[np.float32])
assert_type(x[0], pg.Node[np.float64])
assert_type(y[:, 1:], pg.Node[np.float32])
assert_type(y[..., None], pg.Node[np.float32])
assert_type(x[np.array([0, 0, 1])], pg.Node[np.float64])
assert_type(x[[1, 0], [2, 2]], pg.Node[np.float64])
assert_type(y[a32 > 0], pg.Node[np.float32])
assert_type(list(y), list[pg.Node[np.float32]])

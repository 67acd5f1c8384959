"""assert_type for the convolutional-network names: ops, layers, Sequential, digits."""

from __future__ import annotations

from typing import assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

x64: NDArray[np.float64] = np.ones((2, 1, 8, 8))
x32: NDArray[np.float32] = np.ones((2, 1, 8, 8), np.float32)
W64: NDArray[np.float64] = np.ones((3, 1, 3, 3))
W32: NDArray[np.float32] = np.ones((3, 1, 3, 3), np.float32)
v32 = pg.variable(x32)
rng = np.random.default_rng(0)

# Ops
assert_type(pg.conv2d(x64, W64), pg.Node[np.float64])
assert_type(pg.conv2d(v32, W32, np.zeros(3, np.float32), stride=(2, 1), pad=1), pg.Node[np.float32])
assert_type(pg.conv_transpose2d(v32, np.ones((1, 3, 3, 3), np.float32), out_size=(9, 9)), pg.Node[np.float32])
assert_type(pg.im2col(x64, 3, stride=1, pad=(1, 0)), pg.Node[np.float64])
assert_type(pg.col2im(np.ones((2, 9, 36)), (8, 8), 3), pg.Node[np.float64])
assert_type(pg.max_pool2d(v32, 2), pg.Node[np.float32])
assert_type(pg.avg_pool2d(x64, (2, 2), stride=1, pad=1), pg.Node[np.float64])
assert_type(pg.dropout(v32, 0.5, train=True, rng=rng), pg.Node[np.float32])
assert_type(pg.dropout(x64, train=False), pg.Node[np.float64])
stats32 = pg.BatchNormStats.init(1, np.float32)
assert_type(stats32, pg.BatchNormStats[np.float32])
assert_type(pg.BatchNormStats.init(4), pg.BatchNormStats[np.float64])
assert_type(stats32.mean, NDArray[np.float32])
assert_type(
    pg.batch_norm(v32, np.ones(1, np.float32), np.zeros(1, np.float32), stats32, train=True),
    tuple[pg.Node[np.float32], pg.BatchNormStats[np.float32]],
)

# Layers
conv = pg.Conv2d(1, 3, 3, pad=1)
assert_type(conv.init(rng), pg.Conv2dParams[np.float64])
assert_type(conv.init(rng, np.float32), pg.Conv2dParams[np.float32])
assert_type(conv.apply(conv.init(rng, np.float32), x32), pg.Node[np.float32])
bn = pg.BatchNorm(3)
assert_type(bn.init(rng, np.float32), pg.BatchNormParams[np.float32])
assert_type(bn.init_stats(np.float32), pg.BatchNormStats[np.float32])
assert_type(
    bn.apply(bn.init(rng), np.ones((2, 3)), bn.init_stats(), train=False),
    tuple[pg.Node[np.float64], pg.BatchNormStats[np.float64]],
)
assert_type(pg.MaxPool2d(2).apply(v32), pg.Node[np.float32])
assert_type(pg.AvgPool2d(2).apply(x64), pg.Node[np.float64])
assert_type(pg.Dropout(0.1).apply(v32, train=True, rng=rng), pg.Node[np.float32])
assert_type(pg.Relu().apply(x64), pg.Node[np.float64])
assert_type(pg.Flatten().apply(v32), pg.Node[np.float32])

# Sequential
model = pg.Sequential(conv, pg.BatchNorm(3), pg.Relu(), pg.MaxPool2d(2), pg.Flatten(), pg.Linear(48, 10))
assert_type(model.layers, tuple[pg.ModelLayer, ...])
params32 = model.init(rng, np.float32)
assert_type(params32, pg.ModelParams[np.float32])
assert_type(model.init(rng), pg.ModelParams[np.float64])
assert_type(model.init_stats(np.float32), pg.ModelStats[np.float32])
assert_type(
    model.apply(params32, model.init_stats(np.float32), x32, train=True, rng=rng),
    tuple[pg.Node[np.float32], pg.ModelStats[np.float32]],
)
assert_type(
    model.apply(model.init(rng), model.init_stats(), x64, train=False),
    tuple[pg.Node[np.float64], pg.ModelStats[np.float64]],
)

# Data
assert_type(pg.digits(0), pg.DigitsSplit[np.float64])
assert_type(pg.digits(0, dtype=np.float32), pg.DigitsSplit[np.float32])
assert_type(pg.digits(0).x_train, NDArray[np.float64])
assert_type(pg.digits(0).t_test, NDArray[np.int64])

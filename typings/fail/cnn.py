"""Misuses of the convolutional-network API that mypy --strict must reject: above all,
forgetting the dropout rng or the batch-norm statistics."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

x64: NDArray[np.float64] = np.ones((2, 1, 8, 8))
x32: NDArray[np.float32] = np.ones((2, 1, 8, 8), np.float32)
rng = np.random.default_rng(0)
model = pg.Sequential(pg.Conv2d(1, 3, 3), pg.BatchNorm(3), pg.Flatten(), pg.Dropout(0.5), pg.Linear(108, 10))
params = model.init(rng)
stats = model.init_stats()
bn = pg.BatchNorm(3)
train: bool = True

model.apply(params, stats, x64, train=True)  # type: ignore[call-overload]
model.apply(params, stats, x64, train=train)  # type: ignore[call-overload]
model.apply(params, x64, train=False)  # type: ignore[call-overload]
model.apply(params, x64, train=True, rng=rng)  # type: ignore[call-overload]
model.apply(params, stats, x64)  # type: ignore[call-overload]
model.apply(params, model.init_stats(np.float32), x64, train=False)  # type: ignore[call-overload]
model.apply(model.init(rng, np.float32), stats, x32, train=False)  # type: ignore[call-overload]
bn.apply(bn.init(rng), np.ones((2, 3)), train=True)  # type: ignore[call-arg]
bn.apply(bn.init(rng), np.ones((2, 3)), bn.init_stats())  # type: ignore[call-arg]
pg.dropout(x64, 0.5, train=True)  # type: ignore[call-overload]
pg.dropout(x64, 0.5)  # type: ignore[call-overload]
pg.Dropout(0.5).apply(x64, train=True)  # type: ignore[call-overload]
pg.batch_norm(x64, np.ones(1), np.zeros(1), train=True)  # type: ignore[call-arg]
pg.batch_norm(x32, np.ones(1, np.float32), np.zeros(1, np.float32), pg.BatchNormStats.init(1), train=True)  # type: ignore[misc]
pg.conv2d(x64, np.ones((3, 1, 3, 3)), stride="2")  # type: ignore[arg-type]
pg.max_pool2d(x64, 2, 2)  # type: ignore[call-arg]
pg.Conv2d(1, 3, 3).apply(pg.Conv2d(1, 3, 3).init(rng, np.float32), x64)  # type: ignore[misc]
pg.Sequential(pg.relu)  # type: ignore[arg-type]
stats[1].mean[0] = 1.0  # type: ignore[union-attr]
pg.digits(dtype=np.int64)  # type: ignore[type-var]

"""Misuses of the sequence models that mypy --strict must reject."""

from __future__ import annotations

import numpy as np

import puregrad as pg

rng = np.random.default_rng(0)
x64 = np.ones((2, 1))
x32 = np.ones((2, 1), np.float32)
lstm = pg.LSTM(1, 3)
params64 = lstm.init(rng)
params32 = lstm.init(rng, np.float32)
y, state = lstm.apply(params64, x64)
gru = pg.GRU(1, 3)

lstm.apply(params32, x64)  # type: ignore[misc]
lstm.apply(params64, x64, state=(y, y))  # type: ignore[arg-type]
lstm.apply(params32, x32, state)  # type: ignore[misc]
lstm.apply(params64, [[1.0]])  # type: ignore[arg-type]
lstm.init(rng, np.int64)  # type: ignore[type-var]
lstm.hidden_size = 4  # type: ignore[misc]
state.h = y  # type: ignore[misc]
pg.LSTMParams(np.ones(1), np.ones(1))  # type: ignore[call-arg]
pg.RNN(1, 3).apply(pg.RNN(1, 3).init(rng), x64, state)  # type: ignore[arg-type]
gru.apply(params64, x64)  # type: ignore[arg-type]
pg.GRUParams(np.ones(1), np.ones(1), np.ones(1))  # type: ignore[call-arg]
pg.embedding(np.ones((3, 2)), [0, 1])  # type: ignore[arg-type]
pg.embedding(np.ones((3, 2)), 1.5)  # type: ignore[arg-type]
pg.Embedding(3, 2).apply(pg.Embedding(3, 2).init(rng), "a")  # type: ignore[arg-type]
pg.sin_curve(dtype=np.int32)  # type: ignore[type-var]
pg.sin_curve(train="yes")  # type: ignore[call-overload]
pg.sequence_batches(x64, x64, 2, 3, rng=0)  # type: ignore[arg-type]
pg.sequence_batches([1, 2], x64, 2, 3)  # type: ignore[arg-type]

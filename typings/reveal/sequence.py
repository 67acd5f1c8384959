"""assert_type for the sequence models: embedding, RNN, LSTM, GRU, their params and states,
tree_stop_gradient, sin_curve and sequence_batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

rng = np.random.default_rng(0)
x64: NDArray[np.float64] = np.ones((2, 1))
x32: NDArray[np.float32] = np.ones((2, 1), np.float32)
xs64: NDArray[np.float64] = np.ones((3, 2, 1))
ids: NDArray[np.int64] = np.zeros(3, np.int64)

# embedding
W64 = pg.variable(np.ones((4, 2)))
W32: NDArray[np.float32] = np.ones((4, 2), np.float32)
assert_type(pg.embedding(W64, ids), pg.Node[np.float64])
assert_type(pg.embedding(W32, 3), pg.Node[np.float32])
assert_type(pg.embedding(W64, pg.constant(ids)), pg.Node[np.float64])
table = pg.Embedding(4, 2)
assert_type(table.init(rng), pg.EmbeddingParams[np.float64])
assert_type(table.init(rng, np.float32), pg.EmbeddingParams[np.float32])
assert_type(table.apply(table.init(rng, np.float32), ids), pg.Node[np.float32])

# RNN
rnn = pg.RNN(1, 3)
rnn_params = rnn.init(rng)
assert_type(rnn_params, pg.RNNParams[np.float64])
assert_type(rnn.init(rng, np.float32), pg.RNNParams[np.float32])
assert_type(rnn_params.W_h, pg.Param[np.float64])
h = rnn.apply(rnn_params, x64)
assert_type(h, pg.Node[np.float64])
assert_type(rnn.apply(rnn_params, x64, h), pg.Node[np.float64])
assert_type(rnn.apply(rnn.init(rng, np.float32), x32), pg.Node[np.float32])
assert_type(rnn.scan(rnn_params, xs64), tuple[pg.Node[np.float64], pg.Node[np.float64]])

# LSTM
lstm = pg.LSTM(1, 3)
lstm_params = lstm.init(rng)
assert_type(lstm_params, pg.LSTMParams[np.float64])
assert_type(lstm.init(rng, np.float32), pg.LSTMParams[np.float32])
y, state = lstm.apply(lstm_params, x64)
assert_type(y, pg.Node[np.float64])
assert_type(state, pg.LSTMState[np.float64])
assert_type(state.h, pg.Node[np.float64] | NDArray[np.float64])
assert_type(lstm.apply(lstm_params, x64, state), tuple[pg.Node[np.float64], pg.LSTMState[np.float64]])
assert_type(lstm.scan(lstm_params, xs64, state), tuple[pg.Node[np.float64], pg.LSTMState[np.float64]])
assert_type(pg.LSTMState(np.zeros((2, 3)), np.zeros((2, 3))), pg.LSTMState[np.float64])
assert_type(lstm.apply(lstm.init(rng, np.float32), x32)[1], pg.LSTMState[np.float32])

# GRU
gru = pg.GRU(1, 3)
gru_params = gru.init(rng)
assert_type(gru_params, pg.GRUParams[np.float64])
assert_type(gru_params.b_h, pg.Param[np.float64])
assert_type(gru.apply(gru_params, x64), pg.Node[np.float64])
assert_type(gru.scan(gru.init(rng, np.float32), xs64.astype(np.float32)), tuple[pg.Node[np.float32], pg.Node[np.float32]])

# Truncated BPTT keeps the tree's type
assert_type(pg.tree_stop_gradient(state), pg.LSTMState[np.float64])
assert_type(pg.tree_stop_gradient(h), pg.Node[np.float64])
assert_type(pg.tree_stop_gradient({"h": h}), dict[str, pg.Node[np.float64]])

# Data
curve = pg.sin_curve()
assert_type(curve, pg.SinCurve[np.float64])
assert_type(pg.sin_curve(1, train=False, dtype=np.float32), pg.SinCurve[np.float32])
assert_type(curve.x, NDArray[np.float64])
assert_type(
    pg.sequence_batches(curve.x, curve.t, 30, 30, rng=rng),
    Iterator[tuple[NDArray[np.float64], NDArray[np.float64]]],
)
assert_type(pg.sequence_batches(ids, curve.t, 3, 2), Iterator[tuple[NDArray[np.int64], NDArray[np.float64]]])

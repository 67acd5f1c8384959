"""Typical sequence-model code: a typed params tree, truncated BPTT over windows with the
state threaded by hand, inference step by step under no_grad."""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

import puregrad as pg


@attrs.frozen
class Params:
    lstm: pg.LSTMParams[np.float64]
    head: pg.LinearParams[np.float64]


LSTM = pg.LSTM(1, 8)
HEAD = pg.Linear(8, 1)


def window_loss(
    p: Params, xs: NDArray[np.float64], ts: NDArray[np.float64], state: pg.LSTMState[np.float64] | None
) -> tuple[pg.Node[np.float64], pg.LSTMState[np.float64]]:
    hs, state = LSTM.scan(p.lstm, xs, state)
    return pg.mean_squared_error(HEAD.apply(p.head, hs), ts), state


def test_truncated_bptt_training_lowers_the_loss() -> None:
    rng = np.random.default_rng(0)
    params = Params(LSTM.init(rng), HEAD.init(rng))
    optimizer = pg.Adam(0.01)
    opt_state = optimizer.init(params)
    data = pg.sin_curve(0, num_data=200)
    losses: list[float] = []
    for _ in range(5):
        state: pg.LSTMState[np.float64] | None = None
        for xs, ts in pg.sequence_batches(data.x, data.t, batch_size=10, length=10):
            variables = pg.to_variables(params)
            loss, state = window_loss(variables, xs, ts, state)
            grads = pg.gradients_of(pg.backward(loss), variables)
            params, opt_state = pg.step(optimizer, grads, opt_state, params)
            state = pg.tree_stop_gradient(state)
            losses.append(float(loss.value))
    assert losses[-1] < losses[0]


def test_step_by_step_inference_and_other_layers() -> None:
    rng = np.random.default_rng(0)
    lstm_params = LSTM.init(rng, np.float32)
    state: pg.LSTMState[np.float32] | None = None
    with pg.no_grad():
        for x in np.ones((3, 2, 1), np.float32):
            y, state = LSTM.apply(lstm_params, x, state)
            assert y.dtype == np.float32 and not y.requires_grad
    gru = pg.GRU(1, 4)
    h: pg.Node[np.float64] | None = None
    gru_params = gru.init(rng)
    for x64 in np.ones((3, 2, 1)):
        h = gru.apply(gru_params, x64, h)
    assert h is not None and h.shape == (2, 4)
    table = pg.Embedding(10, 3)
    vectors = table.apply(table.init(rng), np.array([[1, 2], [3, 3]]))
    assert vectors.shape == (2, 2, 3)

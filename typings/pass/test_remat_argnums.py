"""Typical use of checkpoint over a recurrent step and of jacobian/hessian with a tuple
argnums: type-checks and runs."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import puregrad as pg


def test_a_checkpointed_lstm_window() -> None:
    lstm = pg.LSTM(2, 3)
    arrays = lstm.init(np.random.default_rng(0))
    xs = np.linspace(-1.0, 1.0, 12).reshape(3, 2, 2)

    def loss(params: pg.LSTMParams[np.float64]) -> pg.Node[np.float64]:
        step = pg.checkpoint(lambda x, s: lstm.apply(params, x, s))
        state: pg.LSTMState[np.float64] | None = None
        total = pg.constant(np.zeros(()))
        for x in xs:
            h, state = step(x, state)
            total = total + pg.sum(h * h)
        return total

    value, grads = pg.tree_value_and_grad(loss)(arrays)
    assert value.shape == () and grads.W_h.shape == (3, 12)


def test_blocks_of_a_hessian() -> None:
    def f(w: pg.Node[np.float64], b: pg.Node[np.float64]) -> pg.Node[np.float64]:
        return pg.sum(pg.tanh(w * b))

    (hww, hwb), (hbw, hbb) = pg.hessian(f, argnums=(0, 1))(np.ones(2), np.full(2, 0.5))
    jw, jb = pg.jacobian(lambda w, b: pg.tanh(w * b), argnums=(0, 1))(np.ones(2), np.ones(2))
    cross: NDArray[np.float64] = hwb
    assert cross.shape == (2, 2) and jw.shape == jb.shape == (2, 2)
    np.testing.assert_allclose(hwb, hbw.T, rtol=1e-14)

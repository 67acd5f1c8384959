"""End to end: an MLP trained on the spiral data, functionally, reaches the accuracy it should."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import puregrad as pg


def test_mlp_learns_the_spiral() -> None:
    x, t = pg.spiral()
    model = pg.MLP((2, 30, 3), activation="tanh")
    optimizer = pg.Adam(learning_rate=0.03)
    rng = np.random.default_rng(0)
    params = model.init(rng)
    state = optimizer.init(params)

    def loss(
        params: pg.MLPParams[np.float64], x: NDArray[np.float64], t: NDArray[np.int64]
    ) -> pg.Node[np.float64]:
        return pg.softmax_cross_entropy(model.apply(params, x), t)

    value_and_grad = pg.tree_value_and_grad(loss)
    first = last = 0.0
    initial = params
    for epoch in range(150):
        total = 0.0
        for xb, tb in pg.minibatches(x, t, 30, rng=rng):
            value, grads = value_and_grad(params, xb, tb)
            params, state = pg.step(optimizer, grads, state, params)
            total += float(value) * len(tb)
        if epoch == 0:
            first = total / len(t)
        last = total / len(t)
    with pg.no_grad():
        accuracy = pg.accuracy(model.apply(params, x), t)
    assert accuracy >= 0.95, f"training accuracy {accuracy:.1%}"
    assert last < first / 5
    # the initial parameters were never changed in place
    np.testing.assert_array_equal(pg.tree_leaves(initial)[0], model.init(np.random.default_rng(0))[0].W)

"""Typical training code: parameters as a tree, a pure optimizer step, layers, data, pictures."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg


@attrs.frozen
class Regression:
    """A hand-written model: its parameters are an attrs instance of arrays."""

    w: pg.Param[np.float64]
    b: pg.Param[np.float64]


def predict(p: Regression, x: NDArray[np.float64]) -> pg.Node[np.float64]:
    return pg.linear(x, p.w, p.b)


def mse(p: Regression, x: NDArray[np.float64], y: NDArray[np.float64]) -> pg.Node[np.float64]:
    return pg.mean_squared_error(predict(p, x), y)


def test_linear_regression_with_sgd_and_a_chain() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(100, 1))
    y = 5.0 + 2.0 * x + 0.01 * rng.standard_normal((100, 1))
    params = Regression(np.zeros((1, 1)), np.zeros(1))
    optimizer = pg.chain(pg.ClipByGlobalNorm(10.0), pg.MomentumSGD(0.1))
    state = optimizer.init(params)
    value_and_grad = pg.tree_value_and_grad(mse)
    for _ in range(300):
        loss, grads = value_and_grad(params, x, y)
        params, state = pg.step(optimizer, grads, state, params)
    assert float(loss) < 1e-3
    assert float(np.asarray(params.w)[0, 0]) == pytest.approx(2.0, abs=0.05)


def test_mlp_on_spiral_minibatches() -> None:
    x, t = pg.spiral()
    model = pg.MLP((2, 10, 3), activation="sigmoid")
    params: pg.MLPParams[np.float64] = model.init(np.random.default_rng(0))
    optimizer = pg.SGD(1.0)
    state = optimizer.init(params)

    def loss(
        params: pg.MLPParams[np.float64], x: NDArray[np.float64], t: NDArray[np.int64]
    ) -> pg.Node[np.float64]:
        return pg.softmax_cross_entropy(model.apply(params, x), t)

    step = pg.tree_value_and_grad(loss)
    rng = np.random.default_rng(1)
    values: list[float] = []
    for _ in range(5):
        for xb, tb in pg.minibatches(x, t, 30, rng=rng):
            value, grads = step(params, xb, tb)
            params, state = pg.step(optimizer, grads, state, params)
            values.append(float(value))
    with pg.no_grad():
        accuracy: float = pg.accuracy(model.apply(params, x), t)
    assert 0.0 <= accuracy <= 1.0 and values[-1] < values[0]


def test_trees_by_hand() -> None:
    params = {"w": np.ones(3), "b": np.zeros(1)}
    variables = pg.to_variables(params)
    grads = pg.gradients_of(pg.backward(pg.sum(variables["w"] * 2.0)), variables)
    scaled = pg.tree_map(lambda g: 0.5 * g, grads)
    new = pg.tree_map(lambda p, g: p - g, params, scaled)
    assert [leaf.shape for leaf in pg.tree_leaves(new)] == [(3,), (1,)]
    assert pg.tree_structure(new) == pg.tree_structure(params)


def test_graph_text(tmp_path: Path) -> None:
    x = pg.variable(np.ones(2), name="x")
    dot: str = pg.to_dot(pg.sum(pg.tanh(x)))
    (tmp_path / "g.dot").write_text(dot)
    assert "tanh" in dot

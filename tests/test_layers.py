"""Linear and MLP: reproducible initialisation, the maps they compute, parameter order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import puregrad as pg


def test_linear_init_is_reproducible_read_only_and_scaled() -> None:
    layer = pg.Linear(400, 600)
    p = layer.init(np.random.default_rng(0))
    assert p.W.shape == (400, 600) and p.b is not None and p.b.shape == (600,)
    assert isinstance(p.W, np.ndarray) and not p.W.flags.writeable
    np.testing.assert_array_equal(p.b, np.zeros(600))
    again = layer.init(np.random.default_rng(0))
    np.testing.assert_array_equal(p.W, again.W)
    other = layer.init(np.random.default_rng(1))
    assert not np.array_equal(p.W, other.W)
    # Xavier: variance 2 / (in + out); He: 2 / in
    assert np.std(p.W) == pytest.approx(np.sqrt(2 / 1000), rel=0.02)
    he = pg.Linear(400, 600, initializer="he").init(np.random.default_rng(0))
    assert np.std(he.W) == pytest.approx(np.sqrt(2 / 400), rel=0.02)


def test_linear_dtype_and_no_bias() -> None:
    p = pg.Linear(3, 2, bias=False).init(np.random.default_rng(0), np.float32)
    assert p.W.dtype == np.float32 and p.b is None
    y = pg.Linear(3, 2, bias=False).apply(p, np.ones((4, 3), np.float32))
    assert y.shape == (4, 2) and y.dtype == np.float32


def test_linear_apply_is_x_W_plus_b_and_differentiable() -> None:
    layer = pg.Linear(3, 2)
    p = layer.init(np.random.default_rng(0))
    p = pg.LinearParams(p.W, np.array([0.5, -1.0]))
    x = np.arange(12.0).reshape(4, 3)
    np.testing.assert_allclose(layer.apply(p, x).value, x @ np.asarray(p.W) + np.asarray(p.b))
    pg.check_grad(
        lambda W, b, x: pg.sum(pg.tanh(layer.apply(pg.LinearParams(W, b), x))),
        np.asarray(p.W), np.asarray(p.b), x / 10,
    )


def test_mlp_parameters_in_a_fixed_order() -> None:
    mlp = pg.MLP((2, 5, 4, 3), activation="relu")
    params = mlp.init(np.random.default_rng(0))
    assert [leaf.shape for leaf in pg.tree_leaves(params)] == [(2, 5), (5,), (5, 4), (4,), (4, 3), (3,)]
    assert all(layer.initializer == "he" for layer in mlp.layers)
    assert pg.MLP((2, 3)).layers[0].initializer == "xavier"
    again = mlp.init(np.random.default_rng(0))
    for a, b in zip(pg.tree_leaves(params), pg.tree_leaves(again)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("activation", "reference"),
    [("relu", lambda z: np.maximum(z, 0)), ("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("tanh", np.tanh)],
)
def test_mlp_apply_matches_numpy(activation: pg.Activation, reference: Any) -> None:
    mlp = pg.MLP((2, 6, 3), activation=activation)
    (first, last) = mlp.init(np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((5, 2))
    hidden = reference(x @ np.asarray(first.W) + np.asarray(first.b))
    expected = hidden @ np.asarray(last.W) + np.asarray(last.b)
    np.testing.assert_allclose(mlp.apply((first, last), x).value, expected, rtol=1e-12)


def test_mlp_gradients_through_tree_value_and_grad() -> None:
    mlp = pg.MLP((2, 4, 3), activation="tanh")
    params = mlp.init(np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((6, 2))
    t = np.array([0, 1, 2, 0, 1, 2])

    def loss(params: pg.MLPParams[np.float64]) -> pg.Node[np.float64]:
        return pg.softmax_cross_entropy(mlp.apply(params, x), t)

    _, grads = pg.tree_value_and_grad(loss)(params)
    assert pg.tree_structure(grads) == pg.tree_structure(params)
    leaves = [np.asarray(leaf) for leaf in pg.tree_leaves(params)]

    def flat_loss(*nodes: pg.Node[np.float64]) -> pg.Node[np.float64]:
        return loss(pg.tree_structure(params).unflatten(list(nodes)))

    pg.check_grad(flat_loss, *leaves)
    # and the tree of gradients agrees with backward on the same leaves
    variables = [pg.variable(a) for a in leaves]
    expected = pg.backward(flat_loss(*variables))
    for v, g in zip(variables, pg.tree_leaves(grads)):
        np.testing.assert_allclose(np.asarray(g), expected[v].value, rtol=1e-12)


def test_layer_errors() -> None:
    with pytest.raises(ValueError, match="Linear: in_size must be a positive int, got 0"):
        pg.Linear(0, 2)
    with pytest.raises(ValueError, match=r"MLP: sizes must be at least two positive ints .* got \(2,\)"):
        pg.MLP((2,))
    with pytest.raises(ValueError, match="'activation' must be in"):
        pg.MLP((2, 3), activation="softplus")  # type: ignore[arg-type]  # the misuse under test
    mlp = pg.MLP((2, 3, 3))
    params = mlp.init(np.random.default_rng(0))
    with pytest.raises(ValueError, match="MLP.apply: 1 parameter sets for 2 layers"):
        mlp.apply(params[:1], np.ones((1, 2)))
    with pytest.raises(ValueError, match="matmul: shapes"):
        mlp.apply(params, np.ones((1, 5)))

"""Optimizers against their published update rules, on steps computed by hand."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg


def run(
    opt: pg.GradientTransformation[Any], params: NDArray[np.float64], *grads: float
) -> list[float]:
    """The parameter (a one-element array) after each step with the given gradients."""
    state = opt.init(params)
    seen = []
    for g in grads:
        params, state = pg.step(opt, np.full(params.shape, g), state, params)
        seen.append(float(params[0]))
    return seen


def test_sgd() -> None:
    # p = p - lr * g: 1 - 0.1 * 0.5, then 0.95 - 0.1 * (-1)
    assert run(pg.SGD(0.1), np.ones(1), 0.5, -1.0) == pytest.approx([0.95, 1.05])


def test_momentum_sgd() -> None:
    # v = 0.9 v - 0.1 g; p = p + v:  v1 = -0.2, p = 0.8;  v2 = -0.18 + 0.1 = -0.08, p = 0.72
    assert run(pg.MomentumSGD(0.1, momentum=0.9), np.ones(1), 2.0, -1.0) == pytest.approx(
        [0.8, 0.72]
    )


def test_adagrad() -> None:
    # h = h + g^2; p = p - lr g / sqrt(h):  h1 = 4, p = 1 - 0.5 * 2 / 2 = 0.5;
    # h2 = 5, p = 0.5 - 0.5 / sqrt(5) = 0.5 - 0.2236068
    assert run(pg.AdaGrad(0.5), np.ones(1), 2.0, 1.0) == pytest.approx([0.5, 0.2763932])


def test_adam_with_bias_correction() -> None:
    # t = 1: m = 0.2, v = 0.004, m_hat = 2, v_hat = 4: p = 1 - 0.1 * 2 / 2 = 0.9.
    # t = 2: m = 0.08, v = 0.004996, m_hat = 0.08 / 0.19, v_hat = 0.004996 / 0.001999:
    #        p = 0.9 - 0.1 * 0.4210526 / 1.5809007 = 0.9 - 0.0266337
    seen = run(pg.Adam(0.1), np.ones(1), 2.0, -1.0)
    assert seen == pytest.approx([0.9, 0.8733663], rel=1e-6)


def test_adam_state_counts_steps() -> None:
    opt = pg.Adam()
    params = {"w": np.ones(2)}
    state = opt.init(params)
    assert int(state.count) == 0
    _, state = pg.step(opt, {"w": np.ones(2)}, state, params)
    _, state = pg.step(opt, {"w": np.ones(2)}, state, params)
    assert int(state.count) == 2


def test_weight_decay_then_sgd() -> None:
    # g + 0.1 p = 1 + 0.2 = 1.2; p = 2 - 1.2
    opt = pg.chain(pg.WeightDecay(0.1), pg.SGD(1.0))
    assert run(opt, np.full(1, 2.0), 1.0) == pytest.approx([0.8])


def test_clip_by_global_norm() -> None:
    clip = pg.ClipByGlobalNorm(1.0)
    params = (np.zeros(1), np.zeros(1))
    big = (np.array([3.0]), np.array([4.0]))  # norm 5 -> scaled by 1/5
    clipped, _ = clip.update(big, clip.init(params), params)
    np.testing.assert_allclose(np.concatenate(clipped), [0.6, 0.8])
    small = (np.array([0.3]), np.array([0.4]))  # norm 0.5: unchanged
    kept, _ = clip.update(small, clip.init(params), params)
    np.testing.assert_array_equal(np.concatenate(kept), [0.3, 0.4])


def test_chain_order_and_state() -> None:
    opt = pg.chain(pg.ClipByGlobalNorm(1.0), pg.MomentumSGD(1.0, momentum=0.5))
    params = {"w": np.zeros(2)}
    state = opt.init(params)
    assert len(state) == 2
    params, state = pg.step(opt, {"w": np.array([3.0, 4.0])}, state, params)
    np.testing.assert_allclose(params["w"], [-0.6, -0.8])
    params, state = pg.step(opt, {"w": np.array([0.0, 0.0])}, state, params)
    np.testing.assert_allclose(params["w"], [-0.9, -1.2])
    with pytest.raises(ValueError, match="chain: the state holds 1 entries for 2"):
        opt.update({"w": np.zeros(2)}, state[:1], params)


OPTIMIZERS: list[pg.GradientTransformation[Any]] = [
    pg.SGD(0.1),
    pg.MomentumSGD(0.1),
    pg.AdaGrad(0.1),
    pg.Adam(0.1),
    pg.chain(pg.ClipByGlobalNorm(0.1), pg.WeightDecay(0.01), pg.Adam(0.1)),
]


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: type(o).__name__)
def test_nothing_is_mutated_and_results_are_read_only(opt: pg.GradientTransformation[Any]) -> None:
    params = {"W": np.full((2, 2), 1.0), "b": np.full(2, -1.0)}
    grads = {"W": np.full((2, 2), 3.0), "b": np.full(2, 4.0)}
    state = opt.init(params)
    before = copy.deepcopy((params, grads, state))
    new_params, new_state = pg.step(opt, grads, state, params)
    for old, now in zip(pg.tree_leaves(before), pg.tree_leaves((params, grads, state))):
        np.testing.assert_array_equal(old, now)
    leaves = pg.tree_leaves((new_params, new_state))
    assert all(isinstance(a, np.ndarray) and not a.flags.writeable for a in leaves)
    assert list(new_params) == ["W", "b"]
    # every optimizer steps against the gradient
    assert np.all(new_params["W"] < params["W"]) and np.all(new_params["b"] < params["b"])


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: type(o).__name__)
def test_float32_stays_float32(opt: pg.GradientTransformation[Any]) -> None:
    params = [np.ones(3, np.float32)]
    state = opt.init(params)
    for _ in range(2):
        params, state = pg.step(opt, [np.ones(3, np.float32)], state, params)
    assert params[0].dtype == np.float32
    moments = [a for a in pg.tree_leaves(state) if a.dtype.kind == "f"]
    assert all(a.dtype == np.float32 for a in moments)


def test_nodes_are_refused() -> None:
    with pytest.raises(TypeError, match="SGD: the trees must hold ndarrays, got a Node"):
        pg.SGD().update([pg.variable(1.0)], pg.EmptyState(), [np.ones(1)])
    with pytest.raises(ValueError, match="the trees differ in structure"):
        pg.apply_updates({"w": np.ones(1)}, {"v": np.ones(1)})


def test_minimises_a_quadratic() -> None:
    target = np.array([1.0, -2.0, 3.0])
    optimizers: list[pg.GradientTransformation[Any]] = [
        pg.SGD(0.1), pg.MomentumSGD(0.1), pg.AdaGrad(1.0), pg.Adam(0.1)
    ]
    for opt in optimizers:
        params = np.zeros(3)
        state = opt.init(params)
        for _ in range(300):
            params, state = pg.step(opt, 2 * (params - target), state, params)
        np.testing.assert_allclose(params, target, atol=0.05, err_msg=type(opt).__name__)

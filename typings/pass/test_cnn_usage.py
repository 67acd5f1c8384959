"""Typical CNN code: a Sequential model, one pure training step threading the statistics and
the dropout rng, inference under no_grad with train=False, float32 throughout."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

MODEL = pg.Sequential(
    pg.Conv2d(1, 4, 3, pad=1),
    pg.BatchNorm(4),
    pg.Relu(),
    pg.MaxPool2d(2),
    pg.Flatten(),
    pg.Dropout(0.25),
    pg.Linear(4 * 4 * 4, 10),
)
OPTIMIZER = pg.MomentumSGD(0.05)

Params = pg.ModelParams[np.float32]
Stats = pg.ModelStats[np.float32]
Batch = tuple[NDArray[np.float32], NDArray[np.int64]]


def train_step(
    params: Params, stats: Stats, opt_state: pg.MomentumState, batch: Batch, rng: np.random.Generator
) -> tuple[Params, Stats, pg.MomentumState, float]:
    x, t = batch
    variables = pg.to_variables(params)
    logits, new_stats = MODEL.apply(variables, stats, x, train=True, rng=rng)
    loss = pg.softmax_cross_entropy(logits, t)
    grads = pg.gradients_of(pg.backward(loss), variables)
    new_params, new_state = pg.step(OPTIMIZER, grads, opt_state, params)
    return new_params, new_stats, new_state, float(loss.value)


def predict(params: Params, stats: Stats, x: NDArray[np.float32]) -> pg.Node[np.float32]:
    with pg.no_grad():
        logits, _ = MODEL.apply(params, stats, x, train=False)
    return logits


def test_a_training_step_is_a_pure_function_of_its_arguments() -> None:
    rng = np.random.default_rng(0)
    params, stats = MODEL.init(rng, np.float32), MODEL.init_stats(np.float32)
    opt_state = OPTIMIZER.init(params)
    x = np.random.default_rng(1).random((6, 1, 8, 8)).astype(np.float32)
    t = np.arange(6, dtype=np.int64)
    first = train_step(params, stats, opt_state, (x, t), np.random.default_rng(2))
    again = train_step(params, stats, opt_state, (x, t), np.random.default_rng(2))
    for a, b in zip(pg.tree_leaves(first[:3]), pg.tree_leaves(again[:3])):
        np.testing.assert_array_equal(a, b)  # same arguments, same results
    assert first[3] == again[3]
    new_params, new_stats, _, _ = first
    assert predict(new_params, new_stats, x).dtype == np.float32
    assert all(leaf.dtype == np.float32 for leaf in pg.tree_leaves((new_params, new_stats)))
    # The old statistics and parameters are values: untouched by the step.
    assert stats[1] is not None and float(stats[1].mean.sum()) == 0.0

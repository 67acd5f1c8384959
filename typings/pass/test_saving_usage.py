"""Typical checkpointing: save what a training step needs, load it back into its types, go on."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
from numpy.typing import NDArray

import puregrad as pg


@attrs.frozen
class TrainState:
    params: pg.MLPParams[np.float64]
    opt: pg.AdamState
    rng: np.random.Generator
    step: NDArray[np.int64]


MODEL = pg.MLP((2, 4, 3))
OPTIMIZER = pg.Adam(0.01)


def fresh(seed: int) -> TrainState:
    params = MODEL.init(np.random.default_rng(seed))
    return TrainState(params, OPTIMIZER.init(params), np.random.default_rng(seed), np.asarray(0))


def loss(params: pg.MLPParams[np.float64], x: NDArray[np.float64], t: NDArray[np.int64]) -> pg.Node[np.float64]:
    return pg.softmax_cross_entropy(MODEL.apply(params, x), t)


def train_step(state: TrainState, x: NDArray[np.float64], t: NDArray[np.int64]) -> TrainState:
    order = state.rng.permutation(len(x))[:8]
    _, grads = pg.tree_value_and_grad(loss)(state.params, x[order], t[order])
    params, opt = pg.step(OPTIMIZER, grads, state.opt, state.params)
    return TrainState(params, opt, state.rng, np.asarray(int(state.step) + 1))


def test_save_then_resume(tmp_path: Path) -> None:
    x, t = pg.spiral(num_per_class=10)
    state = train_step(fresh(0), x, t)
    path = tmp_path / "checkpoint.safetensors"
    pg.save(path, state)
    resumed: TrainState = pg.load(path, fresh(1))
    assert int(resumed.step) == 1
    W: NDArray[np.float64] | pg.Node[np.float64] = resumed.params[0].W
    assert isinstance(W, np.ndarray) and not W.flags.writeable
    assert int(train_step(resumed, x, t).step) == 2


def test_parameters_alone_and_a_plain_dict(tmp_path: Path) -> None:
    params = MODEL.init(np.random.default_rng(0))
    pg.save(tmp_path / "params.safetensors", params)
    loaded: pg.MLPParams[np.float64] = pg.load(tmp_path / "params.safetensors", params)
    assert len(loaded) == 2
    weights: dict[str, NDArray[np.float32]] = {"w": np.ones(3, np.float32)}
    pg.save(str(tmp_path / "w.safetensors"), weights)
    assert pg.load(str(tmp_path / "w.safetensors"), weights)["w"].dtype == np.float32

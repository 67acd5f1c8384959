"""Conv2d, BatchNorm, Dropout and pooling layers, and Sequential threading train, rng and the
batch-norm statistics; a small CNN that learns."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import rand


def test_conv2d_layer_init_is_reproducible_and_applies_conv2d() -> None:
    layer = pg.Conv2d(2, 4, (3, 2), stride=2, pad=1)
    a, b = layer.init(np.random.default_rng(0)), layer.init(np.random.default_rng(0))
    np.testing.assert_array_equal(a.W, b.W)
    assert a.W.shape == (4, 2, 3, 2) and a.b is not None and a.b.shape == (4,)
    assert isinstance(a.W, np.ndarray) and not a.W.flags.writeable
    assert abs(a.W.std() - np.sqrt(2.0 / 12)) < 0.2  # He: variance 2 / (C KH KW)
    x = rand(2, 2, 5, 5)
    np.testing.assert_array_equal(
        layer.apply(a, x).value, pg.conv2d(x, a.W, a.b, stride=2, pad=1).value
    )
    assert pg.Conv2d(1, 2, 3, bias=False).init(np.random.default_rng(0)).b is None
    f32 = layer.init(np.random.default_rng(0), np.float32)
    assert f32.W.dtype == np.float32 and layer.apply(f32, x.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="Conv2d: out_channels must be a positive int"):
        pg.Conv2d(1, 0, 3)
    with pytest.raises(ValueError, match="Conv2d: stride must be at least 1"):
        pg.Conv2d(1, 2, 3, stride=0)


def test_batch_norm_layer_keeps_its_statistics_apart() -> None:
    bn = pg.BatchNorm(3, decay=0.5)
    params = bn.init(np.random.default_rng(0))
    stats = bn.init_stats()
    x = rand(8, 3, seed=1)
    y, new = bn.apply(params, x, stats, train=True)
    np.testing.assert_allclose(new.mean, 0.5 * x.mean(axis=0), rtol=1e-14)
    assert stats.mean.tolist() == [0.0, 0.0, 0.0]  # the old statistics are a value, unchanged
    y_eval, same = bn.apply(params, x, new, train=False)
    assert same is new
    assert not np.allclose(y.value, y_eval.value)
    assert bn.init_stats(np.float32).var.dtype == np.float32
    with pytest.raises(ValueError, match=r"BatchNorm: decay must be in \[0, 1\)"):
        pg.BatchNorm(3, decay=1.0)


MODEL = pg.Sequential(
    pg.Conv2d(1, 4, 3, pad=1),
    pg.BatchNorm(4),
    pg.Relu(),
    pg.MaxPool2d(2),
    pg.Flatten(),
    pg.Dropout(0.5),
    pg.Linear(4 * 3 * 3, 3),
)


def test_sequential_threads_params_stats_and_rng() -> None:
    rng = np.random.default_rng(0)
    params, stats = MODEL.init(rng), MODEL.init_stats()
    assert [p is None for p in params] == [False, False, True, True, True, True, False]
    assert [type(s).__name__ for s in stats] == ["NoneType", "BatchNormStats"] + ["NoneType"] * 5
    x = rand(5, 1, 6, 6, seed=2)
    y1, new1 = MODEL.apply(params, stats, x, train=True, rng=np.random.default_rng(1))
    y2, new2 = MODEL.apply(params, stats, x, train=True, rng=np.random.default_rng(1))
    y3, _ = MODEL.apply(params, stats, x, train=True, rng=np.random.default_rng(2))
    assert y1.shape == (5, 3)
    np.testing.assert_array_equal(y1.value, y2.value)  # the same rng gives the same dropout
    assert not np.array_equal(y1.value, y3.value)
    bn_new = new1[1]
    assert isinstance(bn_new, pg.BatchNormStats) and not np.array_equal(bn_new.mean, np.zeros(4))
    # Inference: no dropout, running statistics, the statistics unchanged.
    e1, same = MODEL.apply(params, new1, x, train=False)
    e2, _ = MODEL.apply(params, new1, x, train=False)
    assert same[1] is new1[1]
    np.testing.assert_array_equal(e1.value, e2.value)
    # Parameters and statistics are trees: optimizers and tree functions take them.
    leaves = pg.tree_leaves(params)
    assert len(leaves) == 2 + 2 + 2
    assert len(pg.tree_leaves(new2)) == 2


def test_sequential_errors() -> None:
    rng = np.random.default_rng(0)
    params, stats = MODEL.init(rng), MODEL.init_stats()
    x = rand(2, 1, 6, 6)
    with pytest.raises(ValueError, match="Sequential.apply: train=True needs rng"):
        MODEL.apply(params, stats, x, train=True)  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(ValueError, match="Sequential.apply: 6 parameter entries and 7 statistics"):
        MODEL.apply(params[:-1], stats, x, train=False)
    swapped = (params[1], params[0], *params[2:])
    with pytest.raises(ValueError, match=r"layer 0 \(Conv2d\) got parameters of type BatchNormParams"):
        MODEL.apply(swapped, stats, x, train=False)
    with pytest.raises(TypeError, match="Sequential: layer 1 is a str"):
        pg.Sequential(pg.Relu(), "relu")  # type: ignore[arg-type]  # the misuse under test


def test_a_small_cnn_learns_the_digits_and_stays_float32() -> None:
    """A few hundred digits, three epochs: the training step is one pure function, and the
    held-out accuracy rises far above chance (10%)."""
    data = pg.digits(0, dtype=np.float32)
    model = pg.Sequential(
        pg.Conv2d(1, 8, 3, pad=1), pg.BatchNorm(8), pg.Relu(), pg.MaxPool2d(2),
        pg.Flatten(), pg.Dropout(0.2), pg.Linear(8 * 4 * 4, 10),
    )
    optimizer = pg.Adam(learning_rate=0.01)
    Params = pg.ModelParams[np.float32]
    Stats = pg.ModelStats[np.float32]

    def step(
        params: Params, stats: Stats, opt_state: pg.AdamState,
        batch: tuple[NDArray[np.float32], NDArray[np.int64]], rng: np.random.Generator,
    ) -> tuple[Params, Stats, pg.AdamState, float]:
        x, t = batch
        variables = pg.to_variables(params)
        logits, new_stats = model.apply(variables, stats, x, train=True, rng=rng)
        loss = pg.softmax_cross_entropy(logits, t)
        grads = pg.gradients_of(pg.backward(loss), variables)
        new_params, new_state = pg.step(optimizer, grads, opt_state, params)
        return new_params, new_stats, new_state, float(loss.value)

    rng = np.random.default_rng(0)
    params, stats = model.init(rng, np.float32), model.init_stats(np.float32)
    opt_state = optimizer.init(params)
    x, t = data.x_train[:300], data.t_train[:300]
    for _ in range(3):
        for batch in pg.minibatches(x, t, 30, rng=rng):
            params, stats, opt_state, loss = step(params, stats, opt_state, batch, rng)
    assert all(leaf.dtype == np.float32 for leaf in pg.tree_leaves((params, stats)))
    with pg.no_grad():
        logits, _ = model.apply(params, stats, data.x_test, train=False)
    assert logits.dtype == np.float32 and not logits.requires_grad
    accuracy = pg.accuracy(logits, data.t_test)
    assert accuracy > 0.7, accuracy  # 0.86 when written

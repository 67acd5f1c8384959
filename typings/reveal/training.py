"""assert_type for every public name of trees, optimizers, data, layers and graph pictures."""

from __future__ import annotations

from pathlib import Path
from typing import Any, assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

a64: NDArray[np.float64] = np.ones(3)
a32: NDArray[np.float32] = np.ones(3, np.float32)
x = pg.variable(a64)
y = pg.variable(a32)
rng = np.random.default_rng(0)

# Trees
params64 = {"w": a64}
params32 = {"w": a32}
assert_type(pg.tree_leaves(params64), list[pg.Leaf])
assert_type(pg.tree_map(lambda a: a * 2, params64), dict[str, NDArray[np.float64]])
assert_type(pg.tree_map(lambda a, b: a - b, params32, params32), dict[str, NDArray[np.float32]])
assert_type(pg.tree_structure(params64), pg.TreeDef[dict[str, NDArray[np.float64]]])
assert_type(pg.tree_structure(params64).unflatten([a64]), dict[str, NDArray[np.float64]])
assert_type(pg.tree_structure(params64).num_leaves, int)
assert_type(pg.tree_unflatten(pg.tree_structure((a32,)), [a32]), tuple[NDArray[np.float32]])
assert_type(pg.to_variables(a64), pg.Node[np.float64])
assert_type(pg.to_variables(params32), dict[str, pg.Node[np.float32]])
assert_type(pg.to_variables([a64]), list[pg.Node[np.float64]])
assert_type(pg.to_variables((a32, a32)), tuple[pg.Node[np.float32], ...])
assert_type(pg.to_arrays(x), NDArray[np.float64])
assert_type(pg.to_arrays({"y": y}), dict[str, NDArray[np.float32]])
grads = pg.backward(pg.sum(x))
assert_type(pg.gradients_of(grads, x), NDArray[np.float64])
assert_type(pg.gradients_of(grads, {"x": x}), dict[str, NDArray[np.float64]])
assert_type(pg.gradients_of(grads, [y]), list[NDArray[np.float32]])


def loss64(p: dict[str, pg.Param[np.float64]], scale: float) -> pg.Node[np.float64]:
    return pg.sum(p["w"] * scale)


def loss32(p: tuple[pg.Param[np.float32], ...]) -> pg.Node[np.float32]:
    return pg.sum(p[0])


assert_type(
    pg.tree_value_and_grad(loss64)({"w": a64}, 2.0),
    tuple[NDArray[np.float64], dict[str, pg.Param[np.float64]]],
)
assert_type(
    pg.tree_value_and_grad(loss32)((a32,)),
    tuple[NDArray[np.float32], tuple[pg.Param[np.float32], ...]],
)

# Optimizers
tree: dict[str, NDArray[np.float64]] = {"w": a64}
assert_type(pg.SGD(0.1).init(tree), pg.EmptyState)
assert_type(pg.SGD(0.1).update(tree, pg.EmptyState(), tree), tuple[dict[str, NDArray[np.float64]], pg.EmptyState])
assert_type(pg.MomentumSGD(0.1).init(tree), pg.MomentumState)
assert_type(pg.AdaGrad().init(tree), pg.AdaGradState)
assert_type(pg.Adam().init(tree), pg.AdamState)
assert_type(pg.Adam().init(tree).count, NDArray[np.int64])
assert_type(pg.WeightDecay(1e-4).init(tree), pg.EmptyState)
assert_type(pg.ClipByGlobalNorm(1.0).init(tree), pg.EmptyState)
opt = pg.chain(pg.ClipByGlobalNorm(1.0), pg.Adam())
assert_type(opt, pg.Chain)
assert_type(opt.init(tree), tuple[object, ...])
adam: pg.GradientTransformation[pg.AdamState] = pg.Adam()
assert_type(pg.step(adam, tree, adam.init(tree), tree), tuple[dict[str, NDArray[np.float64]], pg.AdamState])
assert_type(pg.apply_updates(tree, tree), dict[str, NDArray[np.float64]])
assert_type(pg.AdamState(np.zeros((), np.int64), tree, tree).mu, object)
assert_type(pg.MomentumState(tree).velocity, object)
assert_type(pg.AdaGradState(tree).sum_of_squares, object)

# Data
assert_type(pg.spiral(), tuple[NDArray[np.float64], NDArray[np.int64]])
assert_type(pg.spiral(0, dtype=np.float32), tuple[NDArray[np.float32], NDArray[np.int64]])
xs, ts = pg.spiral()
for xb, tb in pg.minibatches(xs, ts, 10, rng=rng):
    assert_type(xb, NDArray[np.float64])
    assert_type(tb, NDArray[np.int64])
assert_type(pg.accuracy(np.ones((2, 3)), np.zeros(2, np.int64)), float)
assert_type(pg.accuracy(x, np.zeros(2, np.int64)), float)

# Layers
layer = pg.Linear(3, 2)
assert_type(layer.init(rng), pg.LinearParams[np.float64])
assert_type(layer.init(rng, np.float32), pg.LinearParams[np.float32])
assert_type(layer.init(rng).W, pg.Param[np.float64])
assert_type(layer.init(rng).b, pg.Param[np.float64] | None)
assert_type(layer.apply(layer.init(rng), np.ones((4, 3))), pg.Node[np.float64])
assert_type(layer.apply(layer.init(rng, np.float32), np.ones((4, 3), np.float32)), pg.Node[np.float32])
mlp = pg.MLP((2, 4, 3), activation="relu")
assert_type(mlp.init(rng), tuple[pg.LinearParams[np.float64], ...])
assert_type(mlp.init(rng), pg.MLPParams[np.float64])
assert_type(mlp.init(rng, np.float32), pg.MLPParams[np.float32])
assert_type(mlp.apply(mlp.init(rng), np.ones((1, 2))), pg.Node[np.float64])
assert_type(mlp.layers, tuple[pg.Linear, ...])
assert_type(mlp.activation, pg.Activation)
assert_type(layer.initializer, pg.Initializer)

# Graph pictures
assert_type(pg.to_dot(x), str)
assert_type(pg.to_dot([x, x], verbose=True), str)


def draw(path: Path) -> None:
    assert_type(pg.render(x, path), Path)
    assert_type(pg.render("digraph {}", "g.png", format="png"), Path)


unused: Any = draw

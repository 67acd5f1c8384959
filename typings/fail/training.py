"""Misuses of trees, optimizers, data, layers and graph pictures that mypy --strict must reject."""

from __future__ import annotations

import numpy as np

import puregrad as pg

a = np.ones(3)
x = pg.variable(a)
rng = np.random.default_rng(0)
opt = pg.Adam()
layer = pg.Linear(3, 2)
params = layer.init(rng)
params32 = layer.init(rng, np.float32)

pg.tree_map(lambda v: "text", {"w": a})  # type: ignore[type-var]
pg.tree_map(len, {"w": a})  # type: ignore[misc]
pg.gradients_of({x: x}, {"x": x})  # type: ignore[call-overload]
pg.tree_structure({"w": a}).unflatten(a)  # type: ignore[arg-type]
opt.learning_rate = 0.1  # type: ignore[misc]
pg.Adam(lr=0.1)  # type: ignore[call-arg]
pg.SGD().update({"w": a}, opt.init({"w": a}), {"w": a})  # type: ignore[arg-type]
pg.step(opt, {"w": a}, pg.EmptyState(), {"w": a})  # type: ignore[misc]
pg.chain(pg.SGD, pg.Adam())  # type: ignore[arg-type]
pg.spiral(dtype=np.int64)  # type: ignore[type-var]
pg.spiral(num_classes="3")  # type: ignore[call-overload]
pg.minibatches(a, a, 2, rng=0)  # type: ignore[arg-type]
pg.accuracy([[0.1, 0.9]], np.zeros(1, np.int64))  # type: ignore[arg-type]
pg.Linear(3, 2, initializer="lecun")  # type: ignore[arg-type]
pg.MLP((2, 3), activation="softplus")  # type: ignore[arg-type]
layer.apply(params32, np.ones((1, 3)))  # type: ignore[misc]
layer.init(0)  # type: ignore[call-overload]
params.W = a  # type: ignore[misc]
pg.to_dot(a)  # type: ignore[arg-type]
pg.render(x, "g.svg", format="jpeg")  # type: ignore[arg-type]

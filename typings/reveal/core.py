"""assert_type for every public name of the core, in float64 and float32."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

a64: NDArray[np.float64] = np.ones(3)
a32: NDArray[np.float32] = np.ones(3, np.float32)
x = pg.variable(a64)
y = pg.variable(a32)

assert_type(x, pg.Node[np.float64])
assert_type(y, pg.Node[np.float32])
assert_type(pg.variable(1.0), pg.Node[np.float64])
assert_type(pg.variable(np.float32(1.0)), pg.Node[np.float32])
assert_type(pg.constant(np.arange(3)), pg.Node[np.int64])
assert_type(pg.constant(3), pg.Node[np.int64])
assert_type(pg.constant(True), pg.Node[np.bool_])
assert_type(pg.constant(a32, name="c"), pg.Node[np.float32])

assert_type(x.value, NDArray[np.float64])
assert_type(x.shape, tuple[int, ...])
assert_type(x.ndim, int)
assert_type(x.size, int)
assert_type(x.dtype, np.dtype[np.float64])
assert_type(x.name, str | None)
assert_type(x.generation, int)
assert_type(x.requires_grad, bool)
assert_type(len(x), int)

assert_type(x + x, pg.Node[np.float64])
assert_type(x + 1.0, pg.Node[np.float64])
assert_type(2 * x, pg.Node[np.float64])
assert_type(x - a64, pg.Node[np.float64])
assert_type(x / 2, pg.Node[np.float64])
assert_type(x**2, pg.Node[np.float64])
assert_type(2**x, pg.Node[np.float64])
assert_type(-x, pg.Node[np.float64])
assert_type(y * 2.0, pg.Node[np.float32])
assert_type(y / y, pg.Node[np.float32])

assert_type(pg.add(x, x), pg.Node[np.float64])
assert_type(pg.add(a32, y), pg.Node[np.float32])
assert_type(pg.add(1.0, y), pg.Node[np.float32])
assert_type(pg.add(1.0, 2.0), pg.Node[np.float64])
assert_type(pg.sub(y, 1.0), pg.Node[np.float32])
assert_type(pg.mul(x, a64), pg.Node[np.float64])
assert_type(pg.div(y, y), pg.Node[np.float32])
assert_type(pg.power(y, 2.0), pg.Node[np.float32])
assert_type(pg.pow(y, 3), pg.Node[np.float32])
assert_type(pg.pow(x, 0.5), pg.Node[np.float64])
assert_type(pg.neg(y), pg.Node[np.float32])
assert_type(pg.square(y), pg.Node[np.float32])
assert_type(pg.square(2.0), pg.Node[np.float64])
assert_type(pg.exp(x), pg.Node[np.float64])
assert_type(pg.exp(y), pg.Node[np.float32])
assert_type(pg.log(y), pg.Node[np.float32])
assert_type(pg.sum(y), pg.Node[np.float32])
assert_type(pg.sum(x, axis=0, keepdims=True), pg.Node[np.float64])
assert_type(pg.sum_to(y, (1,)), pg.Node[np.float32])
assert_type(pg.broadcast_to(y, (2, 3)), pg.Node[np.float32])
assert_type(pg.reshape(x, (3, 1)), pg.Node[np.float64])

cfg = pg.Config(retain_grad=True)
assert_type(cfg, pg.Config)
assert_type(cfg.enable_backprop, bool)
assert_type(cfg.retain_grad, bool)
assert_type(cfg.create_graph, bool)
assert_type(pg.get_config(), pg.Config)
assert_type(pg.using_config(cfg), AbstractContextManager[pg.Config])
assert_type(pg.no_grad(), AbstractContextManager[pg.Config])

grads = pg.backward(pg.sum(x * x))
assert_type(grads, pg.Gradients)
assert_type(grads[x], pg.Node[np.float64])
assert_type(grads.get(x), pg.Node[np.float64] | None)
assert_type(pg.backward([pg.sum(y)], cfg, seed=[np.float32(1.0)])[y], pg.Node[np.float32])
assert_type(pg.check_grad(lambda v: v * v, a64), None)

"""assert_type for numpy on nodes (issue 8): the unary, binary, reduction and shape groups, in
float64 and float32 (integer nodes where the function keeps integers)."""

from __future__ import annotations

from typing import assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

a64: NDArray[np.float64] = np.ones((2, 3))
a32: NDArray[np.float32] = np.ones((2, 3), np.float32)
x = pg.variable(a64)
y = pg.variable(a32)
k = pg.constant(np.arange(6).reshape(2, 3))
mask: NDArray[np.bool_] = a64 > 0

# Unary: dtype-preserving; floating-only where the math needs it
assert_type(pg.abs(x), pg.Node[np.float64])
assert_type(pg.abs(y), pg.Node[np.float32])
assert_type(pg.abs(k), pg.Node[np.int64])
assert_type(pg.sign(k), pg.Node[np.int64])
assert_type(pg.floor(y), pg.Node[np.float32])
assert_type(pg.ceil(a32), pg.Node[np.float32])
assert_type(pg.round(x), pg.Node[np.float64])
assert_type(pg.round(y, 2), pg.Node[np.float32])
assert_type(pg.round(1.5), pg.Node[np.float64])
assert_type(pg.reciprocal(y), pg.Node[np.float32])
assert_type(pg.tan(x), pg.Node[np.float64])
assert_type(pg.arcsin(y), pg.Node[np.float32])
assert_type(pg.arccos(x), pg.Node[np.float64])
assert_type(pg.arctan(0.5), pg.Node[np.float64])
assert_type(pg.sinh(y), pg.Node[np.float32])
assert_type(pg.cosh(x), pg.Node[np.float64])
assert_type(pg.arcsinh(y), pg.Node[np.float32])
assert_type(pg.arccosh(x), pg.Node[np.float64])
assert_type(pg.arctanh(y), pg.Node[np.float32])
assert_type(pg.log1p(x), pg.Node[np.float64])
assert_type(pg.expm1(y), pg.Node[np.float32])
assert_type(pg.log2(a64), pg.Node[np.float64])
assert_type(pg.log10(y), pg.Node[np.float32])
assert_type(pg.exp2(x, config=pg.Config()), pg.Node[np.float64])
assert_type(pg.cbrt(y), pg.Node[np.float32])

# Binary: broadcasting, a Python scalar takes the node's dtype
assert_type(pg.maximum(x, 0.0), pg.Node[np.float64])
assert_type(pg.maximum(y, y), pg.Node[np.float32])
assert_type(pg.maximum(k, k), pg.Node[np.int64])
assert_type(pg.minimum(0.0, y), pg.Node[np.float32])
assert_type(pg.minimum(a64, x), pg.Node[np.float64])
assert_type(pg.arctan2(y, a32), pg.Node[np.float32])
assert_type(pg.arctan2(x, 1.0), pg.Node[np.float64])
assert_type(pg.hypot(3.0, 4.0), pg.Node[np.float64])
assert_type(pg.hypot(y, y), pg.Node[np.float32])
assert_type(pg.logaddexp(x, x), pg.Node[np.float64])
assert_type(pg.logaddexp(1.0, y), pg.Node[np.float32])
assert_type(pg.where(mask, x, 0.0), pg.Node[np.float64])
assert_type(pg.where(mask, y, a32), pg.Node[np.float32])
assert_type(pg.where(mask, 0.0, y), pg.Node[np.float32])
assert_type(pg.where(True, 1.0, 2.0), pg.Node[np.float64])
assert_type(pg.where(pg.constant(mask), x, x), pg.Node[np.float64])

# Reductions
assert_type(pg.prod(x), pg.Node[np.float64])
assert_type(pg.prod(y, axis=(0, 1), keepdims=True), pg.Node[np.float32])
assert_type(pg.prod(k, 0), pg.Node[np.int64])
assert_type(pg.var(x), pg.Node[np.float64])
assert_type(pg.var(y, 0, ddof=1, keepdims=True), pg.Node[np.float32])
assert_type(pg.std(a32, axis=None, ddof=1), pg.Node[np.float32])
assert_type(pg.std(x, (0, 1)), pg.Node[np.float64])
assert_type(pg.cumsum(x), pg.Node[np.float64])
assert_type(pg.cumsum(k, 1), pg.Node[np.int64])
assert_type(pg.cumprod(y, axis=0), pg.Node[np.float32])
assert_type(pg.logsumexp(x), pg.Node[np.float64])
assert_type(pg.logsumexp(y, axis=-1, keepdims=True), pg.Node[np.float32])
assert_type(pg.argmax(x), NDArray[np.intp])
assert_type(pg.argmax(y, axis=1, keepdims=True), NDArray[np.intp])
assert_type(pg.argmin(a64, 0), NDArray[np.intp])

# Shape
assert_type(pg.stack([x, x]), pg.Node[np.float64])
assert_type(pg.stack([y, a32], axis=1), pg.Node[np.float32])
assert_type(pg.vstack([x, a64]), pg.Node[np.float64])
assert_type(pg.hstack((y, y)), pg.Node[np.float32])
assert_type(pg.squeeze(x), pg.Node[np.float64])
assert_type(pg.squeeze(y, axis=(0,)), pg.Node[np.float32])
assert_type(pg.expand_dims(y, 0), pg.Node[np.float32])
assert_type(pg.flip(x), pg.Node[np.float64])
assert_type(pg.flip(k, axis=(0, 1)), pg.Node[np.int64])
assert_type(pg.roll(y, 1), pg.Node[np.float32])
assert_type(pg.roll(x, (1, 2), axis=(0, 1)), pg.Node[np.float64])
assert_type(pg.moveaxis(x, 0, -1), pg.Node[np.float64])
assert_type(pg.swapaxes(y, 0, 1), pg.Node[np.float32])
assert_type(pg.tile(x, (2, 2)), pg.Node[np.float64])
assert_type(pg.repeat(y, 2, axis=0), pg.Node[np.float32])
assert_type(pg.repeat(x, [1, 2], axis=0), pg.Node[np.float64])
assert_type(pg.ravel(y), pg.Node[np.float32])
assert_type(pg.diagonal(x), pg.Node[np.float64])
assert_type(pg.diagonal(y, 1, axis1=1, axis2=0), pg.Node[np.float32])
assert_type(pg.trace(x), pg.Node[np.float64])
assert_type(pg.triu(y, 1), pg.Node[np.float32])
assert_type(pg.tril(x), pg.Node[np.float64])
assert_type(pg.take(x, [0, 2], axis=1), pg.Node[np.float64])
assert_type(pg.take(y, np.array([0, 1]), mode="clip"), pg.Node[np.float32])
assert_type(pg.take_along_axis(x, np.zeros((2, 1), np.intp), axis=1), pg.Node[np.float64])
assert_type(pg.pad(y, 1), pg.Node[np.float32])
assert_type(pg.pad(x, ((1, 0), (0, 2)), constant_values=1.0), pg.Node[np.float64])

"""assert_type for numpy's linear algebra as puregrad functions, in float64 and float32."""

from __future__ import annotations

from typing import assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

a64: NDArray[np.float64] = np.eye(3)
a32: NDArray[np.float32] = np.eye(3, dtype=np.float32)
k: NDArray[np.int64] = np.ones((3, 3), np.int64)
x = pg.variable(a64)
y = pg.variable(a32)

# Products keep the dtype, integers included.
assert_type(pg.dot(x, a64), pg.Node[np.float64])
assert_type(pg.dot(y, y), pg.Node[np.float32])
assert_type(pg.dot(k, k), pg.Node[np.int64])
assert_type(pg.inner(x, x), pg.Node[np.float64])
assert_type(pg.outer(y, a32), pg.Node[np.float32])
assert_type(pg.tensordot(x, a64), pg.Node[np.float64])
assert_type(pg.tensordot(y, y, axes=([0], [1])), pg.Node[np.float32])
assert_type(pg.tensordot(x, x, 1), pg.Node[np.float64])
assert_type(pg.einsum("ij,jk->ik", x, a64), pg.Node[np.float64])
assert_type(pg.einsum("ii", y, optimize=True), pg.Node[np.float32])
assert_type(pg.einsum(x, [0, 1], x, [1, 2], [0, 2]), pg.Node[np.float64])

# numpy.linalg: floating only.
assert_type(pg.inv(x), pg.Node[np.float64])
assert_type(pg.inv(a32), pg.Node[np.float32])
assert_type(pg.solve(x, a64), pg.Node[np.float64])
assert_type(pg.solve(y, y), pg.Node[np.float32])
assert_type(pg.det(y), pg.Node[np.float32])
assert_type(pg.slogdet(x), pg.SlogdetResult[np.float64])
assert_type(pg.slogdet(x).sign, NDArray[np.float64])
assert_type(pg.slogdet(y).logabsdet, pg.Node[np.float32])
assert_type(pg.cholesky(x), pg.Node[np.float64])
assert_type(pg.cholesky(y, upper=True), pg.Node[np.float32])
assert_type(pg.eigh(x), pg.EighResult[np.float64])
assert_type(pg.eigh(y, "U").eigenvalues, pg.Node[np.float32])
assert_type(pg.eigh(x).eigenvectors, pg.Node[np.float64])
assert_type(pg.svd(x), pg.SVDResult[np.float64])
assert_type(pg.svd(y, full_matrices=False).Vh, pg.Node[np.float32])
assert_type(pg.svd(x, compute_uv=False), pg.Node[np.float64])
assert_type(pg.svd(y, False, False), pg.Node[np.float32])
assert_type(pg.norm(x), pg.Node[np.float64])
assert_type(pg.norm(y, "fro"), pg.Node[np.float32])
assert_type(pg.norm(x, np.inf, axis=1, keepdims=True), pg.Node[np.float64])
assert_type(pg.norm(y, "nuc", (0, 1)), pg.Node[np.float32])
assert_type(pg.norm(x, 2, axis=(0,)), pg.Node[np.float64])
assert_type(pg.vector_norm(y, axis=(0, 1), ord=np.inf), pg.Node[np.float32])
assert_type(pg.matrix_norm(x, ord="nuc", keepdims=True), pg.Node[np.float64])
assert_type(pg.svdvals(y), pg.Node[np.float32])

# Unpacking the named tuples.
sign, logabsdet = pg.slogdet(x)
assert_type(sign, NDArray[np.float64])
assert_type(logabsdet, pg.Node[np.float64])
w, v = pg.eigh(y)
assert_type(w, pg.Node[np.float32])
u, s, vh = pg.svd(x)
assert_type(vh, pg.Node[np.float64])

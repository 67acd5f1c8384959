"""Misuses of numpy's linear algebra as puregrad functions that mypy --strict must reject,
one per line."""

from __future__ import annotations

import numpy as np

import puregrad as pg

x = pg.variable(np.eye(3))
y = pg.variable(np.eye(3, dtype=np.float32))
k = pg.constant(np.ones((3, 3), np.int64))
single: pg.Node[np.float32]

pg.inv(k)  # type: ignore[type-var]
pg.det(k)  # type: ignore[type-var]
pg.cholesky(k)  # type: ignore[type-var]
pg.norm(k)  # type: ignore[type-var]
single = pg.det(x)  # type: ignore[arg-type]
pg.solve(x, y)  # type: ignore[misc]
pg.dot(x, y)  # type: ignore[misc]
pg.einsum("ij,jk", x, y)  # type: ignore[misc]
pg.einsum(1, x)  # type: ignore[call-overload]
pg.einsum("ii", [[1.0]])  # type: ignore[call-overload]
pg.slogdet(x).sign.value  # type: ignore[attr-defined]
pg.svd(x, compute_uv=False).U  # type: ignore[attr-defined]
pg.eigh(x, "X")  # type: ignore[arg-type]
pg.eigh(x).values  # type: ignore[attr-defined]
pg.norm(x, "max")  # type: ignore[arg-type]
pg.norm(x, axis=[0, 1])  # type: ignore[arg-type]
pg.norm(x, 2, (0, 1, 2))  # type: ignore[arg-type]
pg.tensordot(x, x, axes="ij")  # type: ignore[arg-type]
pg.cholesky(x, True)  # type: ignore[call-arg]
pg.vector_norm(x, 0)  # type: ignore[call-arg]
pg.matrix_norm(x, ord="max")  # type: ignore[arg-type]
pg.svdvals(k)  # type: ignore[type-var]

"""Misuses of numpy on nodes (issue 8) that mypy --strict must reject, one per line."""

from __future__ import annotations

import numpy as np

import puregrad as pg

x = pg.variable(np.ones((2, 3)))
y = pg.variable(np.ones((2, 3), np.float32))
k = pg.constant(np.arange(6).reshape(2, 3))

# Unary
pg.tan(k)  # type: ignore[type-var]
pg.log1p([1.0, 2.0])  # type: ignore[call-overload]
pg.arcsin(x, out=x)  # type: ignore[call-overload]
pg.round(x, 1.5)  # type: ignore[call-overload]
a: pg.Node[np.float32] = pg.abs(x)  # type: ignore[arg-type]

# Binary
pg.maximum(x, y)  # type: ignore[misc]
pg.hypot(k, k)  # type: ignore[type-var]
pg.logaddexp(x, "1")  # type: ignore[call-overload]
pg.where([True, False], x, x)  # type: ignore[call-overload]
pg.where(x, x, x)  # type: ignore[arg-type]
pg.where(np.ones(3, bool), x, y)  # type: ignore[misc]

# Reductions
pg.var(k)  # type: ignore[type-var]
pg.std(x, 0, 1)  # type: ignore[call-overload]
pg.var(x, ddof=1.5)  # type: ignore[call-overload]
pg.logsumexp(k)  # type: ignore[type-var]
pg.cumsum(x, axis=(0, 1))  # type: ignore[call-overload]
pg.prod(x, axis="rows")  # type: ignore[call-overload]
pg.argmax(x, axis=(0, 1))  # type: ignore[arg-type]
b: pg.Node[np.float64] = pg.argmax(x)  # type: ignore[assignment]

# Shape
pg.stack([x, y])  # type: ignore[arg-type]
pg.stack(x)  # type: ignore[call-overload]
pg.squeeze(x, axis=[0])  # type: ignore[arg-type]
pg.flip(x, 1.0)  # type: ignore[arg-type]
pg.tile(x, 2.0)  # type: ignore[arg-type]
pg.take(x, [0.5])  # type: ignore[list-item]
pg.take(x, [0], mode="fill")  # type: ignore[arg-type]
pg.take_along_axis(x, [[0]])  # type: ignore[arg-type]
pg.pad(x, 1, mode="reflect")  # type: ignore[arg-type]
pg.pad(x, 1.5)  # type: ignore[arg-type]
pg.ravel(x, order="F")  # type: ignore[call-arg]
pg.diagonal(x, 0, 0.0)  # type: ignore[arg-type]
c: pg.Node[np.float32] = pg.trace(x)  # type: ignore[arg-type]

"""Misuses of the elementwise, shape and reduction ops that mypy --strict must reject, one
per line."""

from __future__ import annotations

import numpy as np

import puregrad as pg

x = pg.variable(np.ones((2, 3)))
y = pg.variable(np.ones((2, 3), np.float32))
k = pg.constant(np.arange(6))

pg.sin(k)  # type: ignore[type-var]
pg.sigmoid(k)  # type: ignore[type-var]
pg.sqrt([1.0, 4.0])  # type: ignore[call-overload]
pg.tanh(x, confg=None)  # type: ignore[call-overload]
pg.mean(k)  # type: ignore[type-var]
pg.max(x, axis="rows")  # type: ignore[call-overload]
pg.min(x, axis=[0, 1])  # type: ignore[call-overload]
x.sum(axis=1.0)  # type: ignore[arg-type]
pg.transpose(x, "ab")  # type: ignore[arg-type]
x.transpose(1.0)  # type: ignore[call-overload]
x.reshape(2.0, 3)  # type: ignore[call-overload]
x.reshape([2, 3])  # type: ignore[call-overload]
x[1.5]  # type: ignore[index]
x["a"]  # type: ignore[index]
x[x]  # type: ignore[index]
pg.get_item(x, 0.5)  # type: ignore[arg-type]
pg.concat([x, y])  # type: ignore[arg-type]
pg.concat(x)  # type: ignore[call-overload]
pg.concat([x, x], axis=None)  # type: ignore[call-overload]
pg.split(x, 2.0)  # type: ignore[arg-type]
pg.split(x, 2, axis=(0,))  # type: ignore[arg-type]
x.T = x  # type: ignore[misc]
a: pg.Node[np.float32] = pg.sin(x)  # type: ignore[arg-type]
b: pg.Node[np.float32] = x.max()  # type: ignore[assignment]
c: tuple[pg.Node[np.float32], ...] = pg.split(x, 3)  # type: ignore[arg-type]

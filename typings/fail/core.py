"""Misuses of the core API that mypy --strict must reject, one per line."""

from __future__ import annotations

import numpy as np

import puregrad as pg

x = pg.variable(np.ones(3))
y = pg.variable(np.ones(3, np.float32))
cfg = pg.Config()
grads = pg.backward(pg.sum(x))

pg.Config(enable_backprp=False)  # type: ignore[call-arg]
pg.Config(True)  # type: ignore[call-arg]
pg.square(x, confg=cfg)  # type: ignore[call-overload]
x.value = np.zeros(3)  # type: ignore[misc]
x.name = "renamed"  # type: ignore[misc]
cfg.retain_grad = True  # type: ignore[misc]
pg.variable([1.0, 2.0])  # type: ignore[call-overload]
pg.constant("text")  # type: ignore[call-overload]
pg.variable(None)  # type: ignore[call-overload]
pg.add(x, y)  # type: ignore[misc]
x + y  # type: ignore[operator]
pg.mul(x, [1.0, 2.0])  # type: ignore[call-overload]
grads[x] = x  # type: ignore[index]
pg.backward(x, cfg, np.ones(3))  # type: ignore[call-arg]
pg.backward(x, retain_grad=True)  # type: ignore[call-arg]
pg.using_config(enable_backprop=False)  # type: ignore[call-arg]
pg.sum(x, axis="rows")  # type: ignore[call-overload]
pg.exp(pg.constant(np.arange(3)))  # type: ignore[type-var]

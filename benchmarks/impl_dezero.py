"""DeZero 0.0.13 (the design puregrad redesigns): `Variable`, its functions, `y.backward()`.

DeZero 0.0.13 still uses `np.int`, removed in numpy 1.24, and imports matplotlib at import
time: this module restores the alias in its own worker process (nowhere else), and the
framework is skipped when matplotlib is missing.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from benchmarks.spec import CHAIN_ADD, CHAIN_MUL, CHAIN_X, CNNData, MLPData, fan_in_constants

if "int" not in np.__dict__:
    setattr(np, "int", int)  # DeZero's transforms module reads np.int at import time
dezero: Any = importlib.import_module("dezero")  # optional and untyped
F: Any = importlib.import_module("dezero.functions")

NAME: Final = "DeZero"
VERSION: Final = importlib.metadata.version("dezero")

Array = NDArray[np.float64]


def chain_forward(triples: int) -> tuple[Any, Any]:
    x = dezero.Variable(np.array(CHAIN_X))
    y = x
    for _ in range(triples):
        y = F.sin(y)
        y = y * CHAIN_MUL
        y = y + CHAIN_ADD
    return x, y


def chain_backward(state: tuple[Any, Any]) -> float:
    x, y = state
    y.backward()
    return float(x.grad.data)


def chain_backward_create_graph(state: tuple[Any, Any]) -> float:
    x, y = state
    y.backward(create_graph=True)
    return float(x.grad.data)


def chain_forward_no_grad(triples: int) -> Any:
    with dezero.no_grad():
        _, y = chain_forward(triples)
    return y


def fan_in_forward(n: int) -> tuple[Any, Any]:
    x = dezero.Variable(np.array(CHAIN_X))
    constants = fan_in_constants(n)
    y = x * constants[0]
    for c in constants[1:]:
        y = y + x * c
    return x, y


def fan_in_backward(state: tuple[Any, Any]) -> float:
    x, y = state
    y.backward()
    return float(x.grad.data)


def sin_forward(x: Array, depth: int) -> tuple[Any, Any]:
    xv = dezero.Variable(x)
    y = xv
    for _ in range(depth):
        y = F.sin(y)
    return xv, y


def sin_backward(state: tuple[Any, Any]) -> Any:
    x, y = state
    y.backward()
    return x.grad


def mlp_step(data: MLPData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    x, t = data.x, data.t
    params = tuple(dezero.Variable(a) for a in (data.w1, data.b1, data.w2, data.b2))
    w1, b1, w2, b2 = params

    def step() -> tuple[Any, tuple[Any, ...]]:
        for p in params:
            p.cleargrad()
        h = F.relu(F.matmul(x, w1) + b1)
        loss = F.softmax_cross_entropy(F.matmul(h, w2) + b2, t)
        loss.backward()
        return loss, tuple(p.grad for p in params)

    def check(result: tuple[Any, tuple[Any, ...]]) -> list[float]:
        loss, grads = result
        return [float(loss.data), *(float(g.data.sum()) for g in grads)]

    return step, check


def cnn_step(data: CNNData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    x, t = data.x, data.t
    params = tuple(dezero.Variable(a) for a in (data.w1, data.b1, data.w2, data.b2, data.w3, data.b3))
    w1, b1, w2, b2, w3, b3 = params
    n = len(t)

    def step() -> tuple[Any, tuple[Any, ...]]:
        for p in params:
            p.cleargrad()
        h = F.pooling(F.relu(F.conv2d(x, w1, b1, stride=1, pad=1)), 2, 2)
        h = F.pooling(F.relu(F.conv2d(h, w2, b2, stride=1, pad=1)), 2, 2)
        loss = F.softmax_cross_entropy(F.linear(F.reshape(h, (n, 784)), w3, b3), t)
        loss.backward()
        return loss, tuple(p.grad for p in params)

    def check(result: tuple[Any, tuple[Any, ...]]) -> list[float]:
        loss, grads = result
        return [float(loss.data), *(float(g.data.sum()) for g in grads)]

    return step, check

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

from benchmarks.spec import CHAIN_ADD, CHAIN_MUL, CHAIN_X, CNNData, LSTMData, MLPData, fan_in_constants

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


def lstm_step(data: LSTMData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    """DeZero's own `dezero.layers.LSTM` (eight `Linear` layers, one per gate and side) step
    by step, as its step 60 does: a linear head and the mean squared error at every step,
    averaged over the steps; its weights are set from the gate blocks of W_x, W_h and b."""
    H = data.hidden
    lstm = dezero.layers.LSTM(H, in_size=1)
    blocks = {"i": 0, "f": 1, "u": 2, "o": 3}  # PyTorch's gate order; DeZero calls g "u"
    for gate, k in blocks.items():
        cols = slice(k * H, (k + 1) * H)
        x_side, h_side = getattr(lstm, f"x2{gate}"), getattr(lstm, f"h2{gate}")
        x_side.W.data = np.array(data.w_x[:, cols])
        x_side.b.data = np.array(data.b[cols])
        h_side.W.data = np.array(data.w_h[:, cols])
    w_o, b_o = dezero.Variable(np.array(data.w_o)), dezero.Variable(np.array(data.b_o))
    params = [*lstm.params(), w_o, b_o]
    steps = len(data.x)

    def step() -> tuple[Any, Any]:
        for p in params:
            p.cleargrad()
        lstm.reset_state()
        loss: Any = 0
        for x_k, t_k in zip(data.x, data.t):
            loss = loss + F.mean_squared_error(F.linear(lstm(x_k), w_o, b_o), t_k)
        loss = loss / steps
        loss.backward()
        return loss, lstm

    def check(result: tuple[Any, Any]) -> list[float]:
        loss, layer = result
        g_wx = sum(float(getattr(layer, f"x2{g}").W.grad.data.sum()) for g in blocks)
        g_wh = sum(float(getattr(layer, f"h2{g}").W.grad.data.sum()) for g in blocks)
        g_b = sum(float(getattr(layer, f"x2{g}").b.grad.data.sum()) for g in blocks)
        return [float(loss.data), g_wx, g_wh, g_b, float(w_o.grad.data.sum()), float(b_o.grad.data.sum())]

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

"""puregrad: the workloads as a user writes them (operators, `pg.linear`, `pg.backward`)."""

from __future__ import annotations

import importlib.metadata
from typing import Any, Callable, Final

import numpy as np
from numpy.typing import NDArray

import puregrad as pg
from benchmarks.spec import CHAIN_ADD, CHAIN_MUL, CHAIN_X, CNNData, LSTMData, MLPData, fan_in_constants

NAME: Final = "puregrad"
VERSION: Final = importlib.metadata.version("puregrad")
NOTES: Final[list[str]] = []

Array = NDArray[np.float64]
sin: Final = pg.sin


def chain_forward(triples: int) -> tuple[pg.Node[np.float64], pg.Node[np.float64]]:
    x = pg.variable(CHAIN_X)
    y = x
    for _ in range(triples):
        y = sin(y)
        y = y * CHAIN_MUL
        y = y + CHAIN_ADD
    return x, y


def chain_backward(state: tuple[pg.Node[np.float64], pg.Node[np.float64]]) -> float:
    x, y = state
    return float(pg.backward(y)[x].value)


_CREATE_GRAPH: Final = pg.Config(create_graph=True)


def chain_backward_create_graph(state: tuple[pg.Node[np.float64], pg.Node[np.float64]]) -> float:
    x, y = state
    return float(pg.backward(y, _CREATE_GRAPH)[x].value)


def chain_forward_no_grad(triples: int) -> pg.Node[np.float64]:
    with pg.no_grad():
        _, y = chain_forward(triples)
    return y


def fan_in_forward(n: int) -> tuple[pg.Node[np.float64], pg.Node[np.float64]]:
    x = pg.variable(CHAIN_X)
    constants = fan_in_constants(n)
    y = x * constants[0]
    for c in constants[1:]:
        y = y + x * c
    return x, y


def fan_in_backward(state: tuple[pg.Node[np.float64], pg.Node[np.float64]]) -> float:
    x, y = state
    return float(pg.backward(y)[x].value)


def sin_forward(x: Array, depth: int) -> tuple[pg.Node[np.float64], pg.Node[np.float64]]:
    xv = pg.variable(x)  # read-only: not copied
    y = xv
    for _ in range(depth):
        y = sin(y)
    return xv, y


def sin_backward(state: tuple[pg.Node[np.float64], pg.Node[np.float64]]) -> pg.Node[np.float64]:
    x, y = state
    return pg.backward(y)[x]


def mlp_step(data: MLPData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    x = pg.constant(data.x)
    params = tuple(pg.variable(a) for a in (data.w1, data.b1, data.w2, data.b2))
    w1, b1, w2, b2 = params

    def step() -> tuple[pg.Node[np.float64], tuple[pg.Node[np.float64], ...]]:
        h = pg.relu(pg.linear(x, w1, b1))
        loss = pg.softmax_cross_entropy(pg.linear(h, w2, b2), data.t)
        grads = pg.backward(loss)
        return loss, tuple(grads[p] for p in params)

    def check(result: tuple[pg.Node[np.float64], tuple[pg.Node[np.float64], ...]]) -> list[float]:
        loss, grads = result
        return [float(loss.value), *(float(g.value.sum()) for g in grads)]

    return step, check


def lstm_step(data: LSTMData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    """`pg.LSTM.scan` over the window (one matmul for its input projection, then per step one op:
    a matmul over the four gates and the gate arithmetic), a linear head on every step (one
    `pg.linear` over the stacked outputs), the mean squared error."""
    layer = pg.LSTM(1, data.hidden)
    x, t = data.x, data.t
    w_x, w_h, b, w_o, b_o = (pg.variable(a) for a in (data.w_x, data.w_h, data.b, data.w_o, data.b_o))
    params = pg.LSTMParams(w_x, w_h, b)
    variables = (w_x, w_h, b, w_o, b_o)

    def step() -> tuple[pg.Node[np.float64], tuple[pg.Node[np.float64], ...]]:
        hs, _ = layer.scan(params, x)
        loss = pg.mean_squared_error(pg.linear(hs, w_o, b_o), t)
        grads = pg.backward(loss)
        return loss, tuple(grads[v] for v in variables)

    def check(result: tuple[pg.Node[np.float64], tuple[pg.Node[np.float64], ...]]) -> list[float]:
        loss, grads = result
        return [float(loss.value), *(float(g.value.sum()) for g in grads)]

    return step, check


def cnn_step(data: CNNData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    x = pg.constant(data.x)
    params = tuple(pg.variable(a) for a in (data.w1, data.b1, data.w2, data.b2, data.w3, data.b3))
    w1, b1, w2, b2, w3, b3 = params
    n = len(data.t)

    def step() -> tuple[pg.Node[np.float64], tuple[pg.Node[np.float64], ...]]:
        h = pg.max_pool2d(pg.relu(pg.conv2d(x, w1, b1, pad=1)), 2)
        h = pg.max_pool2d(pg.relu(pg.conv2d(h, w2, b2, pad=1)), 2)
        loss = pg.softmax_cross_entropy(pg.linear(pg.reshape(h, (n, 784)), w3, b3), data.t)
        grads = pg.backward(loss)
        return loss, tuple(grads[p] for p in params)

    def check(result: tuple[pg.Node[np.float64], tuple[pg.Node[np.float64], ...]]) -> list[float]:
        loss, grads = result
        return [float(loss.value), *(float(g.value.sum()) for g in grads)]

    return step, check

"""HIPS autograd: the workloads as functions traced by `make_vjp` (the forward is the trace,
the backward is the returned VJP applied to the seed). It has no `create_graph` switch: that
row is left out."""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from benchmarks.spec import CHAIN_ADD, CHAIN_MUL, CHAIN_X, MLPData, fan_in_constants

autograd: Any = importlib.import_module("autograd")  # optional and untyped
anp: Any = importlib.import_module("autograd.numpy")

NAME: Final = "HIPS autograd"
VERSION: Final = importlib.metadata.version("autograd")

Array = NDArray[np.float64]


def _chain(triples: int) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        y = x
        for _ in range(triples):
            y = anp.sin(y)
            y = y * CHAIN_MUL
            y = y + CHAIN_ADD
        return y

    return f


def chain_forward(triples: int) -> Any:
    vjp, _ = autograd.make_vjp(_chain(triples))(np.float64(CHAIN_X))
    return vjp


def chain_backward(vjp: Any) -> float:
    return float(vjp(1.0))


def chain_forward_no_grad(triples: int) -> Any:
    return _chain(triples)(np.float64(CHAIN_X))


def fan_in_forward(n: int) -> Any:
    constants = fan_in_constants(n)

    def f(x: Any) -> Any:
        y = x * constants[0]
        for c in constants[1:]:
            y = y + x * c
        return y

    vjp, _ = autograd.make_vjp(f)(np.float64(CHAIN_X))
    return vjp


def fan_in_backward(vjp: Any) -> float:
    return float(vjp(1.0))


def sin_forward(x: Array, depth: int) -> Any:
    def f(x: Any) -> Any:
        y = x
        for _ in range(depth):
            y = anp.sin(y)
        return y

    vjp, y = autograd.make_vjp(f)(x)
    return vjp, y.shape


def sin_backward(state: tuple[Any, tuple[int, ...]]) -> Any:
    vjp, shape = state
    return vjp(np.ones(shape))


def mlp_step(data: MLPData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    x, t = data.x, data.t
    rows = np.arange(len(t))

    def loss(params: tuple[Any, ...]) -> Any:
        w1, b1, w2, b2 = params
        h = anp.maximum(anp.dot(x, w1) + b1, 0.0)
        logits = anp.dot(h, w2) + b2
        shifted = logits - anp.max(logits, axis=1, keepdims=True)
        log_p = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.mean(log_p[rows, t])

    params = (data.w1, data.b1, data.w2, data.b2)
    make = autograd.make_vjp(loss)

    def step() -> tuple[Any, Any]:
        vjp, value = make(params)
        return value, vjp(1.0)

    def check(result: tuple[Any, Any]) -> list[float]:
        value, grads = result
        return [float(value), *(float(g.sum()) for g in grads)]

    return step, check

"""numpy by hand: each workload's forward and its gradient written out directly, keeping only
what the gradient needs. The limit every framework is measured against."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from benchmarks.spec import CHAIN_ADD, CHAIN_MUL, CHAIN_X, MLPData, fan_in_constants

NAME: Final = "numpy by hand"
VERSION: Final = np.__version__

Array = NDArray[np.float64]


def chain_forward(triples: int) -> list[np.float64]:
    """sin, * c, + c repeated on a 0-d value; keeps each sin's input (all backward needs)."""
    y = np.float64(CHAIN_X)
    kept = []
    for _ in range(triples):
        kept.append(y)
        y = np.sin(y)
        y = y * CHAIN_MUL
        y = y + CHAIN_ADD
    return kept


def chain_backward(kept: list[np.float64]) -> float:
    g = np.float64(1.0)
    for x in reversed(kept):
        g = g * CHAIN_MUL
        g = g * np.cos(x)
    return float(g)


def chain_forward_no_grad(triples: int) -> np.float64:
    y = np.float64(CHAIN_X)
    for _ in range(triples):
        y = np.sin(y)
        y = y * CHAIN_MUL
        y = y + CHAIN_ADD
    return y


def fan_in_forward(n: int) -> list[float]:
    """y = x * 1 + x * 2 + ... + x * n; backward needs only the constants."""
    x = np.float64(CHAIN_X)
    constants = fan_in_constants(n)
    y = x * constants[0]
    for c in constants[1:]:
        y = y + x * c
    return constants


def fan_in_backward(constants: list[float]) -> float:
    gy = np.float64(1.0)
    gx = np.float64(0.0)
    for c in constants:
        gx = gx + gy * c
    return float(gx)


def sin_forward(x: Array, depth: int) -> list[Array]:
    """`depth` x sin on a large array, keeping each sin's input."""
    kept = []
    y = x
    for _ in range(depth):
        kept.append(y)
        y = np.sin(y)
    return kept


def sin_backward(kept: list[Array]) -> Array:
    g = np.ones_like(kept[-1])
    for x in reversed(kept):
        g *= np.cos(x)  # in place: the buffer is ours
    return g


def mlp_step(data: MLPData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    """One forward and backward of relu(x @ W1 + b1) @ W2 + b2 under softmax cross entropy."""
    x, t = data.x, data.t
    rows = np.arange(len(t))

    def step() -> tuple[float, tuple[Array, ...]]:
        h_in = x @ data.w1 + data.b1
        h = np.maximum(h_in, 0.0)
        logits = h @ data.w2 + data.b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        loss = -np.mean(shifted[rows, t] - np.log(s[:, 0]))
        g = e / s
        g[rows, t] -= 1.0
        g /= len(t)
        gw2 = h.T @ g
        gb2 = g.sum(axis=0)
        gh = g @ data.w2.T
        gh[h_in <= 0.0] = 0.0
        gw1 = x.T @ gh
        gb1 = gh.sum(axis=0)
        return float(loss), (gw1, gb1, gw2, gb2)

    def check(result: tuple[float, tuple[Array, ...]]) -> list[float]:
        loss, grads = result
        return [loss, *(float(g.sum()) for g in grads)]

    return step, check

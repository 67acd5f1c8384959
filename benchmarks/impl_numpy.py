"""numpy by hand: each workload's forward and its gradient written out directly, keeping only
what the gradient needs. The limit every framework is measured against."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from benchmarks.spec import CHAIN_ADD, CHAIN_MUL, CHAIN_X, MLPData, fan_in_constants
from benchmarks.spec import LSTMData  # the lstm workload

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


def lstm_step(data: LSTMData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    """An LSTM over the window (zero initial state), a linear head on every step, the mean
    squared error; the forward keeps a tape of what the backward needs, the backward is
    written out, with the weight gradients of all steps as one matmul each."""
    x, t, w_x, w_h, b, w_o, b_o = data.x, data.t, data.w_x, data.w_h, data.b, data.w_o, data.b_o
    steps, batch, _ = x.shape
    H = data.hidden

    def step() -> tuple[float, tuple[Array, ...]]:
        xw = (x.reshape(steps * batch, -1) @ w_x + b).reshape(steps, batch, 4 * H)
        hs = np.zeros((steps + 1, batch, H))  # hs[k] is the state before step k
        cs = np.zeros((steps + 1, batch, H))
        gates = np.empty((steps, batch, 4 * H))
        tanh_cs = np.empty((steps, batch, H))
        for k in range(steps):
            z = xw[k] + hs[k] @ w_h
            a = gates[k]
            np.tanh(z[:, 2 * H : 3 * H], out=a[:, 2 * H : 3 * H])
            s = 1 / (1 + np.exp(-z[:, :2 * H]))
            a[:, : 2 * H] = s
            a[:, 3 * H :] = 1 / (1 + np.exp(-z[:, 3 * H :]))
            cs[k + 1] = a[:, H : 2 * H] * cs[k] + a[:, :H] * a[:, 2 * H : 3 * H]
            np.tanh(cs[k + 1], out=tanh_cs[k])
            hs[k + 1] = a[:, 3 * H :] * tanh_cs[k]
        y = hs[1:] @ w_o + b_o
        d = y - t
        loss = float(np.mean(d * d))

        gy = d * (2.0 / d.size)
        g_wo = hs[1:].reshape(-1, H).T @ gy.reshape(-1, 1)
        g_bo = gy.sum(axis=(0, 1))
        g_hs = gy @ w_o.T
        dz = np.empty((steps, batch, 4 * H))
        dh_next = np.zeros((batch, H))
        dc_next = np.zeros((batch, H))
        for k in reversed(range(steps)):
            a = gates[k]
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            tc = tanh_cs[k]
            dh = g_hs[k] + dh_next
            dc = dc_next + dh * o * (1 - tc * tc)
            d_k = dz[k]
            d_k[:, :H] = dc * g * i * (1 - i)
            d_k[:, H : 2 * H] = dc * cs[k] * f * (1 - f)
            d_k[:, 2 * H : 3 * H] = dc * i * (1 - g * g)
            d_k[:, 3 * H :] = dh * tc * o * (1 - o)
            dc_next = dc * f
            dh_next = d_k @ w_h.T
        flat = dz.reshape(-1, 4 * H)
        g_wh = hs[:-1].reshape(-1, H).T @ flat
        g_wx = x.reshape(steps * batch, -1).T @ flat
        g_b = flat.sum(axis=0)
        return loss, (g_wx, g_wh, g_b, g_wo, g_bo)

    def check(result: tuple[float, tuple[Array, ...]]) -> list[float]:
        loss, grads = result
        return [loss, *(float(g.sum()) for g in grads)]

    return step, check

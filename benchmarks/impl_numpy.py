"""numpy by hand: each workload's forward and its gradient written out directly, keeping only
what the gradient needs. The limit every framework is measured against."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from benchmarks.spec import CHAIN_ADD, CHAIN_MUL, CHAIN_X, CNNData, LSTMData, MLPData, fan_in_constants

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


# The CNN, channels-last: an image batch is (N, H, W, C) throughout, so a convolution's
# columns are one copy of a sliding-window view and one matmul, a 2x2 pool reads four strided
# slices, and the input gradient is summed back tap by tap (one small matmul per tap, added
# into the image: no column buffer for it). Bias gradients are matrix-vector products.


def _columns(xp: Array, k: int) -> Array:
    """(N, H + k - 1, W + k - 1, C) padded -> columns (N H W, k k C), one copy. With one
    channel a window row is 3 floats, too short a run to copy fast: the copy is made
    tap-major, (k k, N H W), and handed out transposed (5x faster; matmul reads either)."""
    n, hp, wp, c = xp.shape
    windows = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))
    rows = n * (hp - k + 1) * (wp - k + 1)
    if c == 1:
        return windows.transpose(4, 5, 3, 0, 1, 2).reshape(k * k, rows).T
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(rows, k * k * c)


def _pad1(x: Array) -> Array:
    n, h, w, c = x.shape
    xp = np.zeros((n, h + 2, w + 2, c))
    xp[:, 1:-1, 1:-1, :] = x
    return xp


def _col2im(g: Array, taps: Array, shape: tuple[int, ...]) -> Array:
    """The input gradient of a 3x3, pad-1 convolution from its output gradient `g`
    (N H W, OC) and the weights as taps (3, 3, OC, C): each tap's product added in place."""
    n, h, w, c = shape
    gp = np.zeros((n, h + 2, w + 2, c))
    for i in range(3):
        for j in range(3):
            gp[:, i : i + h, j : j + w, :] += (g @ taps[i, j]).reshape(n, h, w, c)
    return gp[:, 1:-1, 1:-1, :]


def _pool(x: Array) -> tuple[Array, list[Array]]:
    """2x2 max-pool of (N, H, W, C), and the mask of the maxima for each of the four places
    (ties only where the relu before it gave zeros, whose gradient it stops anyway)."""
    quarters = [x[:, i::2, j::2, :] for i in (0, 1) for j in (0, 1)]
    y = np.maximum(quarters[0], quarters[1])
    np.maximum(y, quarters[2], out=y)
    np.maximum(y, quarters[3], out=y)
    return y, [q == y for q in quarters]


def _unpool(g: Array, masks: list[Array], shape: tuple[int, ...]) -> Array:
    gx = np.empty(shape)
    for (i, j), mask in zip(((0, 0), (0, 1), (1, 0), (1, 1)), masks):
        np.multiply(g, mask, out=gx[:, i::2, j::2, :])
    return gx


def cnn_step(data: CNNData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    """conv, relu, pool, conv, relu, pool, linear, softmax cross entropy; backward by hand."""
    x = np.ascontiguousarray(data.x.transpose(0, 2, 3, 1))
    t = data.t
    n = len(t)
    rows = np.arange(n)
    # Weights as the column layout wants them, once: (OC, KH KW C), the taps (KH, KW, OC,
    # C), and the linear layer's rows in (H, W, C) order for the channels-last flatten.
    w1 = np.ascontiguousarray(data.w1.transpose(0, 2, 3, 1).reshape(8, -1))
    w2 = np.ascontiguousarray(data.w2.transpose(0, 2, 3, 1).reshape(16, -1))
    taps2 = np.ascontiguousarray(data.w2.transpose(2, 3, 0, 1))
    w3 = np.ascontiguousarray(data.w3.reshape(16, 7, 7, 10).transpose(1, 2, 0, 3).reshape(784, 10))
    ones1 = np.ones(n * 784)
    ones2 = np.ones(n * 196)

    def step() -> tuple[float, tuple[Array, ...], tuple[Any, ...]]:
        col1 = _columns(_pad1(x), 3)
        h1 = col1 @ w1.T
        h1 += data.b1
        r1 = np.maximum(h1, 0.0).reshape(n, 28, 28, 8)
        p1, m1 = _pool(r1)
        col2 = _columns(_pad1(p1), 3)
        h2 = col2 @ w2.T
        h2 += data.b2
        r2 = np.maximum(h2, 0.0).reshape(n, 14, 14, 16)
        p2, m2 = _pool(r2)
        flat = p2.reshape(n, 784)
        logits = flat @ w3 + data.b3
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        loss = -np.mean(shifted[rows, t] - np.log(s[:, 0]))
        g = e / s
        g[rows, t] -= 1.0
        g /= n
        gw3 = flat.T @ g
        gb3 = g.sum(axis=0)
        gh2 = _unpool((g @ w3.T).reshape(n, 7, 7, 16), m2, r2.shape).reshape(n * 196, 16)
        gh2 *= h2 > 0.0
        gw2 = gh2.T @ col2
        gb2 = ones2 @ gh2
        gp1 = _col2im(gh2, taps2, (n, 14, 14, 8))
        gh1 = _unpool(gp1, m1, r1.shape).reshape(n * 784, 8)
        gh1 *= h1 > 0.0
        gw1 = gh1.T @ col1
        gb1 = ones1 @ gh1
        # What the forward kept goes back with the result, so it is freed when the caller
        # drops it, after the timer, as a framework's graph is (freeing ~20 MB of arrays
        # inside the step cost numpy by hand ~20% more than any framework paid).
        kept = (col1, h1, r1, p1, m1, col2, h2, r2, p2, m2, flat, logits)
        return float(loss), (gw1, gb1, gw2, gb2, gw3, gb3), kept

    def check(result: tuple[float, tuple[Array, ...], tuple[Any, ...]]) -> list[float]:
        loss, grads, _ = result
        return [loss, *(float(g.sum()) for g in grads)]

    return step, check

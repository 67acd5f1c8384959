"""The ops behind the recurrent layers: the LSTM step as two ops, and a window cut into its
steps and stacked back.

An LSTM step is `z = h W_h + xw` (`Recurrence`: one matmul over the four concatenated gates,
`xw = x W_x + b` coming from one matmul over the whole window, cut by `Unstack`), then
`LSTMCell` maps `(z, c)` to `h'` and `c'` in one op instead of a dozen elementwise nodes. Its
output packs what its rule needs (the gates and `tanh(c')`), since a rule sees only its
op's inputs and output; `UnpackState` hands out `h'` and `c'`.

Every rule is written with numpy functions and ops, so it runs on arrays in a plain backward
and on nodes under `create_graph` (the LSTM differentiates again). `LSTMCell` adds an
in-place path for arrays, its hot spot, which the tests hold to the general one.
"""

from __future__ import annotations

from typing import Any, Final

import attrs
import numpy as np

from puregrad.node import shape_of
from puregrad.op import Array, MultiOp, Op
from puregrad.ops.shape import Concat, GetItem

__all__ = ["LSTMCell", "LSTMStep", "LSTM_STEP", "Recurrence", "RECURRENCE", "Stack", "UnpackState", "Unstack", "LSTM_CELL", "STACK"]


def _masks(a: Any) -> tuple[Any, Any]:
    """Per column of the gates `a` `(N, 4H)` (i, f, g, o): 1 on the sigmoid gates and 0 on g,
    and the reverse, in `a`'s dtype."""
    hidden = shape_of(a)[-1] // 4
    sigmoid_columns = np.ones(4 * hidden, a.dtype)
    sigmoid_columns[2 * hidden : 3 * hidden] = 0
    return sigmoid_columns, 1 - sigmoid_columns


def _activations(z: Any, hidden: int, out: Any) -> None:
    """The gates from their pre-activations `z` `(N, 4H)`, written into `out`: sigmoid on
    i, f, o and tanh on g. Call it with overflow warnings off (`e^-z` is inf for very
    negative `z`, where the sigmoid is exactly 0).

    One exp over the whole array (numpy's exp is the cost here, and several times cheaper
    than its tanh): `sigmoid(z) = 1 / (1 + e^-z)`, and `tanh(z) = 2 sigmoid(2 z) - 1` on g."""
    np.negative(z, out=out)
    out[:, 2 * hidden : 3 * hidden] *= 2
    np.exp(out, out=out)
    out += 1
    np.divide(1, out, out=out)
    cell = out[:, 2 * hidden : 3 * hidden]
    cell *= 2
    cell -= 1


def _tanh(x: Any, out: Any) -> None:
    """`tanh(x)` into `out`, as `2 / (1 + e^(-2x)) - 1` (numpy's exp is several times
    faster than its tanh), with overflow warnings off (the limits are then exact). Its
    error is a few ulps of 1 in absolute terms (relatively more for `x` near 0)."""
    np.multiply(x, -2, out=out)
    np.exp(out, out=out)
    out += 1
    np.divide(2, out, out=out)
    out -= 1


@attrs.frozen
class Recurrence(Op):
    """`h W + xw`: a step's recurrent matmul added to its input projection `xw` (the
    gates of every step come from one matmul over the window). As `linear(h, W, xw)`, with
    no broadcasting to check or undo, for the loop's hot path."""

    name = "recurrence"

    def forward(self, *xs: Any) -> Any:
        h, W, xw = xs
        if np.ndim(h) != 2 or np.shape(xw) != (np.shape(h)[0], np.shape(W)[-1]):
            raise ValueError(
                f"recurrence: h of shape {np.shape(h)}, W of shape {np.shape(W)} and xw of "
                f"shape {np.shape(xw)} do not fit (h W + xw)"
            )
        y = np.matmul(h, W)
        y += xw
        return y

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        if i == 0:
            return gy @ xs[1].T
        if i == 1:
            return xs[0].T @ gy
        return gy


RECURRENCE: Final = Recurrence()


@attrs.frozen
class LSTMCell(Op):
    """One LSTM step after its matmul, PyTorch's `LSTMCell` equations: from the gates'
    pre-activations `z` `(N, 4H)` (order i, f, g, o) and the cell `c` `(N, H)`,

        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_g)
        c' = f c + i g;  h' = o tanh(c')

    Its output packs everything its rule needs into one flat array of `7 N H` values:
    `h'`, `c'` and `tanh(c')` (each `(N, H)`, row-major), then the gates `(N, 4H)`, each
    block contiguous (numpy is several times slower on strided blocks). So the backward
    recomputes nothing; `UnpackState` hands out `h'` and `c'`. The rule is written for a
    gradient on every block, so the op is correct whoever consumes it."""

    name = "lstm_cell"

    def forward(self, *xs: Any) -> Any:
        z, c = xs
        hidden = _hidden(z, c)
        n = len(c)
        size = n * hidden
        packed = np.empty(7 * size, np.result_type(z, c))
        h_new, c_new, tanh_c = (packed[k * size : (k + 1) * size].reshape(n, hidden) for k in range(3))
        a = packed[3 * size :].reshape(n, 4 * hidden)
        with np.errstate(over="ignore"):  # saturated gates: exact limits, no warning
            _activations(z, hidden, a)
            np.multiply(a[:, hidden : 2 * hidden], c, out=c_new)
            c_new += a[:, :hidden] * a[:, 2 * hidden : 3 * hidden]
            _tanh(c_new, tanh_c)
        np.multiply(a[:, 3 * hidden :], tanh_c, out=h_new)
        return packed

    joint = True  # both gradients start from the same d_c: computed once per step

    def vjps(
        self, gy: Array, xs: tuple[Array, ...], y: Array, needed: tuple[bool, ...]
    ) -> tuple[Array, ...]:
        c = xs[1]
        if type(gy) is np.ndarray and type(y) is np.ndarray and type(c) is np.ndarray:
            return _lstm_cell_vjps_arrays(gy, c, y, needed)
        return super().vjps(gy, xs, y, needed)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        c = xs[1]
        if type(gy) is np.ndarray and type(y) is np.ndarray and type(c) is np.ndarray:
            return _lstm_cell_vjps_arrays(gy, c, y, (i == 0, i == 1))[i]
        n, hidden = shape_of(c)
        size = n * hidden
        g_h, g_c, g_t = (gy[k * size : (k + 1) * size].reshape(n, hidden) for k in range(3))
        g_a = gy[3 * size :].reshape(n, 4 * hidden)
        tanh_c = y[2 * size : 3 * size].reshape(n, hidden)
        a = y[3 * size :].reshape(n, 4 * hidden)
        in_gate, forget, cell, out = (a[:, k * hidden : (k + 1) * hidden] for k in range(4))
        d_t = g_t + g_h * out
        d_c = g_c + d_t * (1 - tanh_c * tanh_c)
        if i == 1:
            return d_c * forget
        d_a = CONCAT_COLUMNS(d_c * cell, d_c * c, d_c * in_gate, g_h * tanh_c) + g_a
        sigmoid_columns, tanh_columns = _masks(a)
        return d_a * (a * sigmoid_columns + tanh_columns - a * a)


def _lstm_cell_vjps_arrays(gy: Any, c: Any, y: Any, needed: tuple[bool, ...]) -> tuple[Any, Any]:
    """`LSTMCell`'s gradients for `z` and `c` (None where not `needed`) on plain arrays (an
    ordinary backward): the same formulas computed in place, the shared `d_c` once, and
    without the terms of blocks whose gradient is zero (an `UnpackState` consumer sends
    gradients for `h'` and `c'` only). The general rule above runs on nodes under
    `create_graph`; tests hold the two to the same values."""
    n, hidden = c.shape
    size = n * hidden
    a = y[3 * size :].reshape(n, 4 * hidden)
    tanh_c = y[2 * size : 3 * size].reshape(n, hidden)
    g_h = gy[:size].reshape(n, hidden)
    extra = bool(gy[2 * size :].any())
    d_t = g_h * a[:, 3 * hidden :]
    if extra:
        d_t += gy[2 * size : 3 * size].reshape(n, hidden)
    d_c = tanh_c * tanh_c
    np.subtract(1, d_c, out=d_c)
    d_c *= d_t
    d_c += gy[size : 2 * size].reshape(n, hidden)
    g_c = np.multiply(d_c, a[:, hidden : 2 * hidden]) if needed[1] else None
    if not needed[0]:
        return None, g_c
    dz = np.empty((n, 4 * hidden), np.result_type(gy, y, c))
    np.multiply(d_c, a[:, 2 * hidden : 3 * hidden], out=dz[:, :hidden])
    np.multiply(d_c, c, out=dz[:, hidden : 2 * hidden])
    np.multiply(d_c, a[:, :hidden], out=dz[:, 2 * hidden : 3 * hidden])
    np.multiply(g_h, tanh_c, out=dz[:, 3 * hidden :])
    if extra:
        dz += gy[3 * size :].reshape(n, 4 * hidden)
    derivative = a * a  # 1 - a^2 on g, a (1 - a) = a - a^2 on the sigmoid gates
    np.subtract(a, derivative, out=derivative)
    cell = derivative[:, 2 * hidden : 3 * hidden]
    np.square(a[:, 2 * hidden : 3 * hidden], out=cell)
    np.subtract(1, cell, out=cell)
    dz *= derivative
    return dz, g_c


@attrs.frozen
class LSTMStep(Op):
    """`Recurrence` then `LSTMCell` as one op of `(h, W_h, xw, c)`: `z = h W_h + xw` and the
    cell's packed output from `(z, c)`. One node per step fewer, and no `z` kept: the rule
    needs only the packed output (the gates) and `c`. Joint: the gate gradient `dz` is
    computed once and gives all four, `dz W_h^T`, `h^T dz`, `dz` and the cell's."""

    name = "lstm_step"
    joint = True

    def forward(self, *xs: Any) -> Any:
        h, W, xw, c = xs
        return LSTM_CELL.forward(RECURRENCE.forward(h, W, xw), c)

    def vjps(
        self, gy: Array, xs: tuple[Array, ...], y: Array, needed: tuple[bool, ...]
    ) -> tuple[Array, ...]:
        h, W, _, c = xs
        need_z = needed[0] or needed[1] or needed[2]
        if type(gy) is np.ndarray and type(y) is np.ndarray and type(c) is np.ndarray:
            dz, g_c = _lstm_cell_vjps_arrays(gy, c, y, (need_z, needed[3]))
        else:
            dz = LSTM_CELL.vjp(0, gy, (None, c), y) if need_z else None
            g_c = LSTM_CELL.vjp(1, gy, (None, c), y) if needed[3] else None
        return (
            dz @ W.T if needed[0] else None,
            h.T @ dz if needed[1] else None,
            dz if needed[2] else None,
            g_c,
        )

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return self.vjps(gy, xs, y, tuple(j == i for j in range(4)))[i]


LSTM_STEP: Final = LSTMStep()


@attrs.frozen
class UnpackState(MultiOp):
    """`h'` and `c'` `(N, H)`, the first two blocks of `LSTMCell`'s packed output (views);
    the gradient puts theirs back in place, zeros elsewhere."""

    name = "lstm_state"
    batch: int
    hidden: int

    def forward(self, *xs: Any) -> tuple[Any, ...]:
        packed = xs[0]
        size = self.batch * self.hidden
        shape = (self.batch, self.hidden)
        return packed[:size].reshape(shape), packed[size : 2 * size].reshape(shape)

    def vjp(self, i: int, gys: tuple[Array, ...], xs: tuple[Array, ...]) -> Array:
        g_h, g_c = gys
        size = self.batch * self.hidden
        if type(g_h) is np.ndarray and type(g_c) is np.ndarray:  # one array, no concat
            g = np.zeros(7 * size, np.result_type(g_h, g_c))
            g[:size] = g_h.reshape(size)
            g[size : 2 * size] = g_c.reshape(size)
            return g
        rest = np.zeros(5 * size, g_h.dtype)
        return CONCAT_ROWS(g_h.reshape(size), g_c.reshape(size), rest)


def _hidden(z: Any, c: Any = None) -> int:
    zs = np.shape(z)
    cs = (zs[0], zs[1] // 4) if c is None and len(zs) == 2 else np.shape(c)
    if len(zs) != 2 or len(cs) != 2 or zs[0] != cs[0] or zs[1] != 4 * cs[1]:
        raise ValueError(
            f"lstm: the gates must be (N, 4H) for a state of shape (N, H), got gates of "
            f"shape {zs} and a state of shape {cs}"
        )
    return int(cs[1])


CONCAT_COLUMNS: Final = Concat(1)
CONCAT_ROWS: Final = Concat(0)
LSTM_CELL: Final = LSTMCell()


@attrs.frozen
class Unstack(MultiOp):
    """`x` cut along axis 0 into `steps` equal blocks (views, one op): a window's input
    projection `(T N, 4H)` as its `T` steps `(N, 4H)`. The gradient concatenates the
    steps' gradients back."""

    name = "unstack"
    steps: int

    def forward(self, *xs: Any) -> tuple[Any, ...]:
        x = xs[0]
        n = len(x) // self.steps
        return tuple(x[t * n : (t + 1) * n] for t in range(self.steps))

    def vjp(self, i: int, gys: tuple[Array, ...], xs: tuple[Array, ...]) -> Array:
        return CONCAT_ROWS(*gys)


@attrs.frozen
class Stack(Op):
    """`numpy.stack` along a new leading axis; the gradient of input `t` is `gy[t]`."""

    name = "stack"

    def forward(self, *xs: Any) -> Any:
        return np.stack(xs)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return GetItem((i,))(gy)


STACK: Final = Stack()

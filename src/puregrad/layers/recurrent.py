"""Recurrent layers (`RNN`, `LSTM`, `GRU`) with every state an argument and a result, and
truncated backpropagation through time without mutation (`tree_stop_gradient`).

A layer holds no hidden state (DeZero's `RNN` and `LSTM` kept `h` and `c` on the layer and
needed `reset_state()`): `apply(params, x, state)` is one step and returns the new state,
`scan(params, xs, state)` runs a whole window, time-major. The caller threads the state.

Truncated BPTT. DeZero cuts the graph behind the state with `unchain_backward()`, which
mutates every node behind it. Here the state that enters the next window is made of
constants carrying the same values, and nothing else changes:

    def train_window(params, opt_state, xs, ts, state):
        variables = pg.to_variables(params)
        hs, state = lstm.scan(variables.lstm, xs, state)
        loss = pg.mean_squared_error(head.apply(variables.head, hs), ts)
        grads = pg.gradients_of(pg.backward(loss), variables)
        params, opt_state = pg.step(optimizer, grads, opt_state, params)
        return params, opt_state, pg.tree_stop_gradient(state)  # same values, no graph

    state = None
    for xs, ts in pg.sequence_batches(data.x, data.t, batch_size=30, length=30):
        params, opt_state, state = train_window(params, opt_state, xs, ts, state)

The window's graph lives only in `train_window`'s locals: when it returns, the graph is
freed by reference counting (the carried state holds none of it), so memory stays at one
window's graph however long the sequence.
"""

from __future__ import annotations

from typing import Any, Generic, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import F, Node
from puregrad.ops import linear, reshape, sigmoid, tanh
from puregrad.ops.recurrent import LSTM_CELL, LSTM_STEP, RECURRENCE, STACK, UnpackState, Unstack
from puregrad.op import apply, apply_multi
from puregrad.tree import Param

__all__ = [
    "GRU",
    "GRUParams",
    "LSTM",
    "LSTMParams",
    "LSTMState",
    "RNN",
    "RNNParams",
]



def _positive(who: str) -> Any:
    def check(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if type(value) is not int or value < 1:
            raise ValueError(f"{who}: {attribute.name} must be a positive int, got {value!r}")

    return check


def _uniform(rng: np.random.Generator, shape: tuple[int, ...], hidden: int, dtype: Any) -> NDArray[Any]:
    """PyTorch's initialisation for recurrent weights: uniform on `[-1/sqrt(H), 1/sqrt(H)]`."""
    bound = 1.0 / np.sqrt(hidden)
    array = rng.uniform(-bound, bound, shape).astype(dtype)
    array.flags.writeable = False
    return array


def _zeros(shape: tuple[int, ...], dtype: Any) -> NDArray[Any]:
    array = np.zeros(shape, dtype)
    array.flags.writeable = False
    return array


def _check_input(who: str, x: object, in_size: int, ndim: int) -> tuple[int, ...]:
    shape: tuple[int, ...] = x.shape if type(x) is Node else np.shape(x)  # type: ignore[call-overload]  # an array here
    if len(shape) != ndim or shape[-1] != in_size:
        wanted = "(N, in_size)" if ndim == 2 else "(T, N, in_size)"
        raise ValueError(f"{who}: x must be {wanted} with in_size {in_size}, got shape {shape}")
    if ndim == 3 and shape[0] == 0:
        raise ValueError(f"{who}: the window is empty (xs of shape {shape})")
    return shape


def _steps(xs: Node[F] | NDArray[F], W_x: Param[F], b: Param[F] | None, shape: tuple[int, ...], config: Config | None) -> tuple[Node[F], ...]:
    """The input projection `x W_x + b` of a whole window in one matmul, cut into its steps."""
    steps, batch, size = shape
    if type(xs) is Node:
        flat: Node[F] | NDArray[F] = reshape(xs, (steps * batch, size), config=config)
    else:
        flat = np.reshape(xs, (steps * batch, size))
    projected = linear(flat, W_x, b, config=config)
    return apply_multi(Unstack(steps), (projected,), config)


def _hidden_zeros(batch: int, hidden: int, W_h: Param[F]) -> NDArray[F]:
    return _zeros((batch, hidden), W_h.dtype)


# RNN ---------------------------------------------------------------------------------------


@attrs.frozen
class RNNParams(Generic[F]):
    """An `RNN`'s parameters: `W_x` `(in_size, H)`, `W_h` `(H, H)`, `b` `(H,)`.

    PyTorch's `RNNCell` (tanh) equals it with `W_x = weight_ih.T`, `W_h = weight_hh.T`,
    `b = bias_ih + bias_hh`."""

    W_x: Param[F]
    W_h: Param[F]
    b: Param[F]


@attrs.frozen
class RNN:
    """An Elman recurrent layer: `h' = tanh(x W_x + h W_h + b)`.

    >>> rnn = RNN(1, 4)
    >>> params = rnn.init(np.random.default_rng(0))
    >>> h = rnn.apply(params, np.ones((2, 1)))       # h=None: the state starts at zeros
    >>> h = rnn.apply(params, np.ones((2, 1)), h)    # the state is an argument and a result
    >>> h.shape
    (2, 4)
    """

    in_size: int = attrs.field(validator=_positive("RNN"))
    hidden_size: int = attrs.field(validator=_positive("RNN"))

    @overload
    def init(self, rng: np.random.Generator) -> RNNParams[np.float64]: ...
    @overload
    def init(self, rng: np.random.Generator, dtype: type[F]) -> RNNParams[F]: ...
    def init(self, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float64) -> RNNParams[Any]:
        """Weights uniform on `[-1/sqrt(H), 1/sqrt(H)]` (as PyTorch), bias zeros, read-only."""
        H = self.hidden_size
        return RNNParams(
            _uniform(rng, (self.in_size, H), H, dtype),
            _uniform(rng, (H, H), H, dtype),
            _zeros((H,), dtype),
        )

    def apply(
        self,
        params: RNNParams[F],
        x: Node[F] | NDArray[F],
        h: Node[F] | NDArray[F] | None = None,
        *,
        config: Config | None = None,
    ) -> Node[F]:
        """One step: the new state `h'` `(N, H)` from `x` `(N, in_size)` and `h` (None:
        zeros).

        Raises:
            ValueError: `x` is not `(N, in_size)`, or a shape does not fit (from `linear`).
        """
        _check_input("RNN.apply", x, self.in_size, 2)
        return self._step(params, linear(x, params.W_x, params.b, config=config), h, config)

    def scan(
        self,
        params: RNNParams[F],
        xs: Node[F] | NDArray[F],
        h: Node[F] | NDArray[F] | None = None,
        *,
        config: Config | None = None,
    ) -> tuple[Node[F], Node[F]]:
        """A window, time-major: `xs` `(T, N, in_size)` gives every state `(T, N, H)` and the
        last one (the window's input projection is one matmul).

        Raises:
            ValueError: `xs` is not `(T, N, in_size)` with `T >= 1`.
        """
        shape = _check_input("RNN.scan", xs, self.in_size, 3)
        hs = []
        for xw in _steps(xs, params.W_x, params.b, shape, config):
            h = self._step(params, xw, h, config)
            hs.append(h)
        return apply(STACK, tuple(hs), config), hs[-1]

    def _step(self, params: RNNParams[F], xw: Node[F], h: Node[F] | NDArray[F] | None, config: Config | None) -> Node[F]:
        if h is None:
            return tanh(xw, config=config)
        return tanh(apply(RECURRENCE, (h, params.W_h, xw), config), config=config)


# LSTM --------------------------------------------------------------------------------------


@attrs.frozen
class LSTMParams(Generic[F]):
    """An `LSTM`'s parameters: `W_x` `(in_size, 4H)`, `W_h` `(H, 4H)`, `b` `(4H,)`, the four
    gates side by side in PyTorch's order: input, forget, cell, output.

    PyTorch's `LSTMCell` equals it with `W_x = weight_ih.T`, `W_h = weight_hh.T`,
    `b = bias_ih + bias_hh`."""

    W_x: Param[F]
    W_h: Param[F]
    b: Param[F]


@attrs.frozen
class LSTMState(Generic[F]):
    """An LSTM's state: the output `h` and the cell `c`, each `(N, H)`. Arrays or nodes: a
    step returns nodes; `tree_stop_gradient` makes them constants (truncated BPTT)."""

    h: Node[F] | NDArray[F]
    c: Node[F] | NDArray[F]


@attrs.frozen
class LSTM:
    """A long short-term memory layer, PyTorch's `LSTMCell` equations:

        i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the four blocks of x W_x + h W_h + b
        c' = f c + i g;  h' = o tanh(c')

    One step is one op (`LSTMStep`): one matmul over the concatenated gates, then the gates.

    >>> lstm = LSTM(1, 4)
    >>> params = lstm.init(np.random.default_rng(0))
    >>> y, state = lstm.apply(params, np.ones((2, 1)))         # state=None: zeros
    >>> y, state = lstm.apply(params, np.ones((2, 1)), state)
    >>> y.shape, state.c.shape
    ((2, 4), (2, 4))
    >>> ys, state = lstm.scan(params, np.ones((3, 2, 1)), state)   # a window, time-major
    >>> ys.shape
    (3, 2, 4)
    """

    in_size: int = attrs.field(validator=_positive("LSTM"))
    hidden_size: int = attrs.field(validator=_positive("LSTM"))

    @overload
    def init(self, rng: np.random.Generator) -> LSTMParams[np.float64]: ...
    @overload
    def init(self, rng: np.random.Generator, dtype: type[F]) -> LSTMParams[F]: ...
    def init(self, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float64) -> LSTMParams[Any]:
        """Weights uniform on `[-1/sqrt(H), 1/sqrt(H)]` (as PyTorch), bias zeros, read-only."""
        H = self.hidden_size
        return LSTMParams(
            _uniform(rng, (self.in_size, 4 * H), H, dtype),
            _uniform(rng, (H, 4 * H), H, dtype),
            _zeros((4 * H,), dtype),
        )

    def apply(
        self,
        params: LSTMParams[F],
        x: Node[F] | NDArray[F],
        state: LSTMState[F] | None = None,
        *,
        config: Config | None = None,
    ) -> tuple[Node[F], LSTMState[F]]:
        """One step: `(h', LSTMState(h', c'))` from `x` `(N, in_size)` and the state (None:
        zeros).

        Raises:
            ValueError: `x` is not `(N, in_size)`, or a shape does not fit.
        """
        _check_input("LSTM.apply", x, self.in_size, 2)
        state = self._step(params, linear(x, params.W_x, params.b, config=config), state, config)
        assert type(state.h) is Node
        return state.h, state

    def scan(
        self,
        params: LSTMParams[F],
        xs: Node[F] | NDArray[F],
        state: LSTMState[F] | None = None,
        *,
        config: Config | None = None,
    ) -> tuple[Node[F], LSTMState[F]]:
        """A window, time-major: `xs` `(T, N, in_size)` gives every output `(T, N, H)` and
        the last state (the window's input projection is one matmul).

        Raises:
            ValueError: `xs` is not `(T, N, in_size)` with `T >= 1`.
        """
        shape = _check_input("LSTM.scan", xs, self.in_size, 3)
        hs = []
        for xw in _steps(xs, params.W_x, params.b, shape, config):
            state = self._step(params, xw, state, config)
            hs.append(state.h)
        assert state is not None
        return apply(STACK, tuple(hs), config), state

    def _step(
        self, params: LSTMParams[F], xw: Node[F], state: LSTMState[F] | None, config: Config | None
    ) -> LSTMState[F]:
        if state is None:  # h = 0: the recurrent matmul would add nothing
            c = _hidden_zeros(xw.shape[0], self.hidden_size, params.W_h)
            packed = apply(LSTM_CELL, (xw, c), config)
        else:  # the matmul and the cell as one op
            packed = apply(LSTM_STEP, (state.h, params.W_h, xw, state.c), config)
        h_new, c_new = apply_multi(UnpackState(xw.shape[0], self.hidden_size), (packed,), config)
        return LSTMState(h_new, c_new)


# GRU ---------------------------------------------------------------------------------------


@attrs.frozen
class GRUParams(Generic[F]):
    """A `GRU`'s parameters: `W_x` `(in_size, 3H)`, `W_h` `(H, 3H)`, and two biases `b_x` and
    `b_h` `(3H,)`, the gates in PyTorch's order: reset, update, new.

    The two biases stay apart because the reset gate multiplies the recurrent part of the
    new gate, bias included (`r * (h W_hn + b_hn)`), so `b_xn` and `b_hn` are not one
    parameter. PyTorch's `GRUCell` equals it with `W_x = weight_ih.T`, `W_h = weight_hh.T`,
    `b_x = bias_ih`, `b_h = bias_hh`."""

    W_x: Param[F]
    W_h: Param[F]
    b_x: Param[F]
    b_h: Param[F]


@attrs.frozen
class GRU:
    """A gated recurrent unit, PyTorch's `GRUCell` equations: with `xw = x W_x + b_x` and
    `hw = h W_h + b_h`, each cut into the blocks r, z, n,

        r = sigmoid(xw_r + hw_r);  z = sigmoid(xw_z + hw_z)
        n = tanh(xw_n + r hw_n);   h' = (1 - z) n + z h

    >>> gru = GRU(1, 4)
    >>> params = gru.init(np.random.default_rng(0))
    >>> h = gru.apply(params, np.ones((2, 1)))      # h=None: zeros
    >>> gru.apply(params, np.ones((2, 1)), h).shape
    (2, 4)
    """

    in_size: int = attrs.field(validator=_positive("GRU"))
    hidden_size: int = attrs.field(validator=_positive("GRU"))

    @overload
    def init(self, rng: np.random.Generator) -> GRUParams[np.float64]: ...
    @overload
    def init(self, rng: np.random.Generator, dtype: type[F]) -> GRUParams[F]: ...
    def init(self, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float64) -> GRUParams[Any]:
        """Weights uniform on `[-1/sqrt(H), 1/sqrt(H)]` (as PyTorch), biases zeros, read-only."""
        H = self.hidden_size
        return GRUParams(
            _uniform(rng, (self.in_size, 3 * H), H, dtype),
            _uniform(rng, (H, 3 * H), H, dtype),
            _zeros((3 * H,), dtype),
            _zeros((3 * H,), dtype),
        )

    def apply(
        self,
        params: GRUParams[F],
        x: Node[F] | NDArray[F],
        h: Node[F] | NDArray[F] | None = None,
        *,
        config: Config | None = None,
    ) -> Node[F]:
        """One step: the new state `h'` `(N, H)` from `x` `(N, in_size)` and `h` (None: zeros).

        Raises:
            ValueError: `x` is not `(N, in_size)`, or a shape does not fit.
        """
        _check_input("GRU.apply", x, self.in_size, 2)
        return self._step(params, linear(x, params.W_x, params.b_x, config=config), h, config)

    def scan(
        self,
        params: GRUParams[F],
        xs: Node[F] | NDArray[F],
        h: Node[F] | NDArray[F] | None = None,
        *,
        config: Config | None = None,
    ) -> tuple[Node[F], Node[F]]:
        """A window, time-major: `xs` `(T, N, in_size)` gives every state `(T, N, H)` and the
        last one.

        Raises:
            ValueError: `xs` is not `(T, N, in_size)` with `T >= 1`.
        """
        shape = _check_input("GRU.scan", xs, self.in_size, 3)
        hs = []
        for xw in _steps(xs, params.W_x, params.b_x, shape, config):
            h = self._step(params, xw, h, config)
            hs.append(h)
        return apply(STACK, tuple(hs), config), hs[-1]

    def _step(self, params: GRUParams[F], xw: Node[F], h: Node[F] | NDArray[F] | None, config: Config | None) -> Node[F]:
        H = self.hidden_size
        if h is None:
            h = _hidden_zeros(xw.shape[0], H, params.W_h)
        hw = linear(h, params.W_h, params.b_h, config=config)
        rz = sigmoid(xw[:, : 2 * H] + hw[:, : 2 * H], config=config)
        r, z = rz[:, :H], rz[:, H:]
        n = tanh(xw[:, 2 * H :] + r * hw[:, 2 * H :], config=config)
        return n + z * (h - n)


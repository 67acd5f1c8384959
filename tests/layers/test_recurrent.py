"""RNN, LSTM and GRU: PyTorch's equations through the documented weight mappings, gradients
of several unrolled steps against finite differences, explicit states, and truncated
backpropagation through time (gradients stop exactly at a cut; memory stays at one
window's graph)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import rand

IN, H, N, T = 2, 3, 2, 4
Array = NDArray[np.float64]


def sigmoid(v: Array) -> Array:
    return 1 / (1 + np.exp(-v))


def torch_weights(gates: int, seed: int = 0) -> tuple[Array, Array, Array, Array]:
    """weight_ih `(gates H, IN)`, weight_hh `(gates H, H)`, bias_ih, bias_hh, as PyTorch
    holds them."""
    rng = np.random.default_rng(seed)
    return (
        rng.uniform(-1, 1, (gates * H, IN)),
        rng.uniform(-1, 1, (gates * H, H)),
        rng.uniform(-1, 1, gates * H),
        rng.uniform(-1, 1, gates * H),
    )


# PyTorch's equations, from its documentation, on PyTorch's weights -----------------------


def torch_rnn_cell(x: Array, h: Array, w: tuple[Array, ...]) -> Array:
    w_ih, w_hh, b_ih, b_hh = w
    return np.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)


def torch_lstm_cell(x: Array, h: Array, c: Array, w: tuple[Array, ...]) -> tuple[Array, Array]:
    w_ih, w_hh, b_ih, b_hh = w
    i, f, g, o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
    c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_new), c_new


def torch_gru_cell(x: Array, h: Array, w: tuple[Array, ...]) -> Array:
    w_ih, w_hh, b_ih, b_hh = w
    x_r, x_z, x_n = np.split(x @ w_ih.T + b_ih, 3, axis=1)
    h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=1)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def test_rnn_is_torch_rnn_cell() -> None:
    w = torch_weights(1)
    params = pg.RNNParams(w[0].T, w[1].T, w[2] + w[3])
    xs, h = rand(T, N, IN), rand(N, H, seed=1)
    layer = pg.RNN(IN, H)
    hs, last = layer.scan(params, xs, h)
    expected = h
    for k in range(T):
        expected = torch_rnn_cell(xs[k], expected, w)
        np.testing.assert_allclose(hs.value[k], expected, rtol=1e-13)
    np.testing.assert_allclose(last.value, expected, rtol=1e-13)


def test_lstm_is_torch_lstm_cell() -> None:
    w = torch_weights(4)
    params = pg.LSTMParams(w[0].T, w[1].T, w[2] + w[3])
    xs, h, c = rand(T, N, IN, low=-2, high=2), rand(N, H, seed=1), rand(N, H, seed=2)
    layer = pg.LSTM(IN, H)
    state = pg.LSTMState(h, c)
    ys, last = layer.scan(params, xs, state)  # the whole window at once
    for k in range(T):
        y, state = layer.apply(params, xs[k], state)
        h, c = torch_lstm_cell(xs[k], h, c, w)
        np.testing.assert_allclose(ys.value[k], h, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(y.value, h, rtol=1e-12, atol=1e-15)
        assert type(state.c) is pg.Node
        np.testing.assert_allclose(state.c.value, c, rtol=1e-12, atol=1e-15)
        assert state.h is y
    assert type(last.c) is pg.Node
    np.testing.assert_allclose(last.c.value, c, rtol=1e-12, atol=1e-15)


def test_gru_is_torch_gru_cell() -> None:
    w = torch_weights(3)
    params = pg.GRUParams(w[0].T, w[1].T, w[2], w[3])
    xs, h = rand(T, N, IN), rand(N, H, seed=1)
    layer = pg.GRU(IN, H)
    got = h
    for k in range(T):
        got_node = layer.apply(params, xs[k], got)
        h = torch_gru_cell(xs[k], h, w)
        np.testing.assert_allclose(got_node.value, h, rtol=1e-13)
        got = got_node.value
    # The n-gate's biases are not interchangeable: moving b_hn into b_xn changes h'.
    moved = pg.GRUParams(w[0].T, w[1].T, w[2] + np.r_[0 * w[3][: 2 * H], w[3][2 * H :]],
                         np.r_[w[3][: 2 * H], 0 * w[3][2 * H :]])
    assert not np.allclose(layer.apply(moved, xs[0], rand(N, H, seed=1)).value,
                           torch_gru_cell(xs[0], rand(N, H, seed=1), w))


# Gradients of several unrolled steps: weights, inputs, initial state ----------------------


Layer = pg.RNN | pg.LSTM | pg.GRU


def unrolled(layer: Layer, use_scan: bool) -> Callable[..., pg.Node[Any]]:
    """f(*params, xs, *state) -> every step's output, through scan or apply step by step."""
    def f(*args: pg.Node[Any]) -> pg.Node[Any]:
        if isinstance(layer, pg.LSTM):
            W_x, W_h, b, xs, h, c = args
            lstm_params = pg.LSTMParams(W_x, W_h, b)
            state = pg.LSTMState(h, c)
            if use_scan:
                return layer.scan(lstm_params, xs, state)[0] * 1.0
            outputs = []
            for k in range(T):
                y, state = layer.apply(lstm_params, xs[k], state)
                outputs.append(y * state.c)
            return pg.concat(outputs)
        if isinstance(layer, pg.GRU):
            *weights, xs, h = args
            params: Any = pg.GRUParams(*weights)
        else:
            *weights, xs, h = args
            params = pg.RNNParams(*weights)
        if use_scan:
            return layer.scan(params, xs, h)[0] * 1.0
        outputs = []
        for k in range(T):
            h = layer.apply(params, xs[k], h)
            outputs.append(h)
        return pg.concat(outputs)

    return f


def inputs(layer: Layer, dtype: type[np.floating[Any]]) -> list[NDArray[Any]]:
    params = [np.asarray(p) for p in pg.tree_leaves(layer.init(np.random.default_rng(0), dtype))]
    params = [p + rand(*p.shape, dtype=dtype, seed=9) * 0.3 for p in params]  # nonzero biases
    states = [rand(N, H, dtype=dtype, seed=s) for s in range(1, 3 if isinstance(layer, pg.LSTM) else 2)]
    return [*params, rand(T, N, IN, dtype=dtype, seed=5), *states]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("use_scan", [True, False], ids=["scan", "apply"])
@pytest.mark.parametrize("layer", [pg.RNN(IN, H), pg.LSTM(IN, H), pg.GRU(IN, H)], ids=["rnn", "lstm", "gru"])
def test_unrolled_gradients(layer: Layer, use_scan: bool, dtype: type[np.floating[Any]]) -> None:
    pg.check_grad(unrolled(layer, use_scan), *inputs(layer, dtype))


@pytest.mark.parametrize("layer", [pg.RNN(IN, H), pg.LSTM(IN, H), pg.GRU(IN, H)], ids=["rnn", "lstm", "gru"])
def test_scan_equals_steps_and_keeps_the_dtype(layer: Layer) -> None:
    args = inputs(layer, np.float32)
    nodes = [pg.variable(a) for a in args]
    by_scan = unrolled(layer, True)(*nodes)
    assert by_scan.dtype == np.float32 and by_scan.shape == (T, N, H)
    if not isinstance(layer, pg.LSTM):  # (the LSTM's step-by-step f returns y * c)
        np.testing.assert_allclose(
            by_scan.value.reshape(T * N, H), unrolled(layer, False)(*nodes).value, rtol=1e-6
        )


# state=None means zeros ---------------------------------------------------------------------


@pytest.mark.parametrize("layer", [pg.RNN(IN, H), pg.LSTM(IN, H), pg.GRU(IN, H)], ids=["rnn", "lstm", "gru"])
def test_no_state_means_zeros(layer: Layer) -> None:
    params: Any = pg.to_variables(pg.tree_map(lambda p: p + 0.1, layer.init(np.random.default_rng(0))))
    x = rand(N, IN)
    zeros = np.zeros((N, H))
    explicit = pg.LSTMState(zeros, zeros) if isinstance(layer, pg.LSTM) else zeros
    for use_scan in (False, True):
        run = layer.scan if use_scan else layer.apply
        arg = x[None] if use_scan else x
        a, b = run(params, arg), run(params, arg, explicit)  # type: ignore[arg-type]
        y_none = a[0] if isinstance(a, tuple) else a
        y_zeros = b[0] if isinstance(b, tuple) else b
        np.testing.assert_allclose(y_none.value, y_zeros.value, rtol=1e-15)
        g_none = pg.gradients_of(pg.backward(pg.sum(y_none * y_none)), params)
        g_zeros = pg.gradients_of(pg.backward(pg.sum(y_zeros * y_zeros)), params)
        for p, q in zip(pg.tree_leaves(g_none), pg.tree_leaves(g_zeros)):
            np.testing.assert_allclose(p, q, rtol=1e-13, atol=1e-16)


# Layers: init, checks ---------------------------------------------------------------------------


def test_init_is_reproducible_typed_and_torch_scaled() -> None:
    for layer, gates in ((pg.RNN(5, 400), 1), (pg.LSTM(5, 400), 4), (pg.GRU(5, 400), 3)):
        p = layer.init(np.random.default_rng(0))
        again = layer.init(np.random.default_rng(0))
        shapes = [leaf.shape for leaf in pg.tree_leaves(p)]
        assert shapes[:3] == [(5, gates * 400), (400, gates * 400), (gates * 400,)]
        for a, b in zip(pg.tree_leaves(p), pg.tree_leaves(again)):
            np.testing.assert_array_equal(a, b)
            assert isinstance(a, np.ndarray) and not a.flags.writeable
        W_h = np.asarray(p.W_h)
        bound = 1 / np.sqrt(400)
        assert W_h.max() <= bound and W_h.min() >= -bound and W_h.max() > 0.99 * bound
    assert pg.LSTM(1, 2).init(np.random.default_rng(0), np.float32).W_x.dtype == np.float32


def test_shapes_and_sizes_are_checked() -> None:
    lstm = pg.LSTM(2, 3)
    p = lstm.init(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"LSTM.apply: .*in_size 2, got shape \(4, 5\)"):
        lstm.apply(p, np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"LSTM.scan: .*\(4, 2\)"):
        lstm.scan(p, np.ones((4, 2)))
    with pytest.raises(ValueError, match="empty"):
        lstm.scan(p, np.ones((0, 4, 2)))
    with pytest.raises(ValueError, match="lstm"):
        lstm.apply(p, np.ones((4, 2)), pg.LSTMState(np.ones((4, 3)), np.ones((5, 3))))
    with pytest.raises(ValueError, match="hidden_size"):
        pg.GRU(2, 0)


# Truncated backpropagation through time ----------------------------------------------------------


def test_tree_stop_gradient_cuts_every_node_and_changes_nothing() -> None:
    x = pg.variable(np.ones(2))
    h, c = pg.tanh(x), x * 2
    state = pg.LSTMState(h, c)
    cut = pg.tree_stop_gradient(state)
    assert type(cut) is pg.LSTMState
    for before, after in ((h, cut.h), (c, cut.c)):
        assert type(after) is pg.Node and not after.requires_grad and after.inputs == ()
        np.testing.assert_array_equal(after.value, before.value)
        assert before.requires_grad and before.inputs != ()  # the originals are untouched
    tree: Any = {"a": (h, np.ones(1)), "b": None}
    mixed = pg.tree_stop_gradient(tree)
    assert isinstance(mixed["a"][1], np.ndarray) and mixed["b"] is None
    assert not mixed["a"][0].requires_grad


def test_gradients_stop_exactly_at_a_truncation() -> None:
    lstm = pg.LSTM(IN, H)
    params = pg.to_variables(lstm.init(np.random.default_rng(0)))
    h0 = pg.variable(rand(N, H, seed=1))
    first, second = rand(T, N, IN, seed=2), rand(T, N, IN, seed=3)
    _, state = lstm.scan(params, first, pg.LSTMState(h0, np.zeros((N, H))))
    cut = pg.tree_stop_gradient(state)
    ys, _ = lstm.scan(params, second, cut)
    grads = pg.backward(pg.sum(ys * ys))
    assert h0 not in grads  # nothing flows back past the cut...
    # ...and what flows to the parameters is exactly the second window's alone, as if it had
    # started from constant arrays holding the carried values.
    assert type(state.h) is pg.Node and type(state.c) is pg.Node
    fresh_state = pg.LSTMState(np.array(state.h.value), np.array(state.c.value))
    fresh, _ = lstm.scan(params, second, fresh_state)
    fresh_grads = pg.backward(pg.sum(fresh * fresh))
    for p in pg.tree_leaves(params):
        assert type(p) is pg.Node
        np.testing.assert_array_equal(grads[p].value, fresh_grads[p].value)
    # Without the cut the gradient reaches the first window.
    ys, _ = lstm.scan(params, second, state)
    uncut = pg.backward(pg.sum(ys * ys))
    assert np.abs(uncut[h0].value).sum() > 0
    W_h = params.W_h
    assert type(W_h) is pg.Node
    assert not np.allclose(uncut[W_h].value, grads[W_h].value)


WARM_UP = 10


def train_windows(windows: int, cut: bool) -> tuple[float, float]:
    """Truncated BPTT over `windows` windows, the README's idiom (one SGD step per window in
    a function of its own), after 10 untraced windows that warm Python's and numpy's
    small-object caches up. Returns the tracemalloc peak and what one window's graph holds
    (after its forward, before its backward), in bytes. With `cut=False` the state keeps
    its graph: the control that must grow."""
    lstm = pg.LSTM(4, 32)
    optimizer = pg.SGD(0.01)
    xs = np.random.default_rng(1).standard_normal((4, 32, 4))
    graph: list[float] = []

    def train_window(
        params: pg.LSTMParams[np.float64], state: pg.LSTMState[np.float64] | None, measure: bool
    ) -> tuple[pg.LSTMParams[np.float64], pg.LSTMState[np.float64]]:
        variables = pg.to_variables(params)
        before = tracemalloc.get_traced_memory()[0]
        ys, state = lstm.scan(variables, xs, state)
        if measure:
            graph.append(tracemalloc.get_traced_memory()[0] - before)
        grads = pg.gradients_of(pg.backward(pg.mean(ys * ys)), variables)
        params, _ = pg.step(optimizer, grads, optimizer.init(params), params)
        return params, pg.tree_stop_gradient(state) if cut else state

    params = lstm.init(np.random.default_rng(0))
    state = None
    for _ in range(WARM_UP):
        params, state = train_window(params, state, False)
        state = pg.tree_stop_gradient(state)
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for k in range(windows):
            params, state = train_window(params, state, k == 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return float(peak - start), graph[0]


def test_truncated_bptt_memory_holds_one_window() -> None:
    # One window's graph is about 0.5 MB here (4 steps of a 32 x 32 LSTM). Training over 100
    # windows must peak no higher than over 10 but for Python's and numpy's free lists,
    # which still fill up, boundedly (about 0.2 MB over these 90 windows, and no more after
    # a few hundred): the 90 extra windows may add less than 1% of a window's graph each,
    # where a graph kept per window adds 100%.
    ten, graph = train_windows(10, cut=True)
    hundred, _ = train_windows(100, cut=True)
    assert graph > 2e5
    assert hundred < ten + 90 * 0.01 * graph, (ten, hundred, graph)
    # The control: carrying the state's graph instead keeps every window's, so the same
    # measurement does see a kept graph.
    kept, _ = train_windows(10, cut=False)
    assert kept > ten + 5 * graph, (ten, kept, graph)

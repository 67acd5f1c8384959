"""The ops behind the recurrent layers: the packed LSTM cell (both of its rules), the
recurrent matmul, and a window cut into steps and stacked back."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import puregrad as pg
from puregrad.op import apply, apply_multi
from puregrad.ops.recurrent import LSTM_CELL, LSTM_STEP, RECURRENCE, STACK, UnpackState, Unstack
from tests.helpers import check_orders, rand

N, H = 2, 3


def cell(z: pg.Node[Any], c: pg.Node[Any]) -> tuple[pg.Node[Any], pg.Node[Any]]:
    h_new, c_new = apply_multi(UnpackState(N, H), (apply(LSTM_CELL, (z, c), None),), None)
    return h_new, c_new


def reference(z: Any, c: Any) -> tuple[Any, Any]:
    """PyTorch's LSTMCell after its matmuls, written plainly."""
    def sigmoid(v: Any) -> Any:
        return 1 / (1 + np.exp(-v))

    i, f, g, o = np.split(z, 4, axis=1)
    c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_new), c_new


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cell_values(dtype: type[np.floating[Any]]) -> None:
    z, c = rand(N, 4 * H, dtype=dtype, low=-3, high=3), rand(N, H, dtype=dtype, seed=1)
    h_new, c_new = cell(pg.variable(z), pg.variable(c))
    assert h_new.dtype == c_new.dtype == dtype
    expected_h, expected_c = reference(z.astype(np.float64), c.astype(np.float64))
    tolerance = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(h_new.value, expected_h, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(c_new.value, expected_c, rtol=tolerance, atol=tolerance)


def test_cell_saturates_without_warnings() -> None:
    z = np.full((1, 4 * H), 1000.0)
    z[0, ::2] = -1000.0  # pytest turns any overflow warning into an error
    packed = LSTM_CELL.forward(z, np.full((1, H), 800.0))
    assert np.all(np.isfinite(packed))
    gates = packed[3 * H :]
    assert set(np.unique(gates)) <= {-1.0, 0.0, 1.0}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cell_gradients(dtype: type[np.floating[Any]]) -> None:
    z, c = rand(N, 4 * H, dtype=dtype, low=-2, high=2), rand(N, H, dtype=dtype, seed=1)

    def f(z: pg.Node[Any], c: pg.Node[Any]) -> pg.Node[Any]:
        h_new, c_new = cell(z, c)
        return h_new * 2.0 + c_new * c_new

    pg.check_grad(f, z, c)
    # Every block of the packed output gets a gradient (not only h' and c').
    pg.check_grad(lambda z, c: apply(LSTM_CELL, (z, c), None) ** 2, z, c)


def test_cell_differentiates_again() -> None:
    z, c = rand(N, 4 * H, low=-2, high=2), rand(N, H, seed=1)

    def f(z: pg.Node[Any], c: pg.Node[Any]) -> pg.Node[Any]:
        h_new, c_new = cell(z, c)
        return h_new * c_new + h_new

    check_orders(f, z, c, order=3)
    check_orders(lambda z, c: apply(LSTM_CELL, (z, c), None) ** 2, z, c, order=2)


@pytest.mark.parametrize("blocks", ["state", "all"])
def test_the_array_rule_equals_the_node_rule(blocks: str) -> None:
    # A plain backward takes the in-place rule on arrays; create_graph takes the general
    # one on nodes. Both must give the same gradients, with and without gradients on the
    # blocks that UnpackState never sends.
    z, c = rand(N, 4 * H, low=-2, high=2), rand(N, H, seed=1)
    y = LSTM_CELL.forward(z, c)
    y.flags.writeable = False
    gy = rand(7 * N * H, seed=2)
    if blocks == "state":
        gy[2 * N * H :] = 0
    for i in (0, 1):
        on_arrays = LSTM_CELL.vjp(i, gy, (z, c), y)
        on_nodes = LSTM_CELL.vjp(i, pg.constant(gy), (pg.constant(z), pg.constant(c)), pg.constant(y))
        np.testing.assert_allclose(on_arrays, on_nodes.value, rtol=1e-14, atol=1e-15)
        # the joint rule a plain backward calls, for either input alone and for both
        for needed in ((True, True), (i == 0, i == 1)):
            joint = LSTM_CELL.vjps(gy, (z, c), y, needed)
            assert joint[1 - i] is None if not needed[1 - i] else joint[1 - i] is not None
            np.testing.assert_allclose(joint[i], on_nodes.value, rtol=1e-14, atol=1e-15)


def test_cell_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match=r"lstm: .*\(2, 8\).*\(2, 3\)"):
        apply(LSTM_CELL, (pg.variable(rand(2, 8)), pg.variable(rand(2, 3))), None)


def test_recurrence() -> None:
    h, W, xw = rand(N, H), rand(H, 4 * H, seed=1), rand(N, 4 * H, seed=2)
    np.testing.assert_allclose(apply(RECURRENCE, (pg.variable(h), W, xw), None).value, h @ W + xw)
    check_orders(lambda h, W, xw: apply(RECURRENCE, (h, W, xw), None) ** 2, h, W, xw, order=2)
    with pytest.raises(ValueError, match="recurrence"):
        apply(RECURRENCE, (pg.variable(h), W, rand(N, H)), None)


def test_lstm_step_is_the_recurrence_then_the_cell() -> None:
    h, W, xw, c = rand(N, H), rand(H, 4 * H, seed=1), rand(N, 4 * H, seed=2), rand(N, H, seed=3)
    y = apply(LSTM_STEP, (pg.variable(h), W, xw, c), None)
    np.testing.assert_allclose(y.value, LSTM_CELL.forward(h @ W + xw, c), rtol=1e-15)

    def f(h: Any, W: Any, xw: Any, c: Any) -> pg.Node[Any]:
        h_new, c_new = apply_multi(UnpackState(N, H), (apply(LSTM_STEP, (h, W, xw, c), None),), None)
        return h_new * c_new + h_new

    check_orders(f, h, W, xw, c, order=2)
    check_orders(lambda *v: apply(LSTM_STEP, v, None) ** 2, h, W, xw, c, order=1)
    # the joint rule on arrays equals the one on nodes, for any subset of inputs
    gy = rand(7 * N * H, seed=4)
    gy[2 * N * H :] = 0
    xs = (h, W, xw, c)
    for needed in ((True, True, True, True), (False, True, False, False), (False, False, False, True)):
        on_arrays = LSTM_STEP.vjps(gy, xs, y.value, needed)
        on_nodes = LSTM_STEP.vjps(pg.constant(gy), tuple(pg.constant(x) for x in xs), y, needed)
        for a, b, n in zip(on_arrays, on_nodes, needed):
            assert (a is None) == (b is None) == (not n)
            if n:
                np.testing.assert_allclose(a, b.value, rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match="recurrence"):
        apply(LSTM_STEP, (pg.variable(h), W, rand(N, H), c), None)


def test_unstack_and_stack() -> None:
    x = rand(6, 2)

    def f(x: pg.Node[Any]) -> pg.Node[Any]:
        steps = apply_multi(Unstack(3), (x,), None)
        assert [s.shape for s in steps] == [(2, 2)] * 3
        return apply(STACK, (steps[2], steps[0] * steps[0]), None)

    np.testing.assert_array_equal(f(pg.variable(x)).value, np.stack([x[4:], x[:2] ** 2]))
    check_orders(f, x, order=2)

"""Elementwise ops against finite differences to the third order, exact values, dtypes,
numerical stability and numpy interop."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

import puregrad as pg
from puregrad.op import apply
from puregrad.ops.elementwise import IS_POSITIVE
from tests.helpers import HIGHER, check_orders, rand

# (op, low, high): inputs drawn from [low, high] keep each op smooth and well-conditioned.
SMOOTH = [
    (pg.sin, -3.0, 3.0),
    (pg.cos, -3.0, 3.0),
    (pg.tanh, -2.0, 2.0),
    (pg.sigmoid, -4.0, 4.0),
    (pg.sqrt, 0.5, 2.0),
    (pg.exp, -1.0, 1.0),
    (pg.log, 0.5, 2.0),
    (pg.square, -2.0, 2.0),
]
ALL = [op for op, _, _ in SMOOTH] + [pg.relu]


def name(op: Any) -> str:
    return str(op.__name__)


def away_from_zero(x: NDArray[Any]) -> NDArray[Any]:
    """`x` moved at least 0.1 away from 0, where relu has its kink."""
    return np.where(x < 0, x - 0.1, x + 0.1).astype(x.dtype)


@pytest.mark.parametrize(("op", "low", "high"), SMOOTH, ids=[name(op) for op, _, _ in SMOOTH])
def test_smooth_op_to_third_order(op: Any, low: float, high: float) -> None:
    check_orders(op, rand(2, 3, seed=3, low=low, high=high), order=3)
    check_orders(op, rand(seed=4, low=low, high=high), order=3)  # a 0-d input


def test_relu_first_and_second_order() -> None:
    x = away_from_zero(rand(3, 4, seed=5))
    check_orders(pg.relu, x, order=2)
    check_orders(lambda v: pg.relu(v) * v * v, x, order=3)  # x**3 where positive


@pytest.mark.parametrize("op", ALL, ids=name)
def test_float32_stays_float32_through_op_and_gradients(op: Any) -> None:
    a = rand(2, 3, dtype=np.float32, seed=6, low=0.5, high=2.0)
    x = pg.variable(a)
    y = op(x)
    assert y.dtype == np.float32
    g = pg.backward(pg.sum(y), HIGHER)[x]
    assert g.dtype == np.float32
    if g.requires_grad:
        assert pg.backward(pg.sum(g))[x].dtype == np.float32
    pg.check_grad(op, a)


def test_exact_values_at_known_points() -> None:
    x = pg.variable(np.array([0.0, np.pi / 2]))
    g = pg.backward(pg.sum(pg.sin(x)))[x].value
    np.testing.assert_allclose(g, [1.0, 0.0], atol=1e-15)
    g = pg.backward(pg.sum(pg.cos(x)))[x].value
    np.testing.assert_allclose(g, [0.0, -1.0], atol=1e-15)
    x = pg.variable(np.array([0.0]))
    assert pg.backward(pg.sum(pg.tanh(x)))[x].value.tolist() == [1.0]
    assert pg.backward(pg.sum(pg.sigmoid(x)))[x].value.tolist() == [0.25]
    assert pg.sigmoid(x).value.tolist() == [0.5]
    x = pg.variable(np.array([4.0, 0.25]))
    assert pg.sqrt(x).value.tolist() == [2.0, 0.5]
    assert pg.backward(pg.sum(pg.sqrt(x)))[x].value.tolist() == [0.25, 1.0]


def test_relu_values_and_gradient_with_zero_at_the_kink() -> None:
    x = pg.variable(np.array([-2.0, 0.0, 3.0]))
    y = pg.relu(x)
    assert y.value.tolist() == [0.0, 0.0, 3.0]
    assert pg.backward(pg.sum(y))[x].value.tolist() == [0.0, 0.0, 1.0]
    g = pg.backward(pg.sum(y * y), HIGHER)[x]  # 2 relu(x) relu'(x)
    assert g.value.tolist() == [0.0, 0.0, 6.0] and g.requires_grad
    assert pg.backward(pg.sum(g))[x].value.tolist() == [0.0, 0.0, 2.0]


def test_relu_keeps_integer_dtype() -> None:
    y = pg.relu(pg.constant(np.array([-1, 2])))
    assert y.dtype == np.int64 and y.value.tolist() == [0, 2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_stable_for_large_inputs(dtype: type[np.floating[Any]]) -> None:
    # pytest turns numpy's overflow warnings into errors, so this also checks that none occur.
    a = np.array([-1e4, -100.0, -40.0, 0.0, 40.0, 100.0, 1e4], dtype)
    x = pg.variable(a)
    y = pg.sigmoid(x)
    assert y.dtype == dtype and np.all(np.isfinite(y.value))
    assert y.value[0] == 0.0 and y.value[-1] == 1.0
    # Full relative precision in the far left tail, where 1 - sigmoid(-x) would give 0.
    np.testing.assert_allclose(y.value[2], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-6)
    g = pg.backward(pg.sum(y), HIGHER)[x]
    assert np.all(np.isfinite(g.value)) and g.value[0] == 0.0 and g.value[-1] == 0.0
    assert np.all(np.isfinite(pg.backward(pg.sum(g))[x].value))


def test_tanh_saturates_without_warnings() -> None:
    x = pg.variable(np.array([-1e3, 1e3]))
    assert pg.tanh(x).value.tolist() == [-1.0, 1.0]
    assert pg.backward(pg.sum(pg.tanh(x)))[x].value.tolist() == [0.0, 0.0]


def test_scalars_and_arrays_give_constants() -> None:
    y = pg.sin(0.5)
    assert type(y) is pg.Node
    assert not y.requires_grad and y.dtype == np.float64
    assert not pg.relu(np.array([-1.0, 1.0])).requires_grad


def test_numpy_ufuncs_on_a_node_are_the_ops() -> None:
    a = rand(4, seed=8, low=0.5, high=2.0)
    for ufunc, op in [(np.sin, pg.sin), (np.cos, pg.cos), (np.tanh, pg.tanh), (np.sqrt, pg.sqrt)]:
        x = pg.variable(a)
        y = ufunc(x)
        assert type(y) is pg.Node and y.origin is not None and y.origin.name == name(op)
        np.testing.assert_array_equal(y.value, ufunc(a))
        np.testing.assert_array_equal(
            pg.backward(pg.sum(y))[x].value, pg.backward(pg.sum(op(x)))[x].value
        )
        pg.check_grad(lambda v: ufunc(v), a)


def test_unsupported_ufuncs_are_type_errors() -> None:
    x = pg.variable(np.ones(2))
    with pytest.raises(TypeError, match="numpy.fmod is not supported on puregrad nodes"):
        np.fmod(x, x)
    with pytest.raises(TypeError, match="numpy.trunc is not supported"):
        np.trunc(x)
    with pytest.raises(TypeError, match=r"numpy.subtract.reduce is not supported"):
        np.subtract.reduce(x)
    with pytest.raises(TypeError, match="takes no keyword arguments"):
        np.sin(x, out=np.empty(2))


def test_bad_operand_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="sin: expected a Node, numpy.ndarray or scalar, got list"):
        pg.sin([1.0])  # type: ignore[call-overload]  # the misuse under test


@settings(max_examples=400)
@given(
    op=st.sampled_from(SMOOTH),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
def test_property_smooth_ops_match_numpy_and_finite_differences(
    op: tuple[Any, float, float], shape: tuple[int, ...], dtype: type[np.floating[Any]], seed: int
) -> None:
    f, low, high = op
    a = rand(*shape, dtype=dtype, seed=seed, low=low, high=high)
    y = f(pg.variable(a))
    assert y.shape == a.shape and y.dtype == dtype
    pg.check_grad(f, a)


@settings(max_examples=100)
@given(
    a=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
        elements=st.floats(-3, 3).filter(lambda v: abs(v) > 1e-3),
    )
)
def test_property_relu_gradient_is_the_positive_mask(a: NDArray[np.float64]) -> None:
    x = pg.variable(a)
    np.testing.assert_array_equal(pg.relu(x).value, np.maximum(a, 0))
    np.testing.assert_array_equal(pg.backward(pg.sum(pg.relu(x)))[x].value, (a > 0) * 1.0)
    pg.check_grad(pg.relu, a)


def test_a_non_differentiable_mask_is_a_constant_in_rules_and_has_no_gradient_as_an_op() -> None:
    x = pg.variable(np.array([-1.0, 2.0]))
    mask = IS_POSITIVE(x)  # as a rule calls it: computed on the value, nothing recorded
    assert type(mask) is np.ndarray and mask.tolist() == [False, True]
    recorded = apply(IS_POSITIVE, (x,), None)  # applied as an op, no gradient flows through
    grads = pg.backward(pg.sum(recorded * x))
    assert grads[x].value.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_rule_on_arrays_equals_the_general_form(dtype: type[np.floating[Any]]) -> None:
    from puregrad.ops.elementwise import IS_POSITIVE, RELU

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5, 3)).astype(dtype).transpose(0, 3, 1, 2)  # NCHW view
    x[0, 0, 0, :3] = [0.0, -0.0, np.nan]
    gy = rng.standard_normal((2, 4, 5, 3)).astype(dtype).transpose(0, 3, 1, 2)
    gy[1, 1, 1, :2] = [np.inf, np.nan]
    gy.flags.writeable = False  # not handed over: a new array
    with np.errstate(invalid="ignore"):  # inf * 0 is nan in both forms
        gx = RELU.vjp(0, gy, (x,), np.maximum(x, 0))
        expected = gy * IS_POSITIVE(x)
    np.testing.assert_array_equal(gx, expected)
    assert gx.dtype == dtype and gx.strides == gy.strides  # gy's layout, no conversion
    assert gx is not gy
    mine = gy.copy()  # handed over (writable): the gradient is written into it
    with np.errstate(invalid="ignore"):
        gx = RELU.vjp(0, mine, (x,), np.maximum(x, 0))
    assert gx is mine
    np.testing.assert_array_equal(gx, expected)

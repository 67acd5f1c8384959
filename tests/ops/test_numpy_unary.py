"""numpy's unary functions on nodes (issue 8): values equal numpy's, both ways (`np.tan(x)` and
`pg.tan(x)`), finite differences to the third order, float32, zero gradients of the
piecewise-constant ones, and the keywords refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import HIGHER, check_orders, rand

# (puregrad function, numpy function, low, high): inputs in [low, high] keep each smooth.
SMOOTH: list[tuple[Any, Callable[..., Any], float, float]] = [
    (pg.reciprocal, np.reciprocal, 0.5, 2.0),
    (pg.tan, np.tan, -1.0, 1.0),
    (pg.arcsin, np.arcsin, -0.8, 0.8),
    (pg.arccos, np.arccos, -0.8, 0.8),
    (pg.arctan, np.arctan, -2.0, 2.0),
    (pg.sinh, np.sinh, -2.0, 2.0),
    (pg.cosh, np.cosh, -2.0, 2.0),
    (pg.arcsinh, np.arcsinh, -2.0, 2.0),
    (pg.arccosh, np.arccosh, 1.5, 3.0),
    (pg.arctanh, np.arctanh, -0.8, 0.8),
    (pg.log1p, np.log1p, -0.5, 2.0),
    (pg.expm1, np.expm1, -1.0, 1.0),
    (pg.log2, np.log2, 0.5, 2.0),
    (pg.log10, np.log10, 0.5, 2.0),
    (pg.exp2, np.exp2, -1.0, 1.0),
    (pg.cbrt, np.cbrt, 0.5, 2.0),
    (pg.abs, np.abs, 0.2, 2.0),
]
STEPS: list[tuple[Any, Callable[..., Any]]] = [
    (pg.sign, np.sign),
    (pg.floor, np.floor),
    (pg.ceil, np.ceil),
    (pg.round, np.round),
]


def name(op: Any) -> str:
    return str(op.__name__)


def node(y: object) -> pg.Node[Any]:
    """What numpy gave on a node: a Node (numpy's stubs cannot say so; this checks it)."""
    assert type(y) is pg.Node, f"numpy gave {type(y).__name__}, not a Node"
    return y


def signed(a: NDArray[Any], seed: int) -> NDArray[Any]:
    """`a` with random signs: both sides of 0 for the odd functions abs and cbrt."""
    flips = np.random.default_rng(seed).choice([-1.0, 1.0], a.shape)
    signs: NDArray[Any] = (a * flips).astype(a.dtype)
    return signs


@pytest.mark.parametrize(("op", "function", "low", "high"), SMOOTH, ids=[name(s[0]) for s in SMOOTH])
def test_values_equal_numpy_both_ways(op: Any, function: Any, low: float, high: float) -> None:
    for dtype in (np.float64, np.float32):
        a = rand(2, 3, dtype=dtype, seed=1, low=low, high=high)
        x = pg.variable(a)
        for y in (op(x), function(x)):
            assert type(y) is pg.Node and y.origin is not None and y.origin.name == name(op)
            assert y.dtype == dtype
            np.testing.assert_array_equal(y.value, function(a))


@pytest.mark.parametrize(("op", "function", "low", "high"), SMOOTH, ids=[name(s[0]) for s in SMOOTH])
def test_smooth_to_third_order(op: Any, function: Any, low: float, high: float) -> None:
    a = rand(2, 3, seed=2, low=low, high=high)
    if op in (pg.abs, pg.cbrt):
        a = signed(a, 3)
    check_orders(function, a, order=3)  # numpy's own function on nodes
    check_orders(op, rand(seed=4, low=low, high=high), order=2)  # a 0-d input


@pytest.mark.parametrize(("op", "function", "low", "high"), SMOOTH, ids=[name(s[0]) for s in SMOOTH])
def test_float32_gradients_stay_float32_to_second_order(op: Any, function: Any, low: float, high: float) -> None:
    a = rand(3, dtype=np.float32, seed=5, low=low, high=high)
    x = pg.variable(a)
    g = pg.backward(pg.sum(function(x)), HIGHER)[x]
    assert g.dtype == np.float32
    if g.requires_grad:  # abs: its gradient sign(x) is a constant
        assert pg.backward(pg.sum(g))[x].dtype == np.float32
    check_orders(op, a, order=2)  # at float32 tolerance


def test_exact_gradients_at_known_points() -> None:
    cases: list[tuple[Any, float, float]] = [
        (pg.arcsin, 0.0, 1.0),
        (pg.arccos, 0.0, -1.0),
        (pg.arctan, 1.0, 0.5),
        (pg.arctanh, 0.0, 1.0),
        (pg.arcsinh, 0.0, 1.0),
        (pg.log2, 1.0, 1 / np.log(2.0)),
        (pg.log10, 10.0, 1 / np.log(100.0) * 2 / 10.0),
        (pg.exp2, 3.0, 8 * np.log(2.0)),
        (pg.cbrt, -8.0, 1 / 12),
        (pg.reciprocal, 2.0, -0.25),
        (pg.tan, 0.0, 1.0),
        (pg.cosh, 0.0, 0.0),
        (pg.abs, -3.0, -1.0),
        (pg.abs, 0.0, 0.0),  # sign(0): as JAX
    ]
    for op, at, expected in cases:
        x = pg.variable(at)
        np.testing.assert_allclose(pg.backward(op(x))[x].value, expected, rtol=1e-14, atol=1e-300)


def test_accurate_near_zero() -> None:
    x = pg.variable(np.array([1e-20]))
    assert pg.log1p(x).value[0] == 1e-20 and pg.expm1(x).value[0] == 1e-20
    assert pg.backward(pg.sum(pg.expm1(x)))[x].value[0] == 1.0
    big = pg.variable(np.array([1e200]))  # the rule of arcsinh uses hypot: no overflow
    np.testing.assert_allclose(pg.backward(pg.sum(pg.arcsinh(big)))[big].value, [1e-200])


@pytest.mark.parametrize(("op", "function"), STEPS, ids=[name(s[0]) for s in STEPS])
def test_piecewise_constant_functions_have_zero_gradients(op: Any, function: Any) -> None:
    a = np.array([-1.7, -0.5, 0.0, 0.5, 1.5, 2.5])
    for dtype in (np.float64, np.float32):
        b: NDArray[np.floating[Any]] = a.astype(dtype)
        x = pg.variable(b)
        for y in (op(x), node(function(x))):
            np.testing.assert_array_equal(y.value, function(b))
            assert y.dtype == dtype
            g = pg.backward(pg.sum(y * y), HIGHER)[x]  # the chain rule through a zero
            assert g.dtype == dtype and not np.any(g.value)
    pg.check_grad(lambda v: op(v) * v, np.array([-1.3, 0.2, 2.7]))  # d(step(x) x) = step(x)


def test_round_decimals_and_rint() -> None:
    a = np.array([0.125, -2.675, 3.5])
    x = pg.variable(a)
    np.testing.assert_array_equal(pg.round(x, 2).value, np.round(a, 2))
    np.testing.assert_array_equal(node(np.round(x, 1)).value, np.round(a, 1))
    np.testing.assert_array_equal(node(np.around(x)).value, np.around(a))
    np.testing.assert_array_equal(node(np.rint(x)).value, np.rint(a))
    assert pg.round(pg.constant(np.arange(3))).dtype == np.int64  # integers stay integers
    with pytest.raises(TypeError, match="round: decimals must be an int"):
        pg.round(x, 1.5)  # type: ignore[call-overload]  # the misuse under test


def test_integer_inputs_keep_their_dtype() -> None:
    k = np.array([-2, 0, 3])
    for op, function in [(pg.abs, np.abs), (pg.sign, np.sign), (pg.floor, np.floor)]:
        y = op(k)
        assert y.dtype == np.int64 and y.value.tolist() == function(k).tolist()


def test_memory_writing_keywords_are_refused() -> None:
    x = pg.variable(np.array([0.5, 0.25]))
    with pytest.raises(TypeError, match="numpy.tan on puregrad nodes takes no keyword arguments"):
        np.tan(x, out=np.empty(2))
    with pytest.raises(TypeError, match="takes no keyword arguments .*where"):
        np.arcsin(x, where=np.array([True, False]))
    with pytest.raises(TypeError, match="takes no keyword arguments .*dtype"):
        np.log1p(x, dtype=np.float32)
    with pytest.raises(TypeError, match="numpy.round on puregrad nodes: .*out"):
        np.round(x, out=np.empty(2))


def test_functions_without_an_op_still_name_themselves() -> None:
    x = pg.variable(np.array([0.5, 0.25]))
    with pytest.raises(TypeError, match="numpy.trunc is not supported on puregrad nodes"):
        np.trunc(x)
    with pytest.raises(TypeError, match="numpy.sort is not supported on puregrad nodes"):
        np.sort(x)


@settings(max_examples=40)
@given(
    index=st.integers(0, len(SMOOTH) - 1),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
def test_random_shapes_against_finite_differences(index: int, shape: tuple[int, ...], dtype: Any, seed: int) -> None:
    op, function, low, high = SMOOTH[index]
    a = np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)
    y = function(pg.variable(a))
    assert y.shape == shape and y.dtype == dtype
    pg.check_grad(op, a)

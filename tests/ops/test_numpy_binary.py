"""numpy's two-input functions on nodes (issue 8): maximum and minimum (ties split evenly),
arctan2, hypot, logaddexp and where; values equal numpy's both ways, finite differences to the
third order on broadcast shapes, float32, stability, and refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import puregrad as pg
from tests.helpers import HIGHER, check_orders, rand

# (puregrad function, numpy function, low, high)
BINARY: list[tuple[Any, Any, float, float]] = [
    (pg.maximum, np.maximum, -2.0, 2.0),
    (pg.minimum, np.minimum, -2.0, 2.0),
    (pg.arctan2, np.arctan2, 0.5, 2.0),
    (pg.hypot, np.hypot, 0.5, 2.0),
    (pg.logaddexp, np.logaddexp, -2.0, 2.0),
]


def name(op: Any) -> str:
    return str(op.__name__)


def node(y: object) -> pg.Node[Any]:
    """What numpy gave on a node: a Node (numpy's stubs cannot say so; this checks it)."""
    assert type(y) is pg.Node, f"numpy gave {type(y).__name__}, not a Node"
    return y


@pytest.mark.parametrize(("op", "function", "low", "high"), BINARY, ids=[name(b[0]) for b in BINARY])
def test_values_equal_numpy_both_ways(op: Any, function: Any, low: float, high: float) -> None:
    for dtype in (np.float64, np.float32):
        a0 = rand(2, 3, dtype=dtype, seed=1, low=low, high=high)
        a1 = rand(3, dtype=dtype, seed=2, low=low, high=high)
        x0, x1 = pg.variable(a0), pg.variable(a1)
        for y in (op(x0, x1), function(x0, x1), function(a0, x1), op(x0, 1.0)):
            assert type(y) is pg.Node and y.origin is not None and y.origin.name == name(op)
            assert y.dtype == dtype
        np.testing.assert_array_equal(function(x0, x1).value, function(a0, a1))
        np.testing.assert_array_equal(op(a0, x1).value, function(a0, a1))


@pytest.mark.parametrize(("op", "function", "low", "high"), BINARY, ids=[name(b[0]) for b in BINARY])
def test_broadcast_operands_to_third_order(op: Any, function: Any, low: float, high: float) -> None:
    a0 = rand(2, 3, seed=3, low=low, high=high)
    a1 = rand(3, seed=4, low=low, high=high)
    if op in (pg.maximum, pg.minimum):  # smooth only away from ties; through sin, not linear
        check_orders(lambda u, v: pg.sin(function(u, v)) * u, a0, a1 + 0.05, order=3)
    else:
        check_orders(function, a0, a1, order=3)
    check_orders(lambda u: op(u, 0.75), rand(2, 1, seed=5, low=low, high=high), order=2)


@pytest.mark.parametrize(("op", "function", "low", "high"), BINARY, ids=[name(b[0]) for b in BINARY])
def test_float32_at_its_tolerance_and_mixed_dtypes(op: Any, function: Any, low: float, high: float) -> None:
    a0 = rand(2, 3, dtype=np.float32, seed=6, low=low, high=high)
    a1 = rand(2, 1, dtype=np.float32, seed=7, low=low, high=high) + np.float32(0.05)
    check_orders(function, a0, a1, order=2)
    x0, x1 = pg.variable(a0), pg.variable(a1.astype(np.float64))  # numpy promotes
    grads = pg.backward(pg.sum(function(x0, x1)), HIGHER)
    assert grads[x0].dtype == np.float32 and grads[x1].dtype == np.float64


@pytest.mark.parametrize(("op", "other"), [(pg.maximum, pg.minimum), (pg.minimum, pg.maximum)], ids=["maximum", "minimum"])
def test_ties_split_the_gradient_evenly(op: Any, other: Any) -> None:
    x0 = pg.variable(np.array([1.0, 2.0, 3.0]))
    x1 = pg.variable(np.array([2.0, 2.0, 2.0]))
    grads = pg.backward(pg.sum(op(x0, x1)))
    winner = [0.0, 0.5, 1.0] if op is pg.maximum else [1.0, 0.5, 0.0]
    assert grads[x0].value.tolist() == winner
    assert grads[x1].value.tolist() == [1 - w for w in winner]
    # A scalar tie: half to each side, whichever side it is on.
    z = pg.variable(np.array([0.0, -1.0]))
    assert pg.backward(pg.sum(np.maximum(z, 0.0)))[z].value.tolist() == [0.5, 0.0]
    assert pg.backward(pg.sum(np.minimum(0.0, z)))[z].value.tolist() == [0.5, 1.0]
    # A tie broadcast against three elements: the scalar side gets the sum of its halves.
    s = pg.variable(1.0)
    assert pg.backward(pg.sum(op(s, np.ones(3))))[s].value == 1.5
    # Second order through a tie.
    w = pg.variable(np.array([1.5]))
    g = pg.backward(pg.sum(op(w, w) * w), HIGHER)[w]
    assert g.value.tolist() == [3.0]  # op(w, w) = w, so d(w * w) = 2w: both halves arrive
    assert pg.backward(pg.sum(g))[w].value.tolist() == [2.0]


def test_logaddexp_is_stable_for_huge_inputs() -> None:
    x0 = pg.variable(np.array([1000.0, -1000.0]))
    x1 = pg.variable(np.array([1000.0, -1001.0]))
    y = pg.logaddexp(x0, x1)
    np.testing.assert_allclose(y.value, np.logaddexp(x0.value, x1.value), rtol=1e-15)
    grads = pg.backward(pg.sum(y), HIGHER)
    sigmoid = 1 / (1 + np.exp(-1.0))
    # exp(x - y) loses what y = 1000.69... loses to rounding: one ulp of 1000, 1e-13.
    np.testing.assert_allclose(grads[x0].value, [0.5, sigmoid], rtol=1e-12)
    np.testing.assert_allclose(grads[x1].value, [0.5, 1 - sigmoid], rtol=1e-12)
    second = pg.backward(pg.sum(grads[x0]))[x0].value
    np.testing.assert_allclose(second, [0.25, sigmoid * (1 - sigmoid)], rtol=1e-12)
    assert np.all(np.isfinite(second))


def test_exact_gradients_of_arctan2_and_hypot() -> None:
    y, x = pg.variable(3.0), pg.variable(4.0)
    grads = pg.backward(node(np.arctan2(y, x)))
    assert (grads[y].value.item(), grads[x].value.item()) == (4 / 25, -3 / 25)
    grads = pg.backward(node(np.hypot(y, x)))
    assert (grads[y].value.item(), grads[x].value.item()) == (3 / 5, 4 / 5)
    big = pg.variable(1e200)  # hypot does not overflow, nor its gradient
    assert pg.backward(pg.hypot(big, big))[big].value == pytest.approx(np.sqrt(2.0))


# where ----------------------------------------------------------------------------------------


def test_where_values_and_gradients_both_ways() -> None:
    a, b = rand(2, 3, seed=8), rand(3, seed=9)
    condition = a > 0
    x, y = pg.variable(a), pg.variable(b)
    for z in (pg.where(condition, x, y), np.where(condition, x, y), np.where(condition, x, b)):
        assert type(z) is pg.Node and z.origin is not None and z.origin.name == "where"
        np.testing.assert_array_equal(z.value, np.where(condition, a, b))
    grads = pg.backward(pg.sum(pg.where(condition, x, y)))
    assert grads[x].value.tolist() == condition.astype(float).tolist()
    assert grads[y].value.tolist() == (~condition).sum(axis=0).astype(float).tolist()
    check_orders(lambda u, v: node(np.where(condition, pg.sin(u), v * v * v)), a, b, order=3)
    check_orders(lambda u: pg.where(np.array([True, False]), u, 2.0), rand(3, 1, dtype=np.float32, seed=10), order=2)


def test_where_sends_no_nan_from_the_branch_not_taken() -> None:
    x = pg.variable(np.array([-1.0, 4.0]))
    safe = pg.where(x.value > 0, x, 1.0)  # the usual guard: log only sees positive values
    g = pg.backward(pg.sum(pg.where(x.value > 0, pg.log(safe), 0.0)), HIGHER)[x]
    assert g.value.tolist() == [0.0, 0.25]
    assert pg.backward(pg.sum(g))[x].value.tolist() == [0.0, -1 / 16]


def test_where_condition_is_a_constant() -> None:
    x = pg.variable(np.ones(2))
    with pytest.raises(TypeError, match="where: the condition must be a constant"):
        pg.where(x, x, x)  # type: ignore[arg-type]  # the misuse under test
    with pytest.raises(TypeError, match="where: the condition must be a bool array or a bool, got list"):
        pg.where([True, False], x, x)  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(ValueError, match=r"where: cannot broadcast shapes \(3,\) \(condition\), \(2,\) and \(\)"):
        pg.where(np.ones(3, bool), x, 0.0)
    with pytest.raises(TypeError, match="numpy.where on puregrad nodes: .*missing 2 required positional"):
        np.where(x)
    # The condition is copied: writing the caller's array later changes nothing recorded.
    condition = np.array([True, False])
    z = pg.where(condition, x, 0.0)
    condition[:] = False
    assert pg.backward(pg.sum(z))[x].value.tolist() == [1.0, 0.0]
    assert pg.where(pg.constant(np.array([False, True])), x, 5.0).value.tolist() == [5.0, 1.0]


def test_ufunc_keywords_and_methods_are_refused() -> None:
    x = pg.variable(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="numpy.maximum on puregrad nodes takes no keyword arguments"):
        np.maximum(x, 0.0, out=np.empty(2))
    with pytest.raises(TypeError, match="takes no keyword arguments .*where"):
        np.hypot(x, x, where=np.array([True, False]))
    for method in ("accumulate", "reduceat"):  # maximum.reduce is max (test_numpy_reductions)
        with pytest.raises(TypeError, match=f"numpy.maximum.{method} is not supported on puregrad nodes"):
            getattr(np.maximum, method)(x, *([[0]] if method == "reduceat" else []))
    with pytest.raises(TypeError, match="numpy.hypot.reduce is not supported"):
        np.hypot.reduce(x)
    with pytest.raises(TypeError, match="numpy.logaddexp.outer is not supported"):
        np.logaddexp.outer(x, x)
    with pytest.raises(ValueError, match=r"maximum: cannot broadcast shapes \(2,\) and \(3,\)"):
        pg.maximum(x, np.ones(3))


@settings(max_examples=40)
@given(
    index=st.integers(0, len(BINARY) - 1),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
def test_random_broadcast_shapes_against_finite_differences(
    index: int, shapes: Any, dtype: Any, seed: int
) -> None:
    op, function, low, high = BINARY[index]
    rng = np.random.default_rng(seed)
    s0, s1 = shapes.input_shapes
    a0 = rng.uniform(low, high, s0).astype(dtype)
    a1 = rng.uniform(low, high, s1).astype(dtype)
    if op in (pg.maximum, pg.minimum):  # on offset grids: at least 0.1 apart, never tied
        a0 = (np.round(a0 * 4) / 4 + 0.1).astype(dtype)
        a1 = (np.round(a1 * 4) / 4).astype(dtype)
    y = function(pg.variable(a0), pg.variable(a1))
    assert y.shape == shapes.result_shape and y.dtype == dtype
    pg.check_grad(op, a0, a1)

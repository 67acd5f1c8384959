"""Reductions: sum, mean, max, min with axis and keepdims; ties, nan, dtypes, errors, the
Node methods and numpy interop; finite differences to the third order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import puregrad as pg
from tests.helpers import HIGHER, check_orders, rand

AXES: list[Any] = [None, 0, 1, -1, (0, 2), (2, 0, 1)]
REDUCTIONS: list[Any] = [pg.sum, pg.mean, pg.max, pg.min]
NUMPY: dict[Any, Any] = {pg.sum: np.sum, pg.mean: np.mean, pg.max: np.max, pg.min: np.min}


def name(op: Any) -> str:
    return str(op.__name__)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("op", REDUCTIONS, ids=name)
def test_values_match_numpy(op: Any, axis: Any, keepdims: bool) -> None:
    a = rand(2, 3, 4, seed=1)
    y = op(pg.variable(a), axis, keepdims)
    expected = NUMPY[op](a, axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(expected)
    np.testing.assert_allclose(y.value, expected, rtol=1e-15)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
def test_sum_and_mean_to_third_order(axis: Any, keepdims: bool) -> None:
    a = rand(2, 3, 4, seed=2)
    check_orders(lambda x: pg.sin(pg.mean(x, axis, keepdims)) * pg.sum(x * x, axis, keepdims), a, order=3)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("op", [pg.max, pg.min], ids=name)
def test_max_min_first_and_higher_orders(op: Any, axis: Any, keepdims: bool) -> None:
    a = rand(2, 3, 4, seed=3)  # distinct values: no ties within a finite-difference step
    check_orders(lambda x: op(x, axis, keepdims), a, order=2)
    # Through a smooth op the higher derivatives are not zero: d^k/dx^k sin at the extreme.
    check_orders(lambda x: op(pg.sin(x), axis, keepdims), a, order=3)


def test_mean_gradient_is_one_over_count() -> None:
    x = pg.variable(np.ones((2, 4)))
    assert pg.backward(pg.mean(x))[x].value.tolist() == [[0.125] * 4] * 2
    assert pg.backward(pg.sum(pg.mean(x, axis=1)))[x].value.tolist() == [[0.25] * 4] * 2
    assert pg.backward(pg.sum(pg.mean(x, axis=0)))[x].value.tolist() == [[0.5] * 4] * 2


def test_tied_extremes_split_the_gradient_evenly() -> None:
    x = pg.variable(np.array([1.0, 3.0, 3.0]))
    assert pg.backward(pg.max(x))[x].value.tolist() == [0.0, 0.5, 0.5]
    y = pg.variable(np.array([2.0, 1.0, 1.0, 5.0, 1.0]))
    g = pg.backward(pg.min(y))[y].value
    np.testing.assert_allclose(g, [0.0, 1 / 3, 1 / 3, 0.0, 1 / 3], rtol=1e-15)
    z = pg.variable(np.array([[4.0, 4.0, 0.0], [1.0, 2.0, 3.0], [7.0, 7.0, 7.0]]))
    g = pg.backward(pg.sum(pg.max(z, axis=1) * np.array([1.0, 2.0, 3.0])))[z].value
    np.testing.assert_allclose(g, [[0.5, 0.5, 0.0], [0.0, 0.0, 2.0], [1.0, 1.0, 1.0]], rtol=1e-15)
    g = pg.backward(pg.sum(pg.min(z, axis=0, keepdims=True)))[z].value
    assert g.tolist() == [[0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


def test_tied_extremes_second_derivative() -> None:
    x = pg.variable(np.array([1.0, 3.0, 3.0]))
    g = pg.backward(pg.max(x * x), HIGHER)[x]  # 2x shared by the two maxima
    assert g.value.tolist() == [0.0, 3.0, 3.0]
    assert pg.backward(pg.sum(g))[x].value.tolist() == [0.0, 1.0, 1.0]


def test_nan_extreme_sends_the_gradient_to_the_nans() -> None:
    x = pg.variable(np.array([1.0, np.nan, 2.0]))
    y = pg.max(x)
    assert np.isnan(y.value)
    assert pg.backward(y)[x].value.tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("op", REDUCTIONS, ids=name)
def test_float32_stays_float32(op: Any) -> None:
    a = rand(3, 4, dtype=np.float32, seed=4)
    x = pg.variable(a)
    y = op(x, 1)
    assert y.dtype == np.float32
    g = pg.backward(pg.sum(y * y), HIGHER)[x]
    assert g.dtype == np.float32
    assert pg.backward(pg.sum(g))[x].dtype == np.float32
    pg.check_grad(lambda v: op(v, 0), a)


def test_integer_constants_reduce_as_numpy() -> None:
    k = pg.constant(np.array([[1, 5], [3, 2]]))
    assert pg.max(k).value == 5 and pg.max(k).dtype == np.int64
    assert pg.min(k, axis=1).value.tolist() == [1, 2]
    assert pg.sum(k).dtype == np.int64


def test_node_methods() -> None:
    a = rand(2, 3, seed=5)
    x = pg.variable(a)
    for node, expected in [
        (x.sum(), a.sum()),
        (x.sum(axis=0), a.sum(axis=0)),
        (x.mean(1, keepdims=True), a.mean(1, keepdims=True)),
        (x.max(), a.max()),
        (x.max(axis=(0, 1), keepdims=True), a.max(axis=(0, 1), keepdims=True)),
        (x.min(-1), a.min(-1)),
    ]:
        assert node.requires_grad and node.shape == np.shape(expected)
        np.testing.assert_allclose(node.value, expected, rtol=1e-15)
    assert not x.sum(config=pg.Config(enable_backprop=False)).requires_grad
    check_orders(lambda v: v.mean(0) * v.sum(0) + v.max(1).sum() - v.min(), a, order=2)


def test_numpy_functions_on_a_node_are_the_ops() -> None:
    a = rand(2, 3, seed=6)
    pairs: list[tuple[Any, Any]] = [
        (np.sum, pg.sum),
        (np.mean, pg.mean),
        (np.max, pg.max),
        (np.amax, pg.max),
        (np.min, pg.min),
        (np.amin, pg.min),
    ]
    for function, op in pairs:
        x = pg.variable(a)
        y: Any = function(x, axis=1, keepdims=True)
        assert type(y) is pg.Node and y.origin is not None and y.origin.name == op.__name__
        np.testing.assert_allclose(y.value, function(a, axis=1, keepdims=True), rtol=1e-15)
        pg.check_grad(lambda v: function(v, axis=0), a)
    with pytest.raises(TypeError, match="numpy.mean on puregrad nodes: .*dtype"):
        np.mean(pg.variable(a), dtype=np.float32)
    with pytest.raises(TypeError, match="numpy.max on puregrad nodes: .*initial"):
        np.max(pg.variable(a), initial=0.0)
    with pytest.raises(TypeError, match="numpy.median is not supported on puregrad nodes"):
        np.median(pg.variable(a))


@pytest.mark.parametrize("op", REDUCTIONS, ids=name)
def test_axis_errors_name_op_and_shape(op: Any) -> None:
    x = pg.variable(np.ones((2, 3)))
    n = name(op)
    with pytest.raises(ValueError, match=rf"{n}: axis 2 is out of bounds .*\(input shape \(2, 3\)\)"):
        op(x, 2)
    with pytest.raises(ValueError, match=rf"{n}: repeated axis .*\(input shape \(2, 3\)\)"):
        op(x, (0, -2))
    with pytest.raises(TypeError, match=rf"{n}: axis must be None, an int or a tuple of ints, got 'rows'"):
        op(x, "rows")
    with pytest.raises(TypeError, match=rf"{n}: axis must be None, an int or a tuple of ints, got \[0\]"):
        op(x, [0])


@pytest.mark.parametrize("op", [pg.max, pg.min], ids=name)
def test_empty_extreme_is_a_value_error(op: Any) -> None:
    x = pg.variable(np.ones((0, 3)))
    with pytest.raises(ValueError, match=rf"{name(op)}: cannot reduce an empty axis of shape \(0, 3\)"):
        op(x, 0)
    assert op(x, 1).shape == (0,)  # reducing a non-empty axis of an empty array is fine


# properties -------------------------------------------------------------------------------


@settings(max_examples=400)
@given(
    op=st.sampled_from(REDUCTIONS),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
    dtype=st.sampled_from([np.float64, np.float32]),
    keepdims=st.booleans(),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_property_reductions_match_numpy_and_finite_differences(
    op: Any,
    shape: tuple[int, ...],
    dtype: type[np.floating[Any]],
    keepdims: bool,
    seed: int,
    data: st.DataObject,
) -> None:
    axis = data.draw(
        st.none()
        | hnp.valid_tuple_axes(len(shape))
        | (st.integers(-len(shape), len(shape) - 1) if shape else st.none())
    )
    # Distinct values a step of 0.01 apart, shuffled: ties (where max is not differentiable)
    # come only from the explicit tie tests above.
    size = int(np.prod(shape))
    a = (np.random.default_rng(seed).permutation(size).reshape(shape) * 0.01).astype(dtype)
    y = op(pg.variable(a), axis, keepdims)
    expected = NUMPY[op](a, axis=axis, keepdims=keepdims)
    assert y.dtype == dtype and y.shape == np.shape(expected)
    np.testing.assert_allclose(y.value, expected, rtol=1e-6)
    pg.check_grad(lambda x: op(x, axis, keepdims), a)

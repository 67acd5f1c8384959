"""nn ops: clip, softmax, log_softmax, mean_squared_error, softmax_cross_entropy, stop_gradient."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import puregrad as pg
from tests.helpers import HIGHER, check_orders, rand

FLOATS = [np.float64, np.float32]


# clip -----------------------------------------------------------------------------------------


def test_clip_values_and_inclusive_gradient_mask() -> None:
    x = pg.variable(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
    y = pg.clip(x, -1.0, 1.0)
    np.testing.assert_array_equal(y.value, [-1.0, -1.0, 0.0, 1.0, 1.0])
    # The bounds are inclusive: x exactly at a bound gets the gradient.
    np.testing.assert_array_equal(pg.backward(pg.sum(y))[x].value, [0.0, 1.0, 1.0, 1.0, 0.0])
    only_min = pg.clip(x, 0, None)
    np.testing.assert_array_equal(only_min.value, [0.0, 0.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(pg.backward(pg.sum(only_min))[x].value, [0, 0, 1, 1, 1])
    only_max = pg.clip(x, None, 0)
    np.testing.assert_array_equal(pg.backward(pg.sum(only_max))[x].value, [1, 1, 1, 0, 0])
    neither = pg.clip(x, None, None)
    np.testing.assert_array_equal(neither.value, x.value)
    np.testing.assert_array_equal(pg.backward(pg.sum(neither))[x].value, np.ones(5))
    # numpy.clip on a node is this op.
    via_numpy = np.clip(x, -1.0, 1.0)
    assert type(via_numpy) is pg.Node
    np.testing.assert_array_equal(via_numpy.value, y.value)


@pytest.mark.parametrize("dtype", FLOATS)
def test_clip_matches_finite_differences_away_from_the_bounds(dtype: type[np.floating[Any]]) -> None:
    x = np.array([-1.7, -0.8, -0.2, 0.3, 0.9, 1.6], dtype)
    pg.check_grad(lambda v: pg.clip(v, -1.0, 1.0), x)
    v = pg.variable(x)
    y = pg.clip(v, np.float64(-1.0), 1)
    assert y.dtype == dtype  # numpy scalar bounds do not promote float32
    assert pg.backward(pg.sum(y))[v].dtype == dtype
    # Piecewise linear, so differentiable again: d/dx (x * clip(x)) to third order.
    if dtype == np.float64:
        check_orders(lambda v: v * pg.clip(v, -1.0, 1.0), x, order=3)


def test_clip_second_derivative_is_zero() -> None:
    x = pg.variable(np.array([-2.0, 0.5, 2.0]))
    g = pg.backward(pg.sum(pg.clip(x, -1.0, 1.0) ** 2), HIGHER)[x]
    np.testing.assert_array_equal(g.value, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(pg.backward(pg.sum(g))[x].value, [0.0, 2.0, 0.0])


def test_clip_bounds_must_be_scalars() -> None:
    x = pg.variable(np.ones(3))
    with pytest.raises(TypeError, match="clip: x_min must be a real scalar or None, got str"):
        pg.clip(x, "0", 1.0)  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(TypeError, match="clip: x_max must be a real scalar or None, got ndarray"):
        pg.clip(x, 0.0, np.ones(3))  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(TypeError, match="clip: x_max must be a real scalar or None, got bool"):
        pg.clip(x, 0.0, True)


@settings(max_examples=60)
@given(
    x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), elements=st.floats(-3, 3)),
    x_min=st.none() | st.floats(-2, 1),
    x_max=st.none() | st.floats(-1, 2),
)
def test_clip_property_matches_numpy_and_the_inclusive_mask(
    x: np.ndarray[Any, Any], x_min: float | None, x_max: float | None
) -> None:
    v = pg.variable(x)
    y = pg.clip(v, x_min, x_max)
    np.testing.assert_array_equal(y.value, np.clip(x, x_min, x_max))
    inside = np.ones(x.shape, bool)
    if x_min is not None:
        inside &= x >= x_min
    if x_max is not None:
        inside &= x <= x_max
    np.testing.assert_array_equal(pg.backward(pg.sum(y * 2.0))[v].value, 2.0 * inside)


# softmax and log_softmax --------------------------------------------------------------------------


def test_softmax_exact_values_and_rows_sum_to_one() -> None:
    y = pg.softmax(pg.variable(np.array([[0.0, np.log(3.0)], [5.0, 5.0]])))
    np.testing.assert_allclose(y.value, [[0.25, 0.75], [0.5, 0.5]], rtol=1e-15)
    x = rand(4, 5, low=-5, high=5)
    np.testing.assert_allclose(pg.softmax(x).value.sum(axis=-1), np.ones(4), rtol=1e-15)
    np.testing.assert_allclose(pg.softmax(x, axis=0).value.sum(axis=0), np.ones(5), rtol=1e-15)
    np.testing.assert_allclose(pg.softmax(x, axis=None).value.sum(), 1.0, rtol=1e-15)
    # Shifting the logits changes nothing; the gradient of a row sum is 0.
    np.testing.assert_allclose(pg.softmax(x + 100.0).value, pg.softmax(x).value, rtol=1e-12)
    v = pg.variable(x)
    np.testing.assert_allclose(pg.backward(pg.sum(pg.softmax(v)))[v].value, 0.0, atol=1e-15)


@pytest.mark.parametrize("axis", [-1, 0, (0, 1), None])
def test_softmax_and_log_softmax_to_third_order(axis: int | tuple[int, ...] | None) -> None:
    x = rand(3, 4, low=-2, high=2)
    check_orders(lambda v: pg.softmax(v, axis=axis), x, order=3)
    check_orders(lambda v: pg.log_softmax(v, axis=axis), x, order=3)


@pytest.mark.parametrize("op", [pg.softmax, pg.log_softmax], ids=lambda f: f.__name__)
def test_softmax_float32_keeps_dtype_and_gradient(op: Any) -> None:
    x = rand(3, 4, dtype=np.float32, low=-2, high=2)
    v = pg.variable(x)
    y = op(v)
    assert y.dtype == np.float32
    assert pg.backward(pg.sum(y * y))[v].dtype == np.float32
    pg.check_grad(op, x)


def test_log_softmax_is_log_of_softmax_and_stable() -> None:
    x = rand(3, 5, low=-3, high=3)
    np.testing.assert_allclose(pg.log_softmax(x).value, np.log(pg.softmax(x).value), rtol=1e-12)
    big = pg.variable(np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]]))
    y = pg.log_softmax(big)
    np.testing.assert_allclose(y.value[0], [0.0, -1e4, -2e4])
    np.testing.assert_allclose(y.value[1], -np.log(3.0))
    s = pg.softmax(big)
    np.testing.assert_allclose(s.value, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    for out in (y, s):
        g = pg.backward(pg.sum(out * np.arange(3.0)))[big]
        assert np.all(np.isfinite(g.value))


def test_softmax_axis_errors() -> None:
    x = pg.variable(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"softmax: axis 2 is out of bounds .*\(input shape \(2, 3\)\)"):
        pg.softmax(x, axis=2)
    with pytest.raises(ValueError, match=r"log_softmax: axis -3 is out of bounds"):
        pg.log_softmax(x, axis=-3)
    with pytest.raises(ValueError, match=r"softmax: axis -1 is out of bounds .*\(input shape \(\)\)"):
        pg.softmax(pg.variable(1.0))
    with pytest.raises(TypeError, match="softmax: axis must be None, an int or a tuple of ints"):
        pg.softmax(x, axis="rows")  # type: ignore[call-overload]  # the misuse under test


# mean_squared_error ------------------------------------------------------------------------------


def test_mean_squared_error_exact_value_and_gradient() -> None:
    x0 = pg.variable(np.array([1.0, 3.0, -2.0]))
    x1 = pg.variable(np.array([0.0, 1.0, 1.0]))
    y = pg.mean_squared_error(x0, x1)
    assert y.shape == () and float(y.value) == (1 + 4 + 9) / 3
    grads = pg.backward(y)
    np.testing.assert_allclose(grads[x0].value, 2 * (x0.value - x1.value) / 3)
    np.testing.assert_allclose(grads[x1].value, -2 * (x0.value - x1.value) / 3)
    # The mean is over every element after broadcasting (here 2 * 3 of them).
    w = pg.variable(np.array([1.0, 2.0, 3.0]))
    z = pg.mean_squared_error(w, np.zeros((2, 3)))
    assert float(z.value) == (1 + 4 + 9) / 3
    np.testing.assert_allclose(pg.backward(z)[w].value, 2 * w.value / 3)
    assert float(pg.mean_squared_error(2.0, pg.variable(np.array([1.0, 4.0]))).value) == 2.5


@pytest.mark.parametrize(("s0", "s1"), [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((), (2, 2))])
def test_mean_squared_error_to_third_order_with_broadcasting(
    s0: tuple[int, ...], s1: tuple[int, ...]
) -> None:
    check_orders(pg.mean_squared_error, rand(*s0, seed=1), rand(*s1, seed=2), order=3)
    x0, x1 = rand(*s0, seed=1, dtype=np.float32), rand(*s1, seed=2, dtype=np.float32)
    pg.check_grad(pg.mean_squared_error, x0, x1)
    assert pg.mean_squared_error(pg.variable(x0), x1).dtype == np.float32


@settings(max_examples=60)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    dtype=st.sampled_from(FLOATS),
    seed=st.integers(0, 2**16),
)
def test_mean_squared_error_property_broadcasting(
    shapes: hnp.BroadcastableShapes, dtype: type[np.floating[Any]], seed: int
) -> None:
    s0, s1 = shapes.input_shapes
    x0, x1 = rand(*s0, dtype=dtype, seed=seed), rand(*s1, dtype=dtype, seed=seed + 1)
    y = pg.mean_squared_error(pg.variable(x0), x1)
    assert y.shape == () and y.dtype == dtype
    np.testing.assert_allclose(y.value, np.mean((x0 - x1) ** 2), rtol=1e-5)
    pg.check_grad(pg.mean_squared_error, x0, x1)


def test_mean_squared_error_errors() -> None:
    with pytest.raises(
        ValueError, match=r"mean_squared_error: cannot broadcast shapes \(2, 3\) and \(4,\)"
    ):
        pg.mean_squared_error(pg.variable(np.ones((2, 3))), np.ones(4))
    with pytest.raises(ValueError, match=r"mean_squared_error: no elements \(shapes \(0,\) and \(0,\)\)"):
        pg.mean_squared_error(pg.variable(np.ones(0)), np.ones(0))


# softmax_cross_entropy -----------------------------------------------------------------------------


def test_softmax_cross_entropy_known_values() -> None:
    # Uniform logits: the loss is log(C) for every label.
    assert float(pg.softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3])).value) == pytest.approx(
        np.log(4.0), rel=1e-15
    )
    x = pg.variable(np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]))
    t = np.array([2, 0])
    y = pg.softmax_cross_entropy(x, t)
    expected = (np.log(np.exp(1) + np.exp(2) + np.exp(3)) - 3 + np.log(3)) / 2
    assert float(y.value) == pytest.approx(expected, rel=1e-15)
    # Its gradient: (softmax(x) - onehot(t)) / N.
    onehot = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        pg.backward(y)[x].value, (pg.softmax(x.value).value - onehot) / 2, rtol=1e-14
    )
    # It equals the mean of -log_softmax at the labels (composed from other ops).
    composed = -pg.sum(pg.log_softmax(x) * onehot) / 2
    assert float(y.value) == pytest.approx(float(composed.value), rel=1e-14)


def test_softmax_cross_entropy_to_third_order() -> None:
    t = np.array([0, 3, 1, 3])
    check_orders(lambda v: pg.softmax_cross_entropy(v, t), rand(4, 5, low=-2, high=2), order=3)
    # Labels as a constant node, and unsigned labels.
    check_orders(
        lambda v: pg.softmax_cross_entropy(v, pg.constant(t.astype(np.uint8))),
        rand(4, 5, seed=3),
        order=2,
    )


def test_softmax_cross_entropy_float32() -> None:
    x = rand(3, 4, dtype=np.float32, low=-2, high=2)
    t = np.array([1, 0, 3])
    v = pg.variable(x)
    y = pg.softmax_cross_entropy(v, t)
    assert y.dtype == np.float32 and pg.backward(y)[v].dtype == np.float32
    pg.check_grad(lambda u: pg.softmax_cross_entropy(u, t), x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_cross_entropy_is_stable_for_large_logits(dtype: type[np.floating[Any]]) -> None:
    x = pg.variable(np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, 1e4], [1e4, 1e4, 0.0]], dtype))
    t = np.array([2, 2, 0])
    y = pg.softmax_cross_entropy(x, t)
    assert np.isfinite(y.value)
    assert float(y.value) == pytest.approx((2e4 + 0.0 + np.log(2.0)) / 3, rel=1e-6)
    g = pg.backward(y, HIGHER)[x]
    assert np.all(np.isfinite(g.value))
    np.testing.assert_allclose(g.value[0], [1 / 3, 0.0, -1 / 3], atol=1e-7)
    assert np.all(np.isfinite(pg.backward(pg.sum(g * g))[x].value))


def test_softmax_cross_entropy_errors() -> None:
    x = pg.variable(np.zeros((3, 5)))
    name = "softmax_cross_entropy"
    with pytest.raises(TypeError, match=f"{name}: labels must be integers, got dtype float64"):
        pg.softmax_cross_entropy(x, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match=f"{name}: labels must be integers, got dtype bool"):
        pg.softmax_cross_entropy(x, np.array([True, False, True]))
    with pytest.raises(ValueError, match=rf"{name}: labels of shape \(2,\) for logits of shape \(3, 5\); expected \(3,\)"):
        pg.softmax_cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=rf"{name}: labels of shape \(3, 1\)"):
        pg.softmax_cross_entropy(x, np.array([[0], [1], [2]]))
    with pytest.raises(ValueError, match=rf"{name}: labels must be in \[0, 5\) for logits of shape \(3, 5\), got 5"):
        pg.softmax_cross_entropy(x, np.array([0, 5, 1]))
    with pytest.raises(ValueError, match=rf"{name}: labels must be in \[0, 5\).*got -1"):
        pg.softmax_cross_entropy(x, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=rf"{name}: logits must be 2-D \(N, C\), got shape \(5,\)"):
        pg.softmax_cross_entropy(pg.variable(np.zeros(5)), np.array([1]))
    with pytest.raises(ValueError, match=rf"{name}: empty batch \(logits of shape \(0, 5\)\)"):
        pg.softmax_cross_entropy(pg.variable(np.zeros((0, 5))), np.zeros(0, np.int64))
    with pytest.raises(TypeError, match=f"{name}: expected a Node, numpy.ndarray or scalar, got list"):
        pg.softmax_cross_entropy(x, [0, 1, 2])  # type: ignore[arg-type]  # the misuse under test


@settings(max_examples=40)
@given(
    n=st.integers(1, 4),
    c=st.integers(1, 5),
    dtype=st.sampled_from(FLOATS),
    scale=st.sampled_from([1.0, 10.0]),
    seed=st.integers(0, 2**16),
)
def test_softmax_cross_entropy_property(
    n: int, c: int, dtype: type[np.floating[Any]], scale: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = (scale * rng.standard_normal((n, c))).astype(dtype)
    t = rng.integers(0, c, n)
    y = pg.softmax_cross_entropy(pg.variable(x), t)
    reference = -np.mean(pg.log_softmax(x.astype(np.float64)).value[np.arange(n), t])
    assert y.dtype == dtype
    np.testing.assert_allclose(float(y.value), reference, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
    pg.check_grad(lambda v: pg.softmax_cross_entropy(v, t), x)


# stop_gradient ----------------------------------------------------------------------------------


def test_stop_gradient_keeps_the_value_and_stops_the_gradient() -> None:
    x = pg.variable(np.array([1.0, 2.0, 3.0]), name="x")
    s = pg.stop_gradient(x)
    assert s.value is x.value and not s.requires_grad and s.origin is None
    assert pg.stop_gradient(s) is s
    # d/dx (x * c) with c = x held constant is c, not 2x.
    g = pg.backward(pg.sum(x * pg.stop_gradient(x)))[x]
    np.testing.assert_array_equal(g.value, x.value)
    # Through an op too, and at higher order.
    y = pg.exp(x)
    g2 = pg.backward(pg.sum(x * pg.stop_gradient(y)), HIGHER)[x]
    np.testing.assert_array_equal(g2.value, y.value)
    with pytest.raises(ValueError, match="backward: no output requires grad"):
        pg.backward(g2)
    with pytest.raises(ValueError, match="backward: no output requires grad"):
        pg.backward(pg.sum(pg.stop_gradient(y)))


def test_stop_gradient_of_arrays_and_scalars_is_a_constant() -> None:
    a = np.array([1.0, 2.0])
    c = pg.stop_gradient(a)
    assert not c.requires_grad and c.dtype == np.float64
    np.testing.assert_array_equal(c.value, a)
    assert pg.stop_gradient(np.float32(2.0)).dtype == np.float32
    assert float(pg.stop_gradient(3.0).value) == 3.0
    with pytest.raises(TypeError, match="constant: expected a numpy.ndarray or a scalar, got list"):
        pg.stop_gradient([1.0])  # type: ignore[call-overload]  # the misuse under test

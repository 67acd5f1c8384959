"""numpy's reductions on nodes (issue 8): prod, var, std, cumsum, cumprod, logsumexp, argmax,
argmin. Values equal numpy's both ways; finite differences to the third order on random axes;
prod and cumprod with zeros; logsumexp with huge inputs; float32."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import puregrad as pg
from tests.helpers import HIGHER, check_orders, rand

AXES: list[Any] = [None, 0, -1, (0, 2)]


def node(y: object) -> pg.Node[Any]:
    """What numpy gave on a node: a Node (numpy's stubs cannot say so; this checks it)."""
    assert type(y) is pg.Node, f"numpy gave {type(y).__name__}, not a Node"
    return y


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
def test_reduction_values_equal_numpy_both_ways(axis: Any, keepdims: bool) -> None:
    a = rand(2, 3, 4, seed=1, low=0.5, high=1.5)
    x = pg.variable(a)
    pairs = [
        (pg.prod(x, axis, keepdims), np.prod(a, axis=axis, keepdims=keepdims)),
        (np.prod(x, axis, keepdims=keepdims), np.prod(a, axis=axis, keepdims=keepdims)),
        (pg.var(x, axis, keepdims=keepdims), np.var(a, axis=axis, keepdims=keepdims)),
        (np.var(x, axis, ddof=1, keepdims=keepdims), np.var(a, axis=axis, ddof=1, keepdims=keepdims)),
        (pg.std(x, axis, ddof=1, keepdims=keepdims), np.std(a, axis=axis, ddof=1, keepdims=keepdims)),
        (np.std(x, axis=axis, keepdims=keepdims), np.std(a, axis=axis, keepdims=keepdims)),
    ]
    shift = np.max(a, axis=axis, keepdims=True)
    reference = np.log(np.sum(np.exp(a - shift), axis=axis, keepdims=True)) + shift
    if not keepdims:
        reference = np.reshape(reference, np.shape(np.sum(a, axis=axis)))
    pairs.append((pg.logsumexp(x, axis, keepdims), reference))
    for y, expected in pairs:
        assert type(y) is pg.Node and y.shape == np.shape(expected)
        np.testing.assert_allclose(y.value, expected, rtol=1e-14)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_running_values_equal_numpy_both_ways(axis: Any) -> None:
    a = rand(2, 3, 4, seed=2)
    x = pg.variable(a)
    running: list[tuple[Any, Any]] = [(pg.cumsum, np.cumsum), (pg.cumprod, np.cumprod)]
    for op, function in running:
        for y in (op(x, axis), node(function(x, axis)), node(function(x, axis=axis))):
            assert y.origin is not None and y.origin.name == op.__name__
            np.testing.assert_array_equal(y.value, function(a, axis=axis))


@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
def test_smooth_reductions_to_third_order(axis: Any) -> None:
    a = rand(2, 3, 2, seed=3, low=0.5, high=1.5)
    check_orders(lambda x: pg.prod(x, axis), a, order=3)
    check_orders(lambda x: np.var(x, axis, ddof=1), a, order=3)
    check_orders(lambda x: np.std(x, axis, keepdims=True), a, order=3)
    check_orders(lambda x: pg.logsumexp(x, axis), a, order=3)


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_running_sums_and_products_to_third_order(axis: Any) -> None:
    a = rand(3, 3, seed=4, low=0.5, high=1.5)
    check_orders(lambda x: pg.sin(node(np.cumsum(x, axis))), a, order=3)
    check_orders(lambda x: node(np.cumprod(x, axis)), a, order=3)


def test_float32_stays_float32_and_meets_its_tolerance() -> None:
    a = rand(3, 4, dtype=np.float32, seed=5, low=0.5, high=1.5)
    for f in (
        lambda x: pg.prod(x, 1),
        lambda x: pg.var(x, 0, ddof=1),
        lambda x: pg.std(x),
        lambda x: pg.logsumexp(x, -1),
        lambda x: pg.cumsum(x, 0) * x,
        lambda x: pg.cumprod(x, 1),
    ):
        x = pg.variable(a)
        y = f(x)
        assert y.dtype == np.float32
        g = pg.backward(pg.sum(y), HIGHER)[x]
        assert g.dtype == np.float32 and pg.backward(pg.sum(g * g))[x].dtype == np.float32
        check_orders(f, a, order=2)


def test_exact_values_of_var_and_std_gradients() -> None:
    x = pg.variable(np.array([1.0, 2.0, 3.0, 6.0]))  # mean 3
    np.testing.assert_allclose(pg.backward(pg.var(x))[x].value, [-1.0, -0.5, 0.0, 1.5])
    np.testing.assert_allclose(pg.backward(pg.var(x, ddof=1))[x].value, [-4 / 3, -2 / 3, 0.0, 2.0])
    std = np.sqrt(14 / 4)
    np.testing.assert_allclose(pg.backward(pg.std(x))[x].value, np.array([-2, -1, 0, 3]) / (4 * std))


# zeros in prod and cumprod --------------------------------------------------------------------


def others(a: Any) -> Any:
    """The product of the other elements, by brute force."""
    return np.array([np.prod(np.delete(a, i)) for i in range(a.size)])


@pytest.mark.parametrize("zeros", [[1], [0, 2], [0, 1, 3]], ids=["one", "two", "three"])
def test_prod_gradient_with_zeros_is_the_product_of_the_others(zeros: list[int]) -> None:
    a = np.array([1.5, -2.0, 0.5, 3.0])
    a[zeros] = 0.0
    x = pg.variable(a)
    np.testing.assert_array_equal(pg.backward(pg.prod(x))[x].value, others(a))
    np.testing.assert_array_equal(pg.backward(np.prod(x))[x].value, others(a))
    # d2 prod / dxi dxj = the product of all but i and j: finite differences agree.
    check_orders(pg.prod, a, order=3 if len(zeros) == 1 else 2)


def test_prod_with_zeros_along_an_axis_and_float32() -> None:
    a = rand(3, 2, 4, seed=6, low=0.5, high=1.5)
    a[0, 1, 2] = 0.0  # one zero in one group
    a[1, :, 0] = 0.0  # several in another
    a[2, 0, 1:3] = 0.0
    for axis in [None, 0, 2, (0, 2)]:
        check_orders(lambda x: pg.prod(x, axis), a, order=2)
    check_orders(lambda x: pg.prod(x, (1, 2)), a.astype(np.float32), order=2)


def test_cumprod_with_zeros() -> None:
    a = np.array([[1.5, 0.0, 2.0, -0.5], [0.0, 0.5, 0.0, 3.0]])
    x = pg.variable(a)
    g = pg.backward(pg.sum(pg.cumprod(x, 1)))[x].value
    brute = np.array([[sum(np.prod(np.delete(row[: i + 1], j)) for i in range(j, 4)) for j in range(4)] for row in a])
    np.testing.assert_allclose(g, brute, rtol=1e-15)
    pg.check_grad(lambda v: pg.cumprod(v, 1), a)
    # One zero per row, to every order (several zeros: the test below). The finite
    # differences step off the zero to +-6e-6, where the rule's division by x loses digits in
    # higher orders (about eps |y| / x**2), so they are taken in v = x / 100: steps of 6e-4.
    one_zero = np.array([[1.5, 0.0, 2.0, -0.5], [0.7, 0.5, 0.0, 3.0]])
    check_orders(lambda v: pg.cumprod(v * 100.0, 1), one_zero / 100, order=3)
    check_orders(lambda v: node(np.cumprod(v * 100.0)), np.array([0.0, 1.5, 2.0]) / 100, order=3)


def exact_derivative(x: Any, u: Any, wrt: tuple[int, ...], running: bool) -> float:
    """d/dx[wrt] of `sum(u * cumprod(x))` (running) or `u * prod(x)`, by the product rule:
    each term loses the factors in `wrt` (distinct) and keeps the rest."""
    if len(set(wrt)) < len(wrt):
        return 0.0  # every x appears at most once in each product
    ends = range(max(wrt), len(x)) if running else [len(x) - 1]
    return float(sum(u[i] * np.prod([x[m] for m in range(i + 1) if m not in wrt]) for i in ends))


@pytest.mark.parametrize("running", [True, False], ids=["cumprod", "prod"])
@pytest.mark.parametrize("zeros", [[2], [0, 2], [0, 2, 4], [3, 4]], ids=["one", "two", "three", "adjacent"])
def test_second_and_third_derivatives_with_zeros_are_exact(running: bool, zeros: list[int]) -> None:
    # Finite differences step off a zero, where the division rule loses digits in higher
    # orders; here the derivatives are compared with the product rule, term by term.
    x = np.array([0.8, 0.7, 1.3, 1.2, -0.9, 0.5])
    x[zeros] = 0.0
    n = len(x)
    rng = np.random.default_rng(9)
    u, v, w = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n)
    node_x = pg.variable(x)
    y = pg.cumprod(node_x) * u if running else pg.prod(node_x) * u[-1]
    g = pg.backward(pg.sum(y), HIGHER)[node_x]
    h = pg.backward(pg.sum(g * v), HIGHER)[node_x]
    t = pg.backward(pg.sum(h * w))[node_x]
    scale = u if running else np.eye(n)[-1] * u[-1]
    first = [exact_derivative(x, scale, (j,), running) for j in range(n)]
    second = [sum(exact_derivative(x, scale, (j, k), running) * v[k] for k in range(n)) for j in range(n)]
    third = [
        sum(exact_derivative(x, scale, (j, k, m), running) * v[k] * w[m] for k in range(n) for m in range(n))
        for j in range(n)
    ]
    np.testing.assert_allclose(g.value, first, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(h.value, second, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(t.value, third, rtol=1e-13, atol=1e-15)


# logsumexp --------------------------------------------------------------------------------------


def test_logsumexp_is_stable_in_value_and_gradient() -> None:
    a = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1000.0]])
    x = pg.variable(a)
    y = pg.logsumexp(x, axis=1)
    shift = np.log(2 + np.exp(-1.0))
    np.testing.assert_allclose(y.value, [1000.0 + shift, -1000.0 + shift], rtol=1e-15)
    g = pg.backward(pg.sum(y), HIGHER)[x]
    soft = np.exp(a - a.max(axis=1, keepdims=True))
    soft /= soft.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(g.value, soft, rtol=1e-12)
    h = pg.backward(pg.sum(g * g))[x].value  # the second derivative stays finite too
    assert np.all(np.isfinite(h))
    big = np.float32(1e30)  # float32 with values near its largest: no overflow
    z = pg.variable(np.array([big, big], np.float32))
    assert pg.logsumexp(z).value == np.float32(1e30) and pg.logsumexp(z).dtype == np.float32
    assert pg.backward(pg.logsumexp(z))[z].value.tolist() == [0.5, 0.5]
    inf = pg.logsumexp(pg.constant(np.array([-np.inf, -np.inf])))
    assert inf.value == -np.inf  # an empty sum, as scipy


# ufunc methods --------------------------------------------------------------------------------


def test_ufunc_reduce_and_accumulate_are_the_reductions() -> None:
    a = rand(2, 3, seed=8, low=0.5, high=1.5)
    x = pg.variable(a)
    pairs: list[tuple[Any, str, Any, dict[str, Any]]] = [
        (np.add.reduce, "sum", np.add.reduce, {}),
        (np.multiply.reduce, "prod", np.multiply.reduce, {"axis": 1, "keepdims": True}),
        (np.maximum.reduce, "max", np.maximum.reduce, {"axis": None}),
        (np.minimum.reduce, "min", np.minimum.reduce, {"axis": -1}),
        (np.add.accumulate, "cumsum", np.add.accumulate, {}),
        (np.multiply.accumulate, "cumprod", np.multiply.accumulate, {"axis": 1}),
    ]
    for method, op_name, reference, kwargs in pairs:
        y = node(method(x, **kwargs))
        assert y.origin is not None and y.origin.name == op_name
        np.testing.assert_allclose(y.value, reference(a, **kwargs), rtol=1e-15)
        pg.check_grad(lambda v: node(method(v, **kwargs)), a)
    with pytest.raises(TypeError, match="numpy.add.reduce on puregrad nodes: .*dtype"):
        np.add.reduce(x, dtype=np.float32)
    with pytest.raises(TypeError, match="numpy.multiply.reduce on puregrad nodes: .*initial"):
        np.multiply.reduce(x, initial=2.0)
    with pytest.raises(TypeError, match="numpy.add.accumulate on puregrad nodes: .*out"):
        np.add.accumulate(x, out=np.empty((2, 3)))


# argmax and argmin ------------------------------------------------------------------------------


def test_argmax_argmin_give_plain_index_arrays() -> None:
    a = rand(3, 4, seed=7)
    x = pg.variable(a)
    for function in (np.argmax, np.argmin):
        op = pg.argmax if function is np.argmax else pg.argmin
        for axis, keepdims in [(None, False), (0, False), (-1, True)]:
            for got in (op(x, axis, keepdims), function(x, axis, keepdims=keepdims)):
                assert type(got) is np.ndarray and got.dtype == np.intp
                np.testing.assert_array_equal(got, function(a, axis=axis, keepdims=keepdims))
    with pytest.raises(ValueError, match=r"argmax: axis 2 is out of bounds for shape \(3, 4\)"):
        pg.argmax(x, 2)
    with pytest.raises(TypeError, match="numpy.argmax on puregrad nodes: .*out"):
        np.argmax(x, out=np.empty((), np.intp))


def test_errors_name_the_op() -> None:
    x = pg.variable(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"cumsum: axis 2 is out of bounds for shape \(2, 3\)"):
        pg.cumsum(x, 2)
    with pytest.raises(TypeError, match="cumprod: axis must be an int, got"):
        pg.cumprod(x, (0, 1))  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(TypeError, match="var: ddof must be an int"):
        pg.var(x, ddof=0.5)  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(ValueError, match="prod: .*out of bounds"):
        pg.prod(x, 3)
    with pytest.raises(TypeError, match="numpy.prod on puregrad nodes: .*dtype"):
        np.prod(x, dtype=np.float32)
    with pytest.raises(TypeError, match="numpy.var on puregrad nodes: .*where"):
        np.var(x, where=np.ones((2, 3), bool))
    with pytest.raises(TypeError, match="numpy.cumsum on puregrad nodes: .*out"):
        np.cumsum(x, out=np.empty(6))
    with pytest.raises(ValueError, match=r"logsumexp: cannot reduce an empty axis of shape \(0,\)"):
        pg.logsumexp(np.ones(0))


@settings(max_examples=40)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3),
    which=st.sampled_from(["prod", "var", "std", "logsumexp", "cumsum", "cumprod"]),
    dtype=st.sampled_from([np.float64, np.float32]),
    data=st.data(),
)
def test_random_axes_against_numpy_and_finite_differences(
    shape: tuple[int, ...], which: str, dtype: Any, data: Any
) -> None:
    a = np.random.default_rng(data.draw(st.integers(0, 2**16))).uniform(0.5, 1.5, shape).astype(dtype)
    if which in ("cumsum", "cumprod"):
        axis: Any = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
        op: Any = getattr(pg, which)
        y = op(pg.variable(a), axis)
        np.testing.assert_allclose(y.value, getattr(np, which)(a, axis=axis), rtol=1e-6)
        pg.check_grad(lambda x: op(x, axis), a)
        return
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), unique=True, min_size=1))
    axis = tuple(axes)
    keepdims = data.draw(st.booleans())
    if which == "prod":
        f: Any = lambda x: pg.prod(x, axis, keepdims)  # noqa: E731
    elif which == "logsumexp":
        f = lambda x: pg.logsumexp(x, axis, keepdims)  # noqa: E731
    else:
        count = int(np.prod([shape[d] for d in axes]))
        if count < 2:
            return  # ddof=1 over one element divides by zero
        f = lambda x: getattr(pg, which)(x, axis, ddof=1, keepdims=keepdims)  # noqa: E731
    y = f(pg.variable(a))
    assert y.dtype == dtype
    pg.check_grad(f, a)

"""grad, value_and_grad and vjp: JAX's semantics on ndarrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import rand


def loss(w: pg.Node[np.float64], x: NDArray[np.float64], scale: float = 1.0) -> pg.Node[np.float64]:
    return scale * pg.sum(pg.exp(pg.matmul(x, w)))


Value = pg.Node[np.float64] | NDArray[np.float64]


def quadratic(a: Value, b: Value) -> pg.Node[np.float64]:
    # The arguments not differentiated reach f as the arrays they are (as in JAX).
    return pg.sum(a * a * b)


def test_grad_matches_backward_and_the_formula() -> None:
    x = rand(4, 3, seed=1)
    w = rand(3, seed=2)
    g = pg.grad(loss)(w, x)
    assert type(g) is np.ndarray and g.shape == (3,) and g.dtype == np.float64
    np.testing.assert_allclose(g, x.T @ np.exp(x @ w), rtol=1e-14)
    wv = pg.variable(w)
    np.testing.assert_array_equal(g, pg.backward(loss(wv, x))[wv].value)
    # Keyword and extra positional arguments are passed to f unchanged.
    np.testing.assert_allclose(pg.grad(loss)(w, x, scale=2.0), 2 * g, rtol=1e-14)
    np.testing.assert_allclose(pg.grad(loss)(w, x, 3.0), 3 * g, rtol=1e-14)


def test_grad_argnums_int_and_tuple() -> None:
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    np.testing.assert_array_equal(pg.grad(quadratic)(a, b), 2 * a * b)
    np.testing.assert_array_equal(pg.grad(quadratic, argnums=1)(a, b), a * a)
    ga, gb = pg.grad(quadratic, argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, 2 * a * b)
    np.testing.assert_array_equal(gb, a * a)
    (gb_only,) = pg.grad(quadratic, argnums=(1,))(a, b)
    np.testing.assert_array_equal(gb_only, a * a)
    gb2, ga2 = pg.grad(quadratic, argnums=(1, 0))(a, b)
    np.testing.assert_array_equal(ga2, ga)
    np.testing.assert_array_equal(gb2, gb)
    assert pg.grad(quadratic, argnums=())(a, b) == ()


def test_unused_arguments_get_zeros_of_their_shape_and_dtype() -> None:
    def f(x: pg.Node[np.float32], y: pg.Node[np.float32]) -> pg.Node[np.float32]:
        return pg.sum(x * x)

    x, y = np.ones(2, np.float32), np.ones((2, 3), np.float32)
    gx, gy = pg.grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, 2 * x)
    assert gy.shape == (2, 3) and gy.dtype == np.float32 and not gy.any()
    # An output that depends on no argument at all: zeros everywhere, as JAX.
    const = pg.grad(lambda x: pg.constant(3.0))(np.ones(4))
    np.testing.assert_array_equal(const, np.zeros(4))
    value, g0 = pg.value_and_grad(lambda x: pg.constant(3.0))(np.ones(2))
    assert float(value) == 3.0 and not g0.any()


def test_value_and_grad() -> None:
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    value, g = pg.value_and_grad(quadratic)(a, b)
    assert value.shape == () and float(value) == 1 * 3 + 4 * 4
    np.testing.assert_array_equal(g, 2 * a * b)
    value, (ga, gb) = pg.value_and_grad(quadratic, argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(gb, a * a)
    value1, gb1 = pg.value_and_grad(quadratic, argnums=1)(a, b)
    np.testing.assert_array_equal(gb1, a * a)
    assert float(value1) == float(value) == 19.0


def test_float32_and_scalar_arguments() -> None:
    x = np.array([1.0, 2.0], np.float32)
    g = pg.grad(lambda v: pg.sum(v * v))(x)
    assert g.dtype == np.float32
    value, gv = pg.value_and_grad(lambda v: pg.sum(v * v))(x)
    assert value.dtype == np.float32 and gv.dtype == np.float32
    assert float(pg.grad(lambda v: v * v * v)(2.0)) == 12.0
    assert pg.grad(lambda v: v * v)(np.float32(3.0)).dtype == np.float32


def test_transforms_differentiate_inside_no_grad() -> None:
    with pg.no_grad():
        np.testing.assert_array_equal(pg.grad(lambda v: pg.sum(v * v))(np.ones(2)), [2.0, 2.0])
        _, vjp_fn = pg.vjp(lambda v: v * v, np.ones(2))
        np.testing.assert_array_equal(vjp_fn(np.ones(2))[0], [2.0, 2.0])


def test_results_are_the_callers_and_inputs_are_untouched() -> None:
    w = np.array([1.0, 2.0])
    g = pg.grad(lambda v: pg.sum(v * v))(w)
    w[0] = 100.0  # the argument was copied when it became a variable
    np.testing.assert_array_equal(g, [2.0, 4.0])


def test_vjp() -> None:
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    y, vjp_fn = pg.vjp(lambda u, v: u * v, a, b)
    np.testing.assert_array_equal(y, a * b)
    ct = np.array([1.0, 10.0, 100.0])
    ga, gb = vjp_fn(ct)
    np.testing.assert_array_equal(ga, ct * b)
    np.testing.assert_array_equal(gb, ct * a)
    # It may be called again, with another cotangent.
    ga2, _ = vjp_fn(2 * ct)
    np.testing.assert_array_equal(ga2, 2 * ct * b)
    # A matrix output: the VJP of x -> W @ x is W^T @ ct.
    w = rand(2, 3)
    (gx,) = pg.vjp(lambda x: pg.matmul(w, x), a)[1](np.array([1.0, -1.0]))
    np.testing.assert_allclose(gx, w.T @ np.array([1.0, -1.0]))
    # A scalar output takes a scalar cotangent; float32 stays float32; an unused input: zeros.
    y0, fn0 = pg.vjp(lambda u, v: pg.sum(u), a.astype(np.float32), b)
    gu, gv = fn0(2.0)
    assert y0.dtype == np.float32 and gu.dtype == np.float32
    np.testing.assert_array_equal(gu, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(gv, np.zeros(3))
    assert pg.vjp(lambda: pg.constant(1.0))[1](1.0) == ()


def test_f_must_return_a_scalar_node() -> None:
    with pytest.raises(ValueError, match=r"grad: f must return a node of shape \(\) \(a scalar\), got shape \(2,\)"):
        pg.grad(lambda x: x * x)(np.ones(2))
    with pytest.raises(ValueError, match=r"value_and_grad: f must return a node of shape \(\)"):
        pg.value_and_grad(lambda x: x)(np.ones((1, 1)))
    with pytest.raises(TypeError, match="grad: f must return a puregrad Node, got float"):
        pg.grad(lambda x: 3.0)(np.ones(2))  # type: ignore[arg-type, return-value]  # the misuse under test
    with pytest.raises(TypeError, match="vjp: f must return a puregrad Node, got tuple"):
        pg.vjp(lambda x: (x, x), np.ones(2))  # type: ignore[arg-type, return-value]  # the misuse under test


def test_bad_argnums_and_arguments() -> None:
    with pytest.raises(TypeError, match=r"grad: argnums must be an int or a tuple of ints, got \[0, 1\]"):
        pg.grad(quadratic, argnums=[0, 1])  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(TypeError, match="value_and_grad: argnums must be an int or a tuple of ints, got True"):
        pg.value_and_grad(quadratic, argnums=True)
    with pytest.raises(ValueError, match=r"grad: argnums must be non-negative, got -1"):
        pg.grad(quadratic, argnums=-1)
    with pytest.raises(ValueError, match=r"grad: argnums has repeated entries: \(0, 0\)"):
        pg.grad(quadratic, argnums=(0, 0))
    with pytest.raises(TypeError, match=r"grad: argnums \(1,\) but the function was called with 1 positional argument"):
        pg.grad(quadratic, argnums=1)(np.ones(2))  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(TypeError, match="grad: argument 0: variable: needs a floating dtype, got int64"):
        pg.grad(lambda x: pg.sum(x))(np.arange(3))
    with pytest.raises(TypeError, match="grad: argument 0: variable: needs a floating dtype, got int64"):
        pg.grad(lambda x: pg.sum(x))(pg.constant(np.arange(3)))
    with pytest.raises(TypeError, match=r"vjp: argument 1: to_variables: .* got float at \[0\]"):
        pg.vjp(quadratic, np.ones(2), [1.0, 2.0])  # type: ignore[call-overload]  # the misuse under test


def test_vjp_cotangent_errors() -> None:
    _, vjp_fn = pg.vjp(lambda x: x * x, np.ones(3))
    with pytest.raises(ValueError, match=r"vjp: cotangent of shape \(2,\) for an output of shape \(3,\)"):
        vjp_fn(np.ones(2))
    with pytest.raises(ValueError, match=r"vjp: cotangent of shape \(\) for an output of shape \(3,\)"):
        vjp_fn(1.0)
    with pytest.raises(TypeError, match="vjp: the cotangent must be an ndarray or a scalar, got list"):
        vjp_fn([1.0, 2.0, 3.0])


def test_value_and_grad_and_grad_take_trees_of_arrays() -> None:
    def loss(p: Any, x: float) -> pg.Node[np.float64]:
        return pg.sum(p["w"] * x) + pg.sum(p["b"][0] ** 2)

    params: dict[str, Any] = {"w": np.array([1.0, 2.0]), "b": [np.array([3.0]), np.zeros(2)]}
    # At run time any argument may be a tree; statically value_and_grad is typed for arrays,
    # and pg.tree_value_and_grad is the typed way to a tree's gradients.
    value_and_grad: Any = pg.value_and_grad(loss)
    value, grads = value_and_grad(params, 3.0)
    assert float(value) == 9.0 + 9.0
    assert list(grads) == ["w", "b"] and len(grads["b"]) == 2
    np.testing.assert_array_equal(grads["w"], [3.0, 3.0])
    np.testing.assert_array_equal(grads["b"][0], [6.0])
    np.testing.assert_array_equal(grads["b"][1], [0.0, 0.0])  # unused: zeros
    assert not grads["w"].flags.writeable
    grad: Any = pg.grad(loss)
    same = grad(params, 3.0)
    np.testing.assert_array_equal(same["b"][0], grads["b"][0])
    assert params["w"].tolist() == [1.0, 2.0]  # the caller's arrays are untouched

"""Composable transforms: nodes in, nodes out (nesting to any depth, a gradient penalty), and
jacobian, hessian, jvp and hvp against finite differences and analytic values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import rand

N64 = pg.Node[np.float64]


def numeric_jacobian(f: Callable[[NDArray[np.float64]], NDArray[np.float64]], x: NDArray[np.float64], eps: float = 1e-6) -> NDArray[np.float64]:
    """Central differences, column by column: shape f(x).shape + x.shape."""
    y = f(x)
    columns = []
    for k in range(x.size):
        flat = np.zeros(x.size)
        flat[k] = eps
        step = flat.reshape(x.shape)
        columns.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(y.shape + x.shape)


def vector_f(x: N64) -> N64:
    """R^(2, 3) -> R^4, with coupling between elements."""
    flat = pg.reshape(x, (6,))
    return pg.concat([pg.sin(flat[:2] * flat[2:4]), pg.exp(flat[4:]) * flat[0]])


def vector_f_numpy(x: NDArray[np.float64]) -> NDArray[np.float64]:
    flat = x.reshape(6)
    return np.concatenate([np.sin(flat[:2] * flat[2:4]), np.exp(flat[4:]) * flat[0]])


def scalar_f(x: N64) -> N64:
    return pg.sum(pg.sin(x) * x**2) + pg.sum(x) ** 2


def scalar_f_numpy(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.sum(np.sin(x) * x**2) + np.sum(x) ** 2)


# Nesting ------------------------------------------------------------------------------------


def test_nested_grad_to_depth_three_matches_the_analytic_derivatives() -> None:
    x = rand(5, seed=1)
    d1 = pg.grad(lambda z: pg.sum(pg.sin(z)))
    d2 = pg.grad(lambda y: pg.sum(d1(y)))
    d3 = pg.grad(lambda w: pg.sum(d2(w)))
    np.testing.assert_allclose(d1(x), np.cos(x), rtol=1e-14)
    np.testing.assert_allclose(d2(x), -np.sin(x), rtol=1e-14)
    np.testing.assert_allclose(d3(x), -np.cos(x), rtol=1e-14)
    assert type(d3(x)) is np.ndarray and not d3(x).flags.writeable


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nodes_in_give_nodes_with_their_graph(dtype: type[np.floating[Any]]) -> None:
    x = pg.variable(rand(4, dtype=dtype, seed=2))
    g = pg.grad(lambda v: pg.sum(v**3))(x)
    assert type(g) is pg.Node and g.requires_grad and g.dtype == dtype
    np.testing.assert_allclose(g.value, 3 * x.value**2, rtol=1e-6)
    np.testing.assert_allclose(pg.backward(pg.sum(g))[x].value, 6 * x.value, rtol=1e-6)
    value, g2 = pg.value_and_grad(lambda v: pg.sum(v**3))(x)
    assert type(value) is pg.Node and value.requires_grad
    np.testing.assert_allclose(pg.backward(value + pg.sum(g2))[x].value, 3 * x.value**2 + 6 * x.value, rtol=1e-6)
    # Every order against finite differences: grad of f as a function of nodes.
    pg.check_grad(lambda v: pg.grad(scalar_f)(v), rand(3, dtype=dtype, seed=3))
    pg.check_grad(lambda v: pg.grad(lambda u: pg.sum(pg.grad(scalar_f)(u) ** 2))(v), rand(3, dtype=dtype, seed=4))


def test_no_perturbation_confusion() -> None:
    # d/dx [x * d/dy (x * y) at y = x] = d/dx [x * x] = 2x (not 4x: the inner derivative is
    # with respect to y only, although y and the closed-over x are the same node).
    g = pg.grad(lambda x: x * pg.grad(lambda y: x * y)(x))(3.0)
    assert float(g) == 6.0
    # The same node differentiated as two arguments: each partial on its own.
    x = pg.variable(2.0)
    ga, gb = pg.grad(lambda a, b: a * a * b, argnums=(0, 1))(x, x)
    assert (float(ga.value), float(gb.value)) == (8.0, 4.0)


def test_the_partial_stops_at_the_argument_node() -> None:
    # x is an intermediate (x = 2 w): the gradient with respect to x is not pushed into w,
    # and differentiating it further reaches w through x.
    w = pg.variable(np.array([1.0, 2.0]))
    x = 2 * w
    g = pg.grad(lambda v: pg.sum(v**2))(x)
    np.testing.assert_array_equal(g.value, 2 * x.value)
    np.testing.assert_array_equal(pg.backward(pg.sum(g))[w].value, [4.0, 4.0])


def test_gradient_penalty_inside_a_loss() -> None:
    # WGAN-GP's shape: the critic's input gradient, squared, in the critic's own loss.
    data = rand(4, 3, seed=5)

    def critic(w: N64, x: N64 | NDArray[np.float64]) -> N64:
        return pg.sum(pg.tanh(pg.matmul(x, w)))

    def loss(w: N64) -> N64:
        input_gradient = pg.grad(lambda x: critic(w, x))(pg.constant(data))
        return critic(w, data) + pg.sum(input_gradient**2)

    pg.check_grad(loss, rand(3, 2, seed=6))
    g = pg.grad(loss)(rand(3, 2, seed=6))
    assert g.shape == (3, 2)
    # Given arrays, grad would return arrays that silently drop the dependence on w: refused.
    with pytest.raises(ValueError, match="grad: f depends on nodes that require grad besides its differentiated arguments"):
        pg.grad(lambda w: pg.sum(pg.grad(lambda x: critic(w, x))(data) ** 2))(rand(3, 2))


def test_trees_of_nodes_give_trees_of_nodes() -> None:
    b = pg.variable(np.array([3.0]))
    params = {"w": pg.variable(np.array([1.0, 2.0])), "b": [b]}

    def loss(p: Any) -> N64:
        return pg.sum(p["w"] ** 2 * p["b"][0])

    # Statically grad is typed for arrays and nodes; a tree goes through Any (as for arrays).
    grad_of_tree: Any = pg.grad(loss)
    grads = grad_of_tree(params)
    assert type(grads["w"]) is pg.Node and type(grads["b"][0]) is pg.Node
    np.testing.assert_array_equal(grads["w"].value, [6.0, 12.0])
    second = pg.backward(pg.sum(grads["w"]))
    np.testing.assert_array_equal(second[b].value, [6.0])
    # A constant node: differentiated through its ARGUMENT node.
    gc = pg.grad(lambda v: pg.sum(v * v))(pg.constant(np.array([1.0, -1.0])))
    np.testing.assert_array_equal(gc.value, [2.0, -2.0])


def test_vjp_with_nodes_is_linear_in_a_node_cotangent() -> None:
    x = pg.variable(rand(3, seed=7))
    y, vjp_fn = pg.vjp(lambda v: pg.sin(v) * v, x)
    assert type(y) is pg.Node
    u = pg.variable(rand(3, seed=8))
    (gx,) = vjp_fn(u)
    grads = pg.backward(pg.sum(gx))
    np.testing.assert_allclose(grads[u].value, np.sin(x.value) + x.value * np.cos(x.value), rtol=1e-14)
    np.testing.assert_allclose(
        grads[x].value, u.value * (2 * np.cos(x.value) - x.value * np.sin(x.value)), rtol=1e-14
    )
    with pytest.raises(TypeError, match="vjp: a Node cotangent needs node primals"):
        pg.vjp(lambda v: v * v, np.ones(3))[1](u)
    with pytest.raises(ValueError, match=r"vjp: cotangent of shape \(2,\) for an output of shape \(3,\)"):
        vjp_fn(pg.variable(np.ones(2)))


# jacobian and hessian -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jacobian_against_finite_differences(dtype: type[np.floating[Any]]) -> None:
    x = rand(2, 3, seed=9)
    jac = pg.jacobian(vector_f)(x.astype(dtype))
    assert jac.shape == (4, 2, 3) and jac.dtype == dtype
    tolerance = 1e-4 if dtype == np.float32 else 1e-8
    np.testing.assert_allclose(jac, numeric_jacobian(vector_f_numpy, x), atol=tolerance)


def test_jacobian_analytic_argnums_and_scalars() -> None:
    a = rand(3, 3, seed=10)
    x = rand(3, seed=11)
    np.testing.assert_allclose(pg.jacobian(lambda v: pg.matmul(a, v))(x), a, rtol=1e-15)
    np.testing.assert_allclose(pg.jacobian(lambda m, v: pg.matmul(m, v), argnums=1)(a, x), a, rtol=1e-15)
    ja, jx = pg.jacobian(lambda m, v: pg.matmul(m, v), argnums=(0, 1))(a, x)
    assert ja.shape == (3, 3, 3)
    np.testing.assert_allclose(ja[1, 1], x)  # d(Ax)_1 / dA_1j = x_j
    assert not ja[0, 1].any()
    # A scalar output: the gradient; an unused argument: zeros.
    np.testing.assert_allclose(pg.jacobian(scalar_f)(x), pg.grad(scalar_f)(x), rtol=1e-15)
    np.testing.assert_array_equal(pg.jacobian(lambda v: pg.constant(np.ones(2)))(x), np.zeros((2, 3)))


def test_hessian_analytic_and_against_finite_differences() -> None:
    x = rand(3, seed=12)
    # sum(x^3) + x0 x1: 6 diag(x) plus the coupling.
    h = pg.hessian(lambda v: pg.sum(v**3) + v[0] * v[1])(x)
    expected = np.diag(6 * x)
    expected[0, 1] = expected[1, 0] = 1.0
    np.testing.assert_allclose(h, expected, rtol=1e-14)
    numeric = numeric_jacobian(lambda v: pg.grad(scalar_f)(v), x)
    np.testing.assert_allclose(pg.hessian(scalar_f)(x), numeric, atol=1e-8)
    # A matrix argument: shape x.shape + x.shape; a node gives a node that differentiates again.
    m = rand(2, 2, seed=13)
    assert pg.hessian(lambda v: pg.sum(v**4))(m).shape == (2, 2, 2, 2)
    xv = pg.variable(x)
    hn = pg.hessian(lambda v: pg.sum(v**4))(xv)
    assert type(hn) is pg.Node
    np.testing.assert_allclose(pg.backward(pg.sum(hn))[xv].value, 24 * x, rtol=1e-14)
    with pytest.raises(TypeError, match="hessian: argnums must be an int or a tuple of ints"):
        pg.hessian(scalar_f, argnums=[0])  # type: ignore[call-overload]  # the misuse under test


# jvp and hvp --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jvp_against_finite_differences_and_the_jacobian(dtype: type[np.floating[Any]]) -> None:
    x = rand(2, 3, seed=14)
    t = rand(2, 3, seed=15)
    y, ty = pg.jvp(vector_f, (x.astype(dtype),), (t.astype(dtype),))
    assert y.dtype == ty.dtype == dtype and ty.shape == (4,)
    eps = 1e-6
    numeric = (vector_f_numpy(x + eps * t) - vector_f_numpy(x - eps * t)) / (2 * eps)
    tolerance = 1e-4 if dtype == np.float32 else 1e-8
    np.testing.assert_allclose(ty, numeric, atol=tolerance)
    jac = pg.jacobian(vector_f)(x)
    np.testing.assert_allclose(pg.jvp(vector_f, (x,), (t,))[1], jac.reshape(4, 6) @ t.reshape(6), rtol=1e-12)


def test_jvp_several_primals_scalars_and_unused() -> None:
    a, b = rand(3, seed=16), rand(3, seed=17)
    ta, tb = rand(3, seed=18), rand(3, seed=19)
    y, ty = pg.jvp(lambda u, v: u * v, (a, b), (ta, tb))
    np.testing.assert_allclose(ty, ta * b + a * tb, rtol=1e-14)
    _, t0 = pg.jvp(lambda u: u * u * u, (2.0,), (1.0,))
    assert float(t0) == 12.0
    _, tz = pg.jvp(lambda u, v: pg.sin(u), (a, b), (ta, tb))
    np.testing.assert_allclose(tz, np.cos(a) * ta, rtol=1e-14)
    _, tc = pg.jvp(lambda u: pg.constant(np.ones(2)), (a,), (ta,))
    np.testing.assert_array_equal(tc, np.zeros(2))
    _, ti = pg.jvp(lambda u: u, (a,), (ta,))  # the identity: the tangent itself
    np.testing.assert_array_equal(ti, ta)


def test_jvp_with_nodes_differentiates_again() -> None:
    t = rand(3, seed=20)
    # d/dx <J(x) t> for f = sin: J t = cos(x) t, its gradient -sin(x) t (summed).
    pg.check_grad(lambda v: pg.jvp(lambda u: pg.sin(u) * u, (v,), (t,))[1], rand(3, seed=21))
    x = pg.variable(rand(3, seed=21))
    _, tx = pg.jvp(pg.sin, (x,), (t,))
    assert type(tx) is pg.Node
    np.testing.assert_allclose(pg.backward(pg.sum(tx))[x].value, -np.sin(x.value) * t, rtol=1e-14)
    # A node tangent: the result is linear in it.
    tv = pg.variable(t)
    _, tt = pg.jvp(lambda u: u**3, (rand(3, seed=22),), (tv,))
    np.testing.assert_allclose(pg.backward(pg.sum(tt))[tv].value, 3 * rand(3, seed=22) ** 2, rtol=1e-14)


def test_jvp_errors() -> None:
    x = np.ones(3)
    with pytest.raises(TypeError, match="jvp: tangents must be a tuple"):
        pg.jvp(pg.sin, (x,), x)  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(TypeError, match="jvp: primals must be a tuple"):
        pg.jvp(pg.sin, x, (x,))  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(ValueError, match="jvp: 1 primals but 2 tangents"):
        pg.jvp(pg.sin, (x,), (x, x))
    with pytest.raises(ValueError, match=r"jvp: tangent 0 has shape \(2,\), its primal \(3,\)"):
        pg.jvp(pg.sin, (x,), (np.ones(2),))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hvp_matches_the_hessian_and_finite_differences(dtype: type[np.floating[Any]]) -> None:
    x, v = rand(4, seed=23), rand(4, seed=24)
    hv = pg.hvp(scalar_f, x.astype(dtype), v.astype(dtype))
    assert hv.dtype == dtype and hv.shape == (4,)
    tolerance = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(hv, pg.hessian(scalar_f)(x) @ v, atol=tolerance)
    eps = 1e-6
    numeric = (pg.grad(scalar_f)(x + eps * v) - pg.grad(scalar_f)(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(pg.hvp(scalar_f, x, v), numeric, atol=1e-7)
    # With nodes: differentiates again (third derivative of sum(x^4) along v: 24 x v).
    pg.check_grad(lambda u: pg.hvp(lambda w: pg.sum(w**4), u, v), x)
    with pytest.raises(ValueError, match=r"hvp: v has shape \(3,\), x \(4,\)"):
        pg.hvp(scalar_f, x, np.ones(3))
    with pytest.raises(ValueError, match=r"hvp: f must return a node of shape \(\)"):
        pg.hvp(pg.sin, x, v)


def test_nested_results_hold_no_reference_cycles() -> None:
    import gc
    import weakref

    gc.collect()
    gc.disable()
    try:
        x = pg.variable(np.ones(3))
        g = pg.grad(lambda v: pg.sum(pg.grad(scalar_f)(v) ** 2))(x)
        value, tangent = pg.jvp(scalar_f, (x,), (np.ones(3),))
        refs = [weakref.ref(n) for n in (g, value, tangent, x)]
        del g, value, tangent, x
        assert [r() for r in refs] == [None, None, None, None]
    finally:
        gc.enable()

"""jacobian and hessian with a tuple `argnums` (JAX's convention: a tuple of Jacobians, a
nested tuple of Hessian blocks) against central finite differences and analytic values,
arrays and nodes in, float32 and float64."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import rand

Arrays = tuple[NDArray[np.float64], ...]


def vector(a: pg.Node[Any], b: pg.Node[Any], scale: float = 1.0) -> pg.Node[Any]:
    """R^(2,) x R^(2, 3) -> R^3, coupling every element of both."""
    return pg.sin(pg.matmul(a, b)) * pg.sum(a * a) * scale


def vector_numpy(a: NDArray[np.float64], b: NDArray[np.float64], scale: float = 1.0) -> NDArray[np.float64]:
    return np.sin(a @ b) * np.sum(a * a) * scale


def scalar(a: pg.Node[Any], b: pg.Node[Any], c: pg.Node[Any]) -> pg.Node[Any]:
    return pg.sum(pg.exp(pg.matmul(a, b)) * c) + pg.sum(a**3) * pg.sum(c * c)


def numeric(f: Callable[..., Any], args: Arrays, j: int, eps: float = 1e-6) -> NDArray[np.float64]:
    """Central differences of f in args[j]: shape f(*args).shape + args[j].shape."""
    y = np.asarray(f(*args))
    columns = []
    for k in range(args[j].size):
        step = np.zeros(args[j].size)
        step[k] = eps
        up, down = list(args), list(args)
        up[j] = args[j] + step.reshape(args[j].shape)
        down[j] = args[j] - step.reshape(args[j].shape)
        columns.append((np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(y.shape + args[j].shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jacobian_of_a_tuple_of_arguments_against_finite_differences(dtype: type[np.floating[Any]]) -> None:
    a, b = rand(2, seed=1), rand(2, 3, seed=2)
    ja, jb = pg.jacobian(vector, argnums=(0, 1))(a.astype(dtype), b.astype(dtype), 2.0)
    assert ja.shape == (3, 2) and jb.shape == (3, 2, 3) and ja.dtype == jb.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-8
    f = lambda u, v: vector_numpy(u, v, 2.0)  # noqa: E731
    np.testing.assert_allclose(ja, numeric(f, (a, b), 0), atol=tol)
    np.testing.assert_allclose(jb, numeric(f, (a, b), 1), atol=tol)
    # Other orders and one-element tuples give the same blocks, in the order asked for.
    jb2, ja2 = pg.jacobian(vector, argnums=(1, 0))(a, b, 2.0)
    (jb3,) = pg.jacobian(vector, argnums=(1,))(a, b, 2.0)
    np.testing.assert_allclose(ja2, numeric(f, (a, b), 0), atol=1e-8)
    np.testing.assert_allclose(jb2, jb3, rtol=1e-15)
    np.testing.assert_allclose(jb2, numeric(f, (a, b), 1), atol=1e-8)


def test_jacobian_of_a_tuple_given_nodes_gives_nodes_that_differentiate_again() -> None:
    a, b = pg.variable(rand(2, seed=3)), pg.variable(rand(2, 3, seed=4))
    ja, jb = pg.jacobian(vector, argnums=(0, 1))(a, b)
    assert type(ja) is pg.Node and type(jb) is pg.Node
    grads = pg.backward(pg.sum(ja) + pg.sum(jb))
    # d/da of sum of all first derivatives, against differences of the numeric Jacobians.
    total = lambda u, v: np.sum(  # noqa: E731
        pg.jacobian(vector, argnums=(0, 1))(u, v)[0]
    ) + np.sum(pg.jacobian(vector, argnums=(0, 1))(u, v)[1])
    np.testing.assert_allclose(grads[a].value, numeric(total, (a.value, b.value), 0), atol=1e-7)
    np.testing.assert_allclose(grads[b].value, numeric(total, (a.value, b.value), 1), atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hessian_of_a_tuple_of_arguments_is_a_nested_tuple_of_blocks(dtype: type[np.floating[Any]]) -> None:
    args = (rand(2, seed=5), rand(2, 3, seed=6), rand(3, seed=7))
    typed = tuple(x.astype(dtype) for x in args)
    blocks = pg.hessian(scalar, argnums=(0, 1, 2))(*typed)
    assert len(blocks) == 3 and all(len(row) == 3 for row in blocks)
    tol = 2e-3 if dtype == np.float32 else 1e-6
    for i in range(3):
        for j in range(3):
            block = blocks[i][j]
            assert block.shape == args[i].shape + args[j].shape and block.dtype == dtype
            # H[i][j] = d/dx_j of the gradient in x_i.
            expected = numeric(lambda *xs: pg.grad(scalar, argnums=(0, 1, 2))(*xs)[i], args, j)
            np.testing.assert_allclose(block, expected, atol=tol, err_msg=f"block {i}, {j}")
    # Symmetric: H[j][i] is H[i][j] transposed (the argument axes swapped).
    h01, h10 = blocks[0][1], blocks[1][0]
    np.testing.assert_allclose(h10, np.transpose(h01, (1, 2, 0)), rtol=1e-5 if dtype == np.float32 else 1e-13)
    # An analytic block: d^2/da^2 of sum(a^3) sum(c^2) is 6 diag(a) sum(c^2), plus exp's.
    (haa,), = pg.hessian(lambda a, c: pg.sum(a**3) * pg.sum(c * c), argnums=(0,))(args[0], args[2])
    np.testing.assert_allclose(haa, np.diag(6 * args[0]) * np.sum(args[2] ** 2), rtol=1e-14)
    # The diagonal blocks equal the one-argument Hessian.
    np.testing.assert_allclose(
        pg.hessian(scalar, argnums=1)(*args),
        pg.hessian(scalar, argnums=(0, 1, 2))(*args)[1][1],
        rtol=1e-14,
    )


def test_hessian_of_a_tuple_given_nodes_and_an_unused_argument() -> None:
    a, c = pg.variable(rand(2, seed=8)), pg.variable(rand(2, seed=9))
    (haa, hac), (hca, hcc) = pg.hessian(lambda u, v: pg.sum(u * u * v), argnums=(0, 1))(a, c)
    for block in (haa, hac, hca, hcc):
        assert type(block) is pg.Node and block.shape == (2, 2)
    np.testing.assert_allclose(hac.value, np.diag(2 * a.value), rtol=1e-15)
    np.testing.assert_allclose(hcc.value, np.zeros((2, 2)))
    # Differentiates again: d/da of sum(H_ac) = d/da sum(2a) = 2.
    np.testing.assert_allclose(pg.backward(pg.sum(hac))[a].value, np.full(2, 2.0), rtol=1e-15)
    # An argument f does not use: zero blocks of the right shapes.
    blocks = pg.hessian(lambda u, v: pg.sum(u**3), argnums=(0, 1))(np.ones(2), np.ones(3))
    assert [[b.shape for b in row] for row in blocks] == [[(2, 2), (2, 3)], [(3, 2), (3, 3)]]
    assert not blocks[0][1].any() and not blocks[1][1].any()
    with pytest.raises(ValueError, match="hessian: argnums has repeated entries"):
        pg.hessian(scalar, argnums=(0, 0))

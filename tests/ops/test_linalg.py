"""matmul (1-D, 2-D, batched, broadcast batch axes), the @ operator and linear."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import check_orders, rand

SHAPES = [
    ((3,), (3,)),  # inner product
    ((2, 3), (3,)),  # matrix @ vector
    ((3,), (3, 4)),  # vector @ matrix
    ((2, 3), (3, 4)),
    ((4, 1), (1, 3)),  # an outer product (inner dimension 1)
    ((2, 4, 1), (3, 1, 1, 2)),  # a stack of outer products, batch axes broadcast
    ((5, 2, 3), (3, 4)),  # batched @ matrix
    ((2, 5, 2, 3), (3, 4)),  # a stack of stacks @ matrix
    ((2, 3), (5, 3, 4)),
    ((3,), (5, 3, 4)),  # vector @ batched
    ((5, 2, 3), (3,)),  # batched @ vector
    ((2, 1, 2, 3), (4, 3, 2)),  # batch axes broadcast both ways
    ((4, 2, 3), (4, 3, 2)),
    ((1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize(("s0", "s1"), SHAPES)
def test_matmul_matches_numpy_and_finite_differences_to_third_order(
    s0: tuple[int, ...], s1: tuple[int, ...]
) -> None:
    x0, x1 = rand(*s0, seed=1), rand(*s1, seed=2)
    y = pg.matmul(pg.variable(x0), pg.variable(x1))
    np.testing.assert_array_equal(y.value, np.matmul(x0, x1))
    check_orders(pg.matmul, x0, x1, order=3)


@pytest.mark.parametrize(("s0", "s1"), SHAPES)
def test_matmul_float32_keeps_dtype_and_gradient(s0: tuple[int, ...], s1: tuple[int, ...]) -> None:
    x0, x1 = rand(*s0, seed=1, dtype=np.float32), rand(*s1, seed=2, dtype=np.float32)
    a, b = pg.variable(x0), pg.variable(x1)
    y = a @ b
    assert y.dtype == np.float32
    grads = pg.backward(pg.sum(y))
    assert grads[a].dtype == np.float32 and grads[b].dtype == np.float32
    pg.check_grad(pg.matmul, x0, x1)


def test_matmul_exact_gradients() -> None:
    a = pg.variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    b = pg.variable(np.array([[5.0, 6.0, 7.0], [8.0, 9.0, 10.0]]))
    y = a @ b
    np.testing.assert_array_equal(y.value, [[21.0, 24.0, 27.0], [47.0, 54.0, 61.0]])
    grads = pg.backward(y, seed=np.ones((2, 3)))
    np.testing.assert_array_equal(grads[a].value, np.ones((2, 3)) @ b.value.T)
    np.testing.assert_array_equal(grads[b].value, a.value.T @ np.ones((2, 3)))
    # An inner product: the gradient of x . w in x is w.
    x, w = pg.variable(np.array([1.0, 2.0])), np.array([3.0, -4.0])
    assert (x @ w).shape == ()
    np.testing.assert_array_equal(pg.backward(x @ w)[x].value, w)


def test_matmul_operators_with_arrays_on_either_side() -> None:
    m = rand(2, 3, seed=1)
    x = pg.variable(rand(3, 4, seed=2))
    for result, expected in [
        (m @ x, m @ x.value),
        (x.__rmatmul__(m), m @ x.value),
        (pg.variable(m) @ x, m @ x.value),
        (np.matmul(m, x), m @ x.value),
    ]:
        assert type(result) is pg.Node
        np.testing.assert_allclose(result.value, expected)
    np.testing.assert_allclose(pg.backward(pg.sum(m @ x))[x].value, m.sum(0)[:, None] * np.ones((3, 4)))
    with pytest.raises(TypeError, match="numpy.matmul on puregrad nodes takes no keyword"):
        np.matmul(m, x, axes=[(0, 1), (0, 1), (0, 1)])


def test_matmul_with_a_constant_operand_records_only_the_variable() -> None:
    x = pg.variable(rand(3, 2))
    c = pg.constant(rand(2, 4, seed=3))
    grads = pg.backward(pg.sum(x @ c))
    assert set(grads) == {x}
    np.testing.assert_allclose(grads[x].value, np.ones((3, 4)) @ c.value.T)
    check_orders(lambda v: v @ c, rand(3, 2), order=3)


def test_matmul_errors_name_the_op_and_shapes() -> None:
    x = pg.variable(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"^matmul: shapes \(2, 3\) and \(2, 3\) do not align$"):
        pg.matmul(x, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2,\) do not align"):
        x @ np.ones(2)
    with pytest.raises(ValueError, match=r"matmul: shapes \(4,\) and \(2, 3\) do not align"):
        np.ones(4) @ x
    with pytest.raises(
        ValueError,
        match=r"matmul: cannot broadcast the batch shapes \(2,\) and \(3,\) "
        r"\(shapes \(2, 2, 3\) and \(3, 3, 1\)\)",
    ):
        pg.matmul(pg.variable(np.ones((2, 2, 3))), np.ones((3, 3, 1)))
    # numpy refuses 0-d operands with a ValueError too.
    with pytest.raises(ValueError, match=r"matmul: operand 0 is 0-d \(shapes \(\) and \(3,\)\)"):
        pg.matmul(pg.variable(2.0), np.ones(3))
    with pytest.raises(ValueError, match=r"matmul: operand 1 is 0-d"):
        x @ np.float64(2.0)  # type: ignore[operator]  # the misuse under test
    with pytest.raises(ValueError, match=r"matmul: operand 0 is 0-d"):
        2.0 @ x  # type: ignore[operator]  # the misuse under test
    with pytest.raises(TypeError, match="matmul: expected a Node, numpy.ndarray or scalar, got list"):
        pg.matmul(x, [[1.0], [2.0], [3.0]])  # type: ignore[arg-type]  # the misuse under test


def test_linear_is_x_at_w_plus_b_to_third_order() -> None:
    x, w, b = rand(4, 3, seed=1), rand(3, 2, seed=2), rand(2, seed=3)
    np.testing.assert_allclose(pg.linear(pg.variable(x), w, b).value, x @ w + b)
    np.testing.assert_array_equal(pg.linear(pg.variable(x), w).value, x @ w)
    check_orders(pg.linear, x, w, b, order=3)
    check_orders(lambda v, u: pg.linear(v, u), x, w, order=3)
    pg.check_grad(pg.linear, *(a.astype(np.float32) for a in (x, w, b)))
    y = pg.linear(pg.variable(x.astype(np.float32)), w.astype(np.float32), b.astype(np.float32))
    assert y.dtype == np.float32
    with pytest.raises(ValueError, match=r"linear: cannot broadcast shapes \(4, 2\) \(x @ W\) and \(3,\) \(b\)"):
        pg.linear(pg.variable(x), w, np.ones(3))
    with pytest.raises(ValueError, match=r"matmul: shapes \(4, 3\) and \(2, 2\) do not align"):
        pg.linear(pg.variable(x), np.ones((2, 2)))


# Property tests: random 1-D, 2-D and batched shape pairs, with broadcast batch axes ------------


@st.composite
def matmul_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A pair of shapes that numpy.matmul accepts."""
    dim = st.integers(1, 3)
    m, k, n = draw(dim), draw(dim), draw(dim)
    batch = tuple(draw(st.lists(dim, max_size=2)))
    # Each operand keeps a suffix of the batch axes, some of them set to 1 (broadcast).
    b0 = tuple(1 if draw(st.booleans()) else s for s in batch[draw(st.integers(0, len(batch))) :])
    b1 = tuple(1 if draw(st.booleans()) else s for s in batch[draw(st.integers(0, len(batch))) :])
    s0 = (k,) if draw(st.booleans()) else b0 + (m, k)
    s1 = (k,) if draw(st.booleans()) else b1 + (k, n)
    return s0, s1


@settings(max_examples=120)
@given(shapes=matmul_shapes(), dtype=st.sampled_from([np.float64, np.float32]), seed=st.integers(0, 2**16))
def test_matmul_property_values_and_gradients(
    shapes: tuple[tuple[int, ...], tuple[int, ...]], dtype: type[np.floating[Any]], seed: int
) -> None:
    s0, s1 = shapes
    x0, x1 = rand(*s0, dtype=dtype, seed=seed), rand(*s1, dtype=dtype, seed=seed + 1)
    y = pg.variable(x0) @ pg.variable(x1)
    expected: NDArray[Any] = np.matmul(x0, x1)
    assert y.shape == expected.shape and y.dtype == dtype
    np.testing.assert_allclose(y.value, expected, rtol=1e-6)
    pg.check_grad(pg.matmul, x0, x1)


@settings(max_examples=30)
@given(shapes=matmul_shapes(), seed=st.integers(0, 2**16))
def test_matmul_property_second_order(shapes: tuple[tuple[int, ...], tuple[int, ...]], seed: int) -> None:
    s0, s1 = shapes
    check_orders(pg.matmul, rand(*s0, seed=seed), rand(*s1, seed=seed + 1), order=2)


@settings(max_examples=150)
@given(
    s0=st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple),
    s1=st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple),
)
def test_matmul_property_accepts_exactly_what_numpy_accepts(
    s0: tuple[int, ...], s1: tuple[int, ...]
) -> None:
    try:
        expected: NDArray[Any] | None = np.matmul(np.ones(s0), np.ones(s1))
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError, match="^matmul: "):
            pg.matmul(pg.variable(np.ones(s0)), np.ones(s1))
    else:
        assert pg.matmul(pg.variable(np.ones(s0)), np.ones(s1)).shape == expected.shape


def test_linear_adds_the_bias_into_its_own_product_and_keeps_numpys_promotion() -> None:
    x, w = rand(4, 3, seed=1), rand(3, 2, seed=2)
    b32 = np.ones(2, np.float32)
    # A bias of a wider dtype, or one that broadcasts the product bigger, cannot be added in
    # place: the result follows numpy all the same.
    wide = pg.linear(pg.variable(x.astype(np.float32)), w.astype(np.float32), np.ones(2))  # type: ignore[misc]  # mixed dtypes on purpose
    assert wide.dtype == np.float64
    assert pg.linear(pg.variable(x), w, np.ones((5, 1, 2))).shape == (5, 4, 2)
    b = pg.constant(b32)
    y = pg.linear(pg.variable(x.astype(np.float32)), w.astype(np.float32), b)
    np.testing.assert_allclose(y.value, x @ w + 1, rtol=1e-6)
    assert b.value.tolist() == [1.0, 1.0]  # the bias itself is untouched
    check_orders(pg.linear, x, w, rand(5, 1, 2, seed=4), order=2)

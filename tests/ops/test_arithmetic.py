"""Arithmetic ops against finite differences, broadcasting, dtypes and higher orders."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import puregrad as pg
from tests.helpers import check_orders, rand

BINARY = [pg.add, pg.sub, pg.mul, pg.div, pg.power]
SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((), (2, 2)), ((4, 1, 3), (2, 1))]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("s0", "s1"), SHAPES)
def test_binary_matches_finite_differences_with_broadcasting(
    op: Any, s0: tuple[int, ...], s1: tuple[int, ...]
) -> None:
    x0 = rand(*s0, seed=1, low=0.5, high=2.0)
    x1 = rand(*s1, seed=2, low=0.5, high=2.0)
    check_orders(op, x0, x1, order=3)


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
def test_binary_float32_keeps_dtype_and_gradient(op: Any) -> None:
    x0 = rand(2, 3, dtype=np.float32, seed=1, low=0.5, high=2.0)
    x1 = rand(3, dtype=np.float32, seed=2, low=0.5, high=2.0)
    a, b = pg.variable(x0), pg.variable(x1)
    y = op(a, b)
    assert y.dtype == np.float32
    grads = pg.backward(pg.sum(y))
    assert grads[a].dtype == np.float32 and grads[b].dtype == np.float32
    assert op(a, 2.0).dtype == np.float32 and op(2.0, a).dtype == np.float32
    pg.check_grad(op, x0, x1)


def test_exact_values() -> None:
    x = pg.variable(np.array([1.0, 2.0, 3.0]))
    y = pg.variable(np.array([4.0, 5.0, 6.0]))
    g = pg.backward(pg.sum(x * y + x / y - y**2))
    np.testing.assert_array_equal(g[x].value, y.value + 1 / y.value)
    np.testing.assert_array_equal(g[y].value, x.value - x.value / y.value**2 - 2 * y.value)


def test_neg_and_pow_with_constant_exponent() -> None:
    check_orders(pg.neg, rand(3, 2))
    check_orders(lambda x: pg.pow(x, 3), rand(4))
    check_orders(lambda x: pg.pow(x, np.array([0.5, 1.5, 2.5])), rand(3, low=0.5, high=2.0))
    with pytest.raises(TypeError, match="pow: the exponent must be a constant"):
        pg.pow(pg.variable(2.0), pg.variable(3.0))  # type: ignore[call-overload]  # refused statically too


def test_scalar_base_and_node_exponent() -> None:
    x = pg.variable(np.array([0.5, 1.0]))
    np.testing.assert_allclose(pg.backward(pg.sum(2**x))[x].value, 2 ** x.value * np.log(2))
    check_orders(lambda v: 3.0**v, rand(3))


def test_operators_match_functions_and_ndarray_on_the_left() -> None:
    a = np.array([1.0, 2.0])
    x = pg.variable(np.array([3.0, 4.0]))
    for result, expected in [
        (a + x, a + x.value),
        (a - x, a - x.value),
        (a * x, a * x.value),
        (a / x, a / x.value),
        (a**x, a**x.value),
        (x @ np.eye(2) if hasattr(pg, "matmul") else x * 1.0, x.value),
    ]:
        assert type(result) is pg.Node
        np.testing.assert_allclose(result.value, expected)
    assert pg.backward(pg.sum(a * x))[x].value.tolist() == [1.0, 2.0]


def test_cannot_broadcast_names_op_and_shapes() -> None:
    x = pg.variable(np.ones((2, 3)))
    for op, name in [(pg.add, "add"), (pg.sub, "sub"), (pg.mul, "mul"), (pg.div, "div")]:
        with pytest.raises(ValueError, match=rf"{name}: cannot broadcast shapes \(2, 3\) and \(4,\)"):
            op(x, np.ones(4))


def test_bad_operands_are_type_errors_naming_the_type() -> None:
    x = pg.variable(np.ones(2))
    for bad, name in [([1.0, 2.0], "list"), ("a", "str"), (None, "NoneType")]:
        with pytest.raises(TypeError, match=name):
            pg.add(x, bad)  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(TypeError, match="object"):
        pg.mul(x, np.array([object(), object()]))

"""embedding: rows of a table at integer ids, repeated ids accumulating, ids checked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import puregrad as pg
from tests.helpers import check_orders, rand


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_repeated_ids_accumulate(dtype: type[np.floating[Any]]) -> None:
    W = pg.variable(np.arange(12, dtype=dtype).reshape(4, 3))
    ids = np.array([[3, 0], [3, 3]])
    y = pg.embedding(W, ids)
    assert y.shape == (2, 2, 3) and y.dtype == dtype
    np.testing.assert_array_equal(y.value, W.value[ids])
    seed = np.arange(12, dtype=dtype).reshape(2, 2, 3)
    g = pg.backward(y, seed=seed)[W].value
    expected = np.zeros((4, 3), dtype)
    expected[0] = seed[0, 1]
    expected[3] = seed[0, 0] + seed[1, 0] + seed[1, 1]  # id 3 three times: the sum
    np.testing.assert_array_equal(g, expected)
    assert g.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_against_finite_differences(dtype: type[np.floating[Any]]) -> None:
    ids = np.array([1, 4, 1, 0, 1])
    pg.check_grad(lambda W: pg.embedding(W, ids) ** 2, rand(5, 3, dtype=dtype))


def test_differentiates_again() -> None:
    ids = np.array([[2, 2], [0, 1]])
    check_orders(lambda W: pg.sin(pg.embedding(W, ids)) * 3.0, rand(3, 2), order=3)


def test_ids_as_a_node_a_scalar_and_empty() -> None:
    W = pg.variable(rand(3, 2))
    np.testing.assert_array_equal(pg.embedding(W, pg.constant(np.array([2]))).value, W.value[[2]])
    assert pg.embedding(W, 1).shape == (2,)
    assert pg.embedding(W, np.zeros((0,), np.int64)).shape == (0, 2)


def test_ids_are_copied() -> None:
    W = pg.variable(rand(3, 2))
    ids = np.array([0, 1])
    y = pg.embedding(W, ids)
    ids[0] = 2  # the caller changes their array after the op was recorded
    g = pg.backward(pg.sum(y))[W].value
    np.testing.assert_array_equal(g, [[1, 1], [1, 1], [0, 0]])


@pytest.mark.parametrize("bad", [5, 7, -1])
def test_an_id_out_of_range_is_an_index_error_naming_it(bad: int) -> None:
    W = pg.variable(rand(5, 2))
    with pytest.raises(IndexError, match=rf"id {bad} is out of range .* 5 rows"):
        pg.embedding(W, np.array([0, bad, 1]))


def test_bad_types_and_shapes() -> None:
    W = pg.variable(rand(5, 2))
    with pytest.raises(TypeError, match="integers"):
        pg.embedding(W, np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="integers"):
        pg.embedding(W, np.array([True]))
    with pytest.raises(TypeError, match="list"):
        pg.embedding(W, [0, 1])  # type: ignore[arg-type]  # refused at run time too
    with pytest.raises(ValueError, match=r"2-D .* \(5,\)"):
        pg.embedding(pg.variable(rand(5)), np.array([0]))

"""Shape ops: transpose, get_item (and its scatter-add gradient), concat, split, reshape;
the Node methods; finite differences to the third order, exact values, errors, interop."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import puregrad as pg
from puregrad.ops.shape import Index
from tests.helpers import HIGHER, check_orders, rand

# transpose -----------------------------------------------------------------------------------


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1), (-1, 0, -2)])
def test_transpose_to_third_order(axes: tuple[int, ...] | None) -> None:
    a = rand(2, 3, 4, seed=1)
    assert pg.transpose(pg.variable(a), axes).value.tolist() == np.transpose(a, axes).tolist()
    check_orders(lambda x: pg.sin(pg.transpose(x, axes)), a, order=3)


def test_transpose_methods_match_numpy() -> None:
    a = rand(2, 3, 4, seed=2)
    x = pg.variable(a)
    for node, array in [
        (x.T, a.T),
        (x.transpose(), a.transpose()),
        (x.transpose(None), a.transpose(None)),
        (x.transpose(1, 2, 0), a.transpose(1, 2, 0)),
        (x.transpose((2, 1, 0)), a.transpose((2, 1, 0))),
        (x.transpose([0, 2, 1]), a.transpose([0, 2, 1])),
        (np.transpose(x, (1, 0, 2)), np.transpose(a, (1, 0, 2))),
    ]:
        assert type(node) is pg.Node
        assert node.requires_grad
        np.testing.assert_array_equal(node.value, array)
    assert pg.variable(2.0).T.shape == ()
    g = pg.backward(pg.sum(x.T * np.arange(24.0).reshape(4, 3, 2)))[x]
    np.testing.assert_array_equal(g.value, np.arange(24.0).reshape(4, 3, 2).T)


def test_transpose_errors() -> None:
    x = pg.variable(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 0\) are not a permutation of the axes of shape \(2, 3\)"):
        pg.transpose(x, (0, 0))
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 2\) are not a permutation"):
        pg.transpose(x, (0, 2))
    with pytest.raises(ValueError, match=r"transpose: axes \(0,\) are not a permutation"):
        x.transpose(0)
    with pytest.raises(TypeError, match="transpose: axes must be None or a tuple of ints, got 'ab'"):
        pg.transpose(x, "ab")  # type: ignore[arg-type]  # the misuse under test


# reshape (the method) -------------------------------------------------------------------------


def test_reshape_method_takes_a_tuple_or_ints() -> None:
    x = pg.variable(np.arange(6.0))
    assert x.reshape(2, 3).shape == (2, 3)
    assert x.reshape((3, 2)).shape == (3, 2)
    assert x.reshape(-1, 1).shape == (6, 1)
    assert x.reshape(6).shape == (6,)
    assert x[:1].reshape(()).shape == ()
    check_orders(lambda v: pg.sin(v.reshape(3, 2)), rand(6), order=3)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape shape \(6,\) into \(4,\)"):
        x.reshape(4)


# get_item ---------------------------------------------------------------------------------


INDICES: list[Index] = [
    1,
    -1,
    (1, 2),
    slice(1, None),
    (slice(None), slice(None, None, -2)),
    (Ellipsis, 0),
    (None, 1, slice(0, 3)),
    np.array([0, 2, 2, 0]),
    [2, 2, 2],
    (np.array([0, 1, 1]), np.array([3, 3, 0])),
    (slice(None), [0, 0, 3]),
    np.array([True, False, True]),
    (np.array([True, False, True]), slice(1, 3)),
    np.array([], dtype=np.intp),
]


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_get_item_matches_numpy_to_third_order(index: Index) -> None:
    a = rand(3, 4, seed=3)
    x = pg.variable(a)
    np.testing.assert_array_equal(x[index].value, a[index])
    np.testing.assert_array_equal(pg.get_item(x, index).value, a[index])
    # sin makes every order non-trivial: the scatter-add is differentiated again (to get_item).
    check_orders(lambda v: pg.sin(v[index]) * v[index], a, order=3)


def test_repeated_indices_accumulate() -> None:
    x = pg.variable(np.array([10.0, 20.0, 30.0]))
    g = pg.backward(pg.sum(x[np.array([0, 0, 2, 0])]))[x]
    assert g.value.tolist() == [3.0, 0.0, 1.0]
    w = np.array([1.0, 2.0, 3.0, 4.0])
    g = pg.backward(pg.sum(x[[0, 0, 2, 0]] * w))[x]
    assert g.value.tolist() == [1.0 + 2.0 + 4.0, 0.0, 3.0]
    y = pg.variable(np.zeros((2, 3)))
    g = pg.backward(pg.sum(y[np.array([1, 1]), np.array([2, 2])]))[y]
    assert g.value.tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]


def test_get_item_second_derivative_accumulates_too() -> None:
    x = pg.variable(np.array([1.0, 2.0]))
    # d/dx sum(x[[0, 0, 1]] ** 3) = [2 * 3x0**2, 3x1**2]; d2 = [2 * 6x0, 6x1]
    g = pg.backward(pg.sum(x[[0, 0, 1]] ** 3), HIGHER)[x]
    assert g.value.tolist() == [6.0, 12.0]
    assert g.origin is not None and g.origin.name == "scatter_add"
    assert pg.backward(pg.sum(g))[x].value.tolist() == [12.0, 12.0]


def test_get_item_float32_and_mask_gradient() -> None:
    a = rand(3, 4, dtype=np.float32, seed=4)
    x = pg.variable(a)
    mask = a > 0
    y = x[mask]
    assert y.dtype == np.float32 and y.shape == (int(mask.sum()),)
    g = pg.backward(pg.sum(y), HIGHER)[x]
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.value, mask.astype(np.float32))
    pg.check_grad(lambda v: v[:, [1, 1, 3]] * v[mask][:3], a)


def test_get_item_index_is_copied_when_recorded() -> None:
    index = np.array([0, 1])
    x = pg.variable(np.array([1.0, 2.0, 3.0]))
    y = x[index]
    index[:] = 2  # the caller's array changes; the recorded op does not
    assert pg.backward(pg.sum(y))[x].value.tolist() == [1.0, 1.0, 0.0]


def test_iterating_a_node_gives_its_rows() -> None:
    x = pg.variable(np.arange(6.0).reshape(3, 2))
    rows = list(x)
    assert len(rows) == 3 and all(type(r) is pg.Node for r in rows)
    assert rows[2].value.tolist() == [4.0, 5.0]
    assert pg.backward(pg.sum(rows[1]))[x].value.tolist() == [[0, 0], [1, 1], [0, 0]]
    with pytest.raises(TypeError, match="iteration over a 0-d node"):
        iter(pg.variable(1.0))


def test_get_item_errors() -> None:
    x = pg.variable(np.ones((2, 3)))
    with pytest.raises(IndexError, match=r"get_item: index 5 is out of bounds for axis 1 with size 3 \(input shape \(2, 3\)\)"):
        x[0, 5]
    with pytest.raises(IndexError, match=r"get_item: too many indices .* \(input shape \(2, 3\)\)"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="get_item: boolean index did not match"):
        x[np.array([True, False, True])]
    with pytest.raises(TypeError, match="get_item: an index must be an int, slice, ..., None, an integer array or a boolean mask .*got float"):
        x[1.0]  # type: ignore[index]  # the misuse under test
    with pytest.raises(TypeError, match="get_item: an index array must hold integers or booleans, got dtype float64"):
        x[np.array([0.0, 1.0])]
    with pytest.raises(TypeError, match="get_item: an index cannot be a node; use node.value"):
        x[pg.constant(np.array([0, 1]))]  # type: ignore[index]  # the misuse under test


# concat -----------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_to_third_order(axis: int) -> None:
    a, b, c = rand(2, 3, seed=5), rand(2, 3, seed=6), rand(2, 3, seed=7)
    np.testing.assert_array_equal(
        pg.concat([pg.variable(a), b, pg.variable(c)], axis).value, np.concatenate([a, b, c], axis)
    )
    check_orders(lambda x, z: pg.sin(pg.concat((x, b, z * z), axis)), a, c, order=3)


def test_concat_uneven_sizes_exact_gradient() -> None:
    x = pg.variable(np.zeros((2, 1)))
    y = pg.variable(np.zeros((2, 3)))
    w = np.arange(8.0).reshape(2, 4)
    grads = pg.backward(pg.sum(pg.concat([x, y], axis=1) * w))
    assert grads[x].value.tolist() == [[0.0], [4.0]]
    assert grads[y].value.tolist() == [[1.0, 2.0, 3.0], [5.0, 6.0, 7.0]]


def test_concat_dtypes() -> None:
    x = pg.variable(np.ones(2, np.float32))
    y = pg.concat([x, np.zeros(3, np.float32)])
    assert y.dtype == np.float32
    assert pg.backward(pg.sum(y), HIGHER)[x].dtype == np.float32
    z = pg.variable(np.ones(1))
    mixed: pg.Node[Any] = pg.concat([x, z])  # mixed dtypes follow numpy's promotion
    assert mixed.dtype == np.float64
    grads = pg.backward(pg.sum(mixed))
    assert grads[x].dtype == np.float32 and grads[z].dtype == np.float64


def test_concat_errors() -> None:
    x = pg.variable(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"concat: shapes \(2, 3\) and \(2, 4\) differ off axis 0"):
        pg.concat([x, np.ones((2, 4))])
    with pytest.raises(ValueError, match=r"concat: shapes \(2, 3\) and \(6,\) differ off axis 0"):
        pg.concat([x, np.ones(6)])
    with pytest.raises(ValueError, match="concat: needs at least one input"):
        pg.concat([])
    with pytest.raises(ValueError, match="concat: zero-dimensional inputs cannot be concatenated"):
        pg.concat([pg.variable(1.0), pg.variable(2.0)])
    with pytest.raises(ValueError, match=r"concat: axis 2 is out of bounds for shape \(2, 3\)"):
        pg.concat([x, x], axis=2)
    with pytest.raises(TypeError, match="concat: axis must be an int, got 0.5"):
        pg.concat([x, x], axis=0.5)  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(TypeError, match="concat: xs must be a list or tuple of nodes or arrays, got Node"):
        pg.concat(x)  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(TypeError, match="concat: expected nodes or numpy.ndarrays, got str"):
        pg.concat([x, "a"])  # type: ignore[arg-type]  # the misuse under test


# split ------------------------------------------------------------------------------------


def test_split_sections_and_indices_match_numpy() -> None:
    a = rand(6, 4, seed=8)
    x = pg.variable(a)
    for args in [(3, 0), (2, 1), ([1, 4], 0), ([-1], 1), ([0, 0, 6], 0), ((2,), -1)]:
        pieces = pg.split(x, *args)  # type: ignore[arg-type]  # a tuple of mixed arguments
        expected = np.split(a, *args)  # type: ignore[call-overload]  # as above
        assert len(pieces) == len(expected)
        for p, e in zip(pieces, expected):
            np.testing.assert_array_equal(p.value, e)


def test_split_to_third_order_with_all_outputs() -> None:
    def f(x: pg.Node[Any]) -> pg.Node[Any]:
        a, b, c = pg.split(x, [1, 3], axis=1)
        return pg.concat([pg.sin(a) * b[:, :1], c * c], axis=1)

    check_orders(f, rand(2, 5, seed=9), order=3)


def test_split_using_one_output_gives_zeros_for_the_others() -> None:
    x = pg.variable(np.arange(6.0))
    _, middle, _ = pg.split(x, 3)
    g = pg.backward(pg.sum(middle * middle), HIGHER)[x]
    assert g.value.tolist() == [0.0, 0.0, 4.0, 6.0, 0.0, 0.0]
    assert pg.backward(pg.sum(g))[x].value.tolist() == [0.0, 0.0, 2.0, 2.0, 0.0, 0.0]
    check_orders(lambda v: pg.split(v, 3)[1] ** 3, rand(6, seed=10), order=3)


def test_split_float32_and_interop() -> None:
    x = pg.variable(np.ones((2, 4), np.float32))
    pieces: Any = np.split(x, 2, axis=1)  # numpy's stubs say a list of arrays
    assert type(pieces) is tuple and all(type(p) is pg.Node and p.dtype == np.float32 for p in pieces)
    g = pg.backward(pg.sum(pieces[0]), HIGHER)[x]
    assert g.dtype == np.float32 and g.value.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0]]


def test_split_errors() -> None:
    x = pg.variable(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"split: 2 sections do not divide axis 0 of shape \(5, 3\) evenly"):
        pg.split(x, 2)
    with pytest.raises(ValueError, match="split: 0 sections do not divide"):
        pg.split(x, 0)
    with pytest.raises(ValueError, match=r"split: indices \(3, 1\) must increase within axis 0 of shape \(5, 3\)"):
        pg.split(x, [3, 1])
    with pytest.raises(ValueError, match=r"split: indices \(7,\) must increase within axis 0"):
        pg.split(x, [7])
    with pytest.raises(ValueError, match=r"split: axis 2 is out of bounds for shape \(5, 3\)"):
        pg.split(x, 1, axis=2)
    with pytest.raises(TypeError, match="split: indices_or_sections must be an int or a sequence of ints, got 1.5"):
        pg.split(x, 1.5)  # type: ignore[arg-type]  # the misuse under test
    with pytest.raises(TypeError, match="split: axis must be an int, got None"):
        pg.split(x, 1, axis=None)  # type: ignore[arg-type]  # the misuse under test


# numpy functions that are not ops ------------------------------------------------------------


def test_unsupported_numpy_functions_are_type_errors() -> None:
    x = pg.variable(np.ones((2, 2)))
    with pytest.raises(TypeError, match="numpy.block is not supported on puregrad nodes"):
        np.block([x, x])
    with pytest.raises(TypeError, match="numpy.concatenate on puregrad nodes: concat: axis must be an int, got None"):
        np.concatenate([x, x], axis=None)


# properties -------------------------------------------------------------------------------

SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)
DTYPES = st.sampled_from([np.float64, np.float32])


@settings(max_examples=100)
@given(shape=SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16), data=st.data())
def test_property_transpose(
    shape: tuple[int, ...], dtype: type[np.floating[Any]], seed: int, data: st.DataObject
) -> None:
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    a = rand(*shape, dtype=dtype, seed=seed)
    y = pg.transpose(pg.variable(a), axes)
    np.testing.assert_array_equal(y.value, np.transpose(a, axes))
    pg.check_grad(lambda x: pg.transpose(x, axes), a)


@settings(max_examples=300)
@given(shape=SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16), data=st.data())
def test_property_get_item(
    shape: tuple[int, ...], dtype: type[np.floating[Any]], seed: int, data: st.DataObject
) -> None:
    index = data.draw(
        st.one_of(
            hnp.basic_indices(shape, allow_newaxis=True),
            hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(max_dims=2, max_side=5)),
            hnp.arrays(np.bool_, shape[:1]),
        )
    )
    a = rand(*shape, dtype=dtype, seed=seed)
    x = pg.variable(a)
    y = x[index]
    np.testing.assert_array_equal(y.value, a[index])
    # The gradient of sum(w * x[index]) is w added back at index: np.add.at is the oracle.
    w = rand(*y.shape, dtype=dtype, seed=seed + 1, low=0.5, high=1.5)
    expected = np.zeros_like(a)
    np.add.at(expected, index, w)
    np.testing.assert_allclose(pg.backward(pg.sum(y * w))[x].value, expected, rtol=1e-6)
    pg.check_grad(lambda v: v[index], a)


@settings(max_examples=100)
@given(shape=SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16), data=st.data())
def test_property_split_then_concat_is_identity(
    shape: tuple[int, ...], dtype: type[np.floating[Any]], seed: int, data: st.DataObject
) -> None:
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    indices = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    a = rand(*shape, dtype=dtype, seed=seed)
    pieces = pg.split(pg.variable(a), indices, axis)
    assert len(pieces) == len(indices) + 1
    np.testing.assert_array_equal(pg.concat(pieces, axis).value, a)
    used = data.draw(st.integers(0, len(indices)))  # differentiate through one output only
    pg.check_grad(lambda x: pg.sin(pg.split(x, indices, axis)[used]), a)
    pg.check_grad(lambda x: pg.concat(pg.split(x, indices, axis)[::-1], axis), a)

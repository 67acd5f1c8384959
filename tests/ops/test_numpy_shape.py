"""numpy's shape functions on nodes (issue 8): stack, vstack, hstack, squeeze, expand_dims,
flip, roll, moveaxis, swapaxes, tile, repeat, ravel, diagonal, trace, triu, tril, take,
take_along_axis, pad. Values equal numpy's both ways; gradients against finite differences
(through a smooth function, so the second and third orders are not trivially zero); random
shapes and axes; float32; errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import puregrad as pg
from tests.helpers import HIGHER, check_orders, rand

IDX = np.array([[2, 0], [1, 1], [0, 2]])
# (name, numpy applied to the one input, puregrad's own function): numpy's call on a node must
# give numpy's value on an array, and puregrad's the same node value.
CASES: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("stack", lambda a: np.stack([a, a * 2], axis=1), lambda x: pg.stack([x, x * 2], axis=1)),
    ("vstack", lambda a: np.vstack([a, a[0]]), lambda x: pg.vstack([x, x[0]])),
    ("hstack", lambda a: np.hstack([a, a[:, :1]]), lambda x: pg.hstack([x, x[:, :1]])),
    ("squeeze", lambda a: np.squeeze(a[:, None, :1]), lambda x: pg.squeeze(x[:, None, :1])),
    ("squeeze_axis", lambda a: np.squeeze(a[:, None], axis=1), lambda x: pg.squeeze(x[:, None], 1)),
    ("expand_dims", lambda a: np.expand_dims(a, (0, 3)), lambda x: pg.expand_dims(x, (0, 3))),
    ("flip", lambda a: np.flip(a), lambda x: pg.flip(x)),
    ("flip_axis", lambda a: np.flip(a, axis=-1), lambda x: pg.flip(x, -1)),
    ("roll", lambda a: np.roll(a, 2), lambda x: pg.roll(x, 2)),
    ("roll_axes", lambda a: np.roll(a, (1, -1), axis=(0, 1)), lambda x: pg.roll(x, (1, -1), (0, 1))),
    ("moveaxis", lambda a: np.moveaxis(a[None], 0, -1), lambda x: pg.moveaxis(x[None], 0, -1)),
    ("swapaxes", lambda a: np.swapaxes(a, 0, 1), lambda x: pg.swapaxes(x, 0, 1)),
    ("tile", lambda a: np.tile(a, (2, 1, 2)), lambda x: pg.tile(x, (2, 1, 2))),
    ("tile_int", lambda a: np.tile(a, 2), lambda x: pg.tile(x, 2)),
    ("repeat", lambda a: np.repeat(a, 2), lambda x: pg.repeat(x, 2)),
    ("repeat_axis", lambda a: np.repeat(a, [1, 0, 3], axis=0), lambda x: pg.repeat(x, [1, 0, 3], 0)),
    ("ravel", lambda a: np.ravel(a), lambda x: pg.ravel(x)),
    ("diagonal", lambda a: np.diagonal(a), lambda x: pg.diagonal(x)),
    ("diagonal_offset", lambda a: np.diagonal(a[None], -1, 2, 1), lambda x: pg.diagonal(x[None], -1, 2, 1)),
    ("trace", lambda a: np.trace(a), lambda x: pg.trace(x)),
    ("trace_offset", lambda a: np.trace(a[None], 1, 1, 2), lambda x: pg.trace(x[None], 1, 1, 2)),
    ("triu", lambda a: np.triu(a), lambda x: pg.triu(x)),
    ("tril", lambda a: np.tril(a, -1), lambda x: pg.tril(x, -1)),
    ("take", lambda a: np.take(a, [4, 0, 4]), lambda x: pg.take(x, [4, 0, 4])),
    ("take_axis", lambda a: np.take(a, IDX, axis=1), lambda x: pg.take(x, IDX, 1)),
    ("take_wrap", lambda a: np.take(a, [-4, 5], axis=0, mode="wrap"), lambda x: pg.take(x, [-4, 5], 0, "wrap")),
    ("take_clip", lambda a: np.take(a, [-4, 5], axis=1, mode="clip"), lambda x: pg.take(x, [-4, 5], 1, "clip")),
    ("take_along_axis", lambda a: np.take_along_axis(a, IDX, axis=1), lambda x: pg.take_along_axis(x, IDX, 1)),
    ("take_along_none", lambda a: np.take_along_axis(a, np.array([5, 5, 1]), axis=None), lambda x: pg.take_along_axis(x, np.array([5, 5, 1]), None)),
    ("pad", lambda a: np.pad(a, 1), lambda x: pg.pad(x, 1)),
    ("pad_values", lambda a: np.pad(a, ((0, 1), (2, 0)), constant_values=((1.5, 2), (3, 4))), lambda x: pg.pad(x, ((0, 1), (2, 0)), constant_values=((1.5, 2), (3, 4)))),
]
IDS = [c[0] for c in CASES]


def node(y: object) -> pg.Node[Any]:
    """What numpy gave on a node: a Node (numpy's stubs cannot say so; this checks it)."""
    assert type(y) is pg.Node, f"numpy gave {type(y).__name__}, not a Node"
    return y


@pytest.mark.parametrize(("label", "numpy", "puregrad"), CASES, ids=IDS)
def test_values_equal_numpy_both_ways(label: str, numpy: Any, puregrad: Any) -> None:
    for dtype in (np.float64, np.float32):
        a = rand(3, 3, dtype=dtype, seed=1)
        expected = numpy(a)
        for y in (numpy(pg.variable(a)), puregrad(pg.variable(a)), puregrad(a)):
            assert type(y) is pg.Node and y.dtype == dtype
            np.testing.assert_array_equal(y.value, expected)


@pytest.mark.parametrize(("label", "numpy", "puregrad"), CASES, ids=IDS)
def test_gradients_to_third_order(label: str, numpy: Any, puregrad: Any) -> None:
    a = rand(3, 3, seed=2)
    check_orders(lambda x: pg.sin(numpy(x)), a, order=3)
    check_orders(lambda x: puregrad(x) * puregrad(x), a.astype(np.float32), order=2)


@pytest.mark.parametrize(("label", "numpy", "puregrad"), CASES, ids=IDS)
def test_float32_gradients_stay_float32(label: str, numpy: Any, puregrad: Any) -> None:
    x = pg.variable(rand(3, 3, dtype=np.float32, seed=3))
    g = pg.backward(pg.sum(pg.sin(numpy(x))), HIGHER)[x]
    assert g.dtype == np.float32 and pg.backward(pg.sum(g))[x].dtype == np.float32


def test_exact_gradients_of_the_gathers() -> None:
    x = pg.variable(np.arange(6.0).reshape(2, 3))
    assert pg.backward(pg.sum(pg.take(x, [0, 0, 5])))[x].value.tolist() == [[2, 0, 0], [0, 0, 1]]
    assert pg.backward(pg.sum(pg.repeat(x, [3, 1], axis=0)))[x].value.tolist() == [[3] * 3, [1] * 3]
    assert pg.backward(pg.sum(pg.tile(x, (2, 2))))[x].value.tolist() == [[4] * 3] * 2
    assert pg.backward(pg.trace(x, 1))[x].value.tolist() == [[0, 1, 0], [0, 0, 1]]
    assert pg.backward(pg.sum(pg.triu(x)))[x].value.tolist() == [[1, 1, 1], [0, 1, 1]]
    assert pg.backward(pg.sum(pg.pad(x, 2, constant_values=7.0)))[x].value.tolist() == [[1] * 3] * 2
    rows = pg.take_along_axis(x, np.array([[2], [2]]), axis=1)
    assert pg.backward(pg.sum(rows))[x].value.tolist() == [[0, 0, 1], [0, 0, 1]]
    a, b = pg.variable(np.ones(2)), pg.variable(np.ones(2))
    grads = pg.backward(pg.sum(pg.stack([a, b, a]) * np.array([[1.0], [2.0], [3.0]])))
    assert grads[a].value.tolist() == [4.0, 4.0] and grads[b].value.tolist() == [2.0, 2.0]


def test_batched_matrices() -> None:
    a = rand(2, 3, 3, seed=4)
    x = pg.variable(a)
    np.testing.assert_array_equal(node(np.trace(x, axis1=1, axis2=2)).value, np.trace(a, axis1=1, axis2=2))
    np.testing.assert_array_equal(node(np.triu(x, 1)).value, np.triu(a, 1))
    check_orders(lambda v: pg.sin(pg.diagonal(v, 0, 1, 2)) * pg.trace(v, 0, -1, -2)[:, None], a, order=2)


def test_memory_keywords_and_other_modes_are_refused() -> None:
    x = pg.variable(np.ones((2, 3)))
    with pytest.raises(TypeError, match="numpy.ravel on puregrad nodes: .*order"):
        np.ravel(x, order="F")
    with pytest.raises(TypeError, match="numpy.take on puregrad nodes: .*out"):
        np.take(x, [0], out=np.empty(1))
    with pytest.raises(TypeError, match="numpy.stack on puregrad nodes: .*out"):
        np.stack([x, x], out=np.empty((2, 2, 3)))
    with pytest.raises(TypeError, match="pad: mode 'reflect' is not supported on puregrad nodes"):
        np.pad(x, 1, mode="reflect")
    with pytest.raises(TypeError, match="numpy.trace on puregrad nodes: .*dtype"):
        np.trace(x, dtype=np.float32)
    with pytest.raises(TypeError, match="numpy.block is not supported on puregrad nodes"):
        np.block([x, x])


def test_errors_name_the_op_and_shapes() -> None:
    x = pg.variable(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"stack: every input needs the same shape, got \(2, 3\) and \(3,\)"):
        pg.stack([x, np.ones(3)])
    with pytest.raises(ValueError, match="stack: needs at least one input"):
        pg.stack([])
    with pytest.raises(ValueError, match=r"squeeze: axis 1 of shape \(2, 3\) is not of length 1"):
        pg.squeeze(x, 1)
    with pytest.raises(ValueError, match=r"expand_dims: .*out of bounds"):
        pg.expand_dims(x, 5)
    with pytest.raises(ValueError, match=r"moveaxis: source \(0, 1\) and destination 0 differ"):
        pg.moveaxis(x, (0, 1), 0)
    with pytest.raises(ValueError, match="roll: shift .* and axis .* differ in length"):
        pg.roll(x, (1, 2, 3), (0, 1))
    with pytest.raises(ValueError, match="tile: repetitions must not be negative"):
        pg.tile(x, -1)
    with pytest.raises(ValueError, match=r"repeat: .*axis 1 of shape \(2, 3\)"):
        pg.repeat(x, [1, 2], axis=1)
    with pytest.raises(IndexError, match=r"take: an index in \[3\] is out of bounds for axis 1"):
        pg.take(x, [3], axis=1)
    with pytest.raises(TypeError, match="take: indices cannot be a node"):
        pg.take(x, pg.constant(np.array([0])))  # type: ignore[arg-type]  # the misuse under test
    with pytest.raises(TypeError, match="take: indices must be integers"):
        pg.take(x, [0.5])  # type: ignore[list-item]  # the misuse under test
    with pytest.raises(ValueError, match="take_along_axis: indices need 2 dimensions"):
        pg.take_along_axis(x, np.array([0]), 1)
    with pytest.raises(ValueError, match="diagonal: needs at least two dimensions"):
        pg.diagonal(pg.variable(np.ones(3)))
    with pytest.raises(ValueError, match="trace: axis1 and axis2 cannot be the same"):
        pg.trace(x, 0, 1, -1)
    with pytest.raises(ValueError, match="pad: widths cannot be negative"):
        pg.pad(x, -1)
    with pytest.raises(ValueError, match=r"pad: pad_width .* does not fit 2 dimensions"):
        pg.pad(x, (1, 2, 3))
    with pytest.raises(TypeError, match="triu: k must be an int"):
        pg.triu(x, 0.5)  # type: ignore[arg-type]  # the misuse under test


@settings(max_examples=40)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3),
    which=st.sampled_from(["flip", "roll", "moveaxis", "swapaxes", "expand_dims", "stack", "take", "repeat", "tile"]),
    dtype=st.sampled_from([np.float64, np.float32]),
    data=st.data(),
)
def test_random_shapes_and_axes(shape: tuple[int, ...], which: str, dtype: Any, data: Any) -> None:
    a = np.random.default_rng(data.draw(st.integers(0, 2**16))).uniform(-1, 1, shape).astype(dtype)
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1))
    other = data.draw(st.integers(-ndim, ndim - 1))
    count = data.draw(st.integers(0, 3))
    calls: dict[str, tuple[Any, Any]] = {
        "flip": (lambda v: np.flip(v, axis), lambda v: pg.flip(v, axis)),
        "roll": (lambda v: np.roll(v, count - 1, axis), lambda v: pg.roll(v, count - 1, axis)),
        "moveaxis": (lambda v: np.moveaxis(v, axis, other), lambda v: pg.moveaxis(v, axis, other)),
        "swapaxes": (lambda v: np.swapaxes(v, axis, other), lambda v: pg.swapaxes(v, axis, other)),
        "expand_dims": (lambda v: np.expand_dims(v, axis), lambda v: pg.expand_dims(v, axis)),
        "stack": (lambda v: np.stack([v, v], axis), lambda v: pg.stack([v, v], axis)),
        "take": (lambda v: np.take(v, [0, -1, 0], axis), lambda v: pg.take(v, [0, -1, 0], axis)),
        "repeat": (lambda v: np.repeat(v, count, axis), lambda v: pg.repeat(v, count, axis)),
        "tile": (lambda v: np.tile(v, (count,) * (ndim - 1)), lambda v: pg.tile(v, (count,) * (ndim - 1))),
    }
    numpy, puregrad = calls[which]
    y = numpy(pg.variable(a))
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.value, numpy(a))
    np.testing.assert_array_equal(puregrad(a).value, numpy(a))
    pg.check_grad(puregrad, a)

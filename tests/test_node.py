"""Node, variable and constant: immutability, identity, read-only values, bad input."""

from __future__ import annotations

import weakref

import attrs
import numpy as np
import pytest

import puregrad as pg


def test_variable_copies_a_writable_array_once_and_is_read_only() -> None:
    data = np.array([1.0, 2.0])
    x = pg.variable(data, name="x")
    data[0] = 100.0
    assert x.value.tolist() == [1.0, 2.0]
    assert not x.value.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        x.value[0] = 5.0


def test_a_read_only_array_that_owns_its_memory_is_not_copied() -> None:
    data = np.array([1.0, 2.0])
    data.flags.writeable = False
    assert pg.variable(data).value is data
    view = np.arange(4.0)[1:]
    view.flags.writeable = False  # read-only, but its base is still writable: copied
    assert pg.constant(view).value.base is not view.base


def test_scalars_become_0d_arrays() -> None:
    assert pg.variable(2.5).value.shape == ()
    assert pg.variable(2.5).dtype == np.float64
    assert pg.variable(np.float32(1.5)).dtype == np.float32
    assert pg.constant(3).dtype == np.int64
    assert pg.constant(True).dtype == np.bool_


@pytest.mark.parametrize(
    ("data", "name"),
    [([1.0, 2.0], "list"), ("abc", "str"), (None, "NoneType"), ((1.0,), "tuple"), ({}, "dict")],
)
def test_leaves_refuse_non_arrays_naming_the_type(data: object, name: str) -> None:
    with pytest.raises(TypeError, match=name):
        pg.variable(data)  # type: ignore[call-overload]  # the misuse under test
    with pytest.raises(TypeError, match=name):
        pg.constant(data)  # type: ignore[call-overload]  # the misuse under test


def test_object_and_string_arrays_are_refused() -> None:
    with pytest.raises(TypeError, match="object"):
        pg.constant(np.array([object()]))
    with pytest.raises(TypeError, match="<U"):
        pg.constant(np.array(["a"]))


def test_variable_needs_a_floating_dtype() -> None:
    with pytest.raises(TypeError, match="variable: needs a floating dtype, got int64"):
        pg.variable(np.array([1, 2]))
    with pytest.raises(TypeError, match="bool"):
        pg.variable(np.array([True]))
    assert not pg.constant(np.array([1, 2])).requires_grad


def test_nodes_are_frozen() -> None:
    x = pg.variable(1.0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        x.name = "y"  # type: ignore[misc]  # the misuse under test
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        x.value = np.zeros(())  # type: ignore[misc]  # the misuse under test
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        (x * 2).inputs = ()  # type: ignore[misc]  # the misuse under test


def test_identity_equality_hashing_and_weakrefs() -> None:
    a, b = pg.variable(1.0), pg.variable(1.0)
    assert a == a and a != b
    assert len({a, b, a}) == 2
    assert weakref.ref(a)() is a
    assert not hasattr(a, "__dict__")  # slotted


def test_properties_len_and_repr() -> None:
    x = pg.variable(np.zeros((2, 3), np.float32), name="w")
    assert (x.shape, x.ndim, x.size, x.dtype, len(x)) == ((2, 3), 2, 6, np.dtype(np.float32), 2)
    assert repr(x) == (
        "Node([[0., 0., 0.],\n      [0., 0., 0.]], name='w', variable, dtype=float32)"
    )
    assert repr(pg.exp(pg.variable(0.0))) == "Node(1., op=exp)"
    assert repr(pg.constant(3)) == "Node(3, constant, dtype=int64)"
    with pytest.raises(TypeError, match="0-d"):
        len(pg.variable(1.0))


def test_generation_and_requires_grad() -> None:
    x = pg.variable(1.0)
    c = pg.constant(2.0)
    y = x * c
    z = pg.exp(y) + x
    assert (x.generation, c.generation, y.generation, z.generation) == (0, 0, 1, 3)
    assert y.requires_grad and not (c * c).requires_grad
    assert (c * c).inputs == () and (c * c).origin is None
    assert y.inputs[0] is x and y.inputs[1] is c


def test_array_conversion_refuses_to_drop_the_graph() -> None:
    x = pg.variable(np.ones(2))
    with pytest.raises(TypeError, match="requires grad"):
        np.asarray(x)
    assert np.asarray(pg.constant(np.ones(2))).tolist() == [1.0, 1.0]


def test_numpy_functions_dispatch_or_refuse() -> None:
    x = pg.variable(np.array([1.0, 2.0]))
    assert type(np.exp(x)) is pg.Node
    assert type(np.sum(x)) is pg.Node
    assert np.shape(x) == (2,)
    with pytest.raises(TypeError, match="numpy.fmod is not supported"):
        np.fmod(x, x)
    with pytest.raises(TypeError, match=r"numpy.subtract.reduce is not supported"):
        np.subtract.reduce(x)
    with pytest.raises(TypeError, match="numpy.sort is not supported"):
        np.sort(x)
    with pytest.raises(TypeError, match="keyword"):
        np.exp(x, out=np.empty(2))

"""Trees of parameters: flattening order, rebuilding, mapping, variables and gradients."""

from __future__ import annotations

from typing import Any, NamedTuple

import attrs
import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg


@attrs.frozen
class Dense:
    W: NDArray[np.float64]
    b: NDArray[np.float64] | None


class Pair(NamedTuple):
    first: NDArray[np.float64]
    second: NDArray[np.float64]


def sample() -> dict[str, Any]:
    return {
        "z": np.full(1, 1.0),
        "a": (np.full(2, 2.0), [np.full(3, 3.0), None]),
        "dense": Dense(np.full((2, 2), 4.0), np.full(2, 5.0)),
        "pair": Pair(np.full(1, 6.0), np.full(1, 7.0)),
    }


def test_leaves_in_insertion_then_index_then_field_order() -> None:
    leaves = pg.tree_leaves(sample())
    assert [float(np.asarray(leaf).flat[0]) for leaf in leaves] == [1, 2, 3, 4, 5, 6, 7]
    assert [leaf.shape for leaf in leaves] == [(1,), (2,), (3,), (2, 2), (2,), (1,), (1,)]


def test_a_leaf_and_none_are_trees() -> None:
    a = np.ones(2)
    assert pg.tree_leaves(a) == [a]
    assert pg.tree_leaves(None) == []
    assert pg.tree_map(lambda x: 2 * x, None) is None


def test_unflatten_rebuilds_the_same_types() -> None:
    tree = sample()
    treedef = pg.tree_structure(tree)
    assert treedef.num_leaves == 7
    rebuilt = treedef.unflatten([np.zeros(1)] * 7)
    assert list(rebuilt) == ["z", "a", "dense", "pair"]
    assert type(rebuilt["a"]) is tuple and type(rebuilt["a"][1]) is list
    assert rebuilt["a"][1][1] is None
    assert type(rebuilt["dense"]) is Dense and type(rebuilt["pair"]) is Pair
    assert pg.tree_structure(rebuilt) == treedef
    assert pg.tree_structure({"a": np.ones(1)}) != pg.tree_structure({"b": np.ones(1)})
    with pytest.raises(ValueError, match="the structure has 7 leaves, got 2"):
        pg.tree_unflatten(treedef, [np.zeros(1)] * 2)


def test_map_one_and_several_trees() -> None:
    tree = sample()
    doubled = pg.tree_map(lambda x: 2 * x, tree)
    assert [float(np.asarray(x).flat[0]) for x in pg.tree_leaves(doubled)] == [2, 4, 6, 8, 10, 12, 14]
    summed = pg.tree_map(lambda x, y, z: x + y + z, tree, tree, doubled)
    assert float(summed["dense"].W[0, 0]) == 16.0
    # dicts are matched by key, so another insertion order maps the same leaves together
    reordered = {"pair": tree["pair"], "dense": tree["dense"], "a": tree["a"], "z": tree["z"]}
    diff = pg.tree_map(lambda x, y: x - y, tree, reordered)
    assert all(float(np.max(np.abs(leaf))) == 0.0 for leaf in pg.tree_leaves(diff))
    assert list(diff) == ["z", "a", "dense", "pair"]


def test_map_does_not_touch_its_inputs() -> None:
    tree = {"w": np.ones(3)}
    pg.tree_map(lambda x: x * 0.0, tree)
    np.testing.assert_array_equal(tree["w"], np.ones(3))


@pytest.mark.parametrize(
    ("other", "message"),
    [
        ({"w": np.ones(1)}, r"at \['v'\]: expected a dict, got ndarray|dict keys"),
        ({"w": {"x": np.ones(1)}, "v": (np.ones(1),)}, r"at \['v'\]: expected a list, got tuple"),
        ({"w": {"x": np.ones(1)}, "v": [np.ones(1), np.ones(1)]}, r"at \['v'\]: lengths 1 and 2"),
        ({"w": {"y": np.ones(1)}, "v": [np.ones(1)]}, r"at \['w'\]: dict keys \['x'\] and \['y'\]"),
        ({"w": {"x": None}, "v": [np.ones(1)]}, r"at \['w'\]\['x'\]: expected a leaf"),
    ],
)
def test_map_names_where_structures_differ(other: object, message: str) -> None:
    tree = {"w": {"x": np.ones(1)}, "v": [np.ones(1)]}
    with pytest.raises(ValueError, match=message):
        pg.tree_map(lambda x, y: x + y, tree, other)


def test_bad_trees_name_the_place() -> None:
    to_float: Any = lambda x: float(x.sum())  # a misuse mypy would reject; checked at run time

    with pytest.raises(TypeError, match=r"tree_leaves: .* got int at \['a'\]\[1\]"):
        pg.tree_leaves({"a": [np.ones(1), 3]})
    with pytest.raises(TypeError, match="dict keys in a tree must be str, got int 1"):
        pg.tree_leaves({1: np.ones(1)})
    with pytest.raises(TypeError, match=r"got list at the root|got str at \[0\]"):
        pg.tree_leaves(["text"])
    with pytest.raises(TypeError, match="f must return an ndarray or a Node, got float"):
        pg.tree_map(to_float, {"a": np.ones(1)})

    @attrs.define
    class Hidden:
        w: NDArray[np.float64]
        cache: int = attrs.field(init=False, default=0)

    with pytest.raises(TypeError, match="field 'cache' with init=False"):
        pg.tree_leaves(Hidden(np.ones(1)))


def test_attrs_private_fields_rebuild_through_their_alias() -> None:
    @attrs.frozen
    class Private:
        _w: NDArray[np.float64]

    rebuilt = pg.tree_map(lambda x: x + 1, Private(np.zeros(1)))
    assert float(np.asarray(pg.tree_leaves(rebuilt)[0])[0]) == 1.0


def test_to_variables_then_gradients_of() -> None:
    params = {"W": np.full((2, 2), 2.0), "b": np.ones(2, np.float32), "unused": np.ones(3)}
    variables = pg.to_variables(params)
    assert all(type(v) is pg.Node and v.requires_grad for v in pg.tree_leaves(variables))
    assert variables["b"].dtype == np.float32
    y = pg.sum(variables["W"] * 3.0) + pg.sum(variables["b"] * variables["b"])
    grads = pg.gradients_of(pg.backward(y), variables)
    assert list(grads) == ["W", "b", "unused"]
    np.testing.assert_array_equal(grads["W"], np.full((2, 2), 3.0))
    np.testing.assert_array_equal(grads["b"], np.full(2, 2.0, np.float32))
    assert grads["b"].dtype == np.float32
    np.testing.assert_array_equal(grads["unused"], np.zeros(3))
    assert all(isinstance(g, np.ndarray) and not g.flags.writeable for g in pg.tree_leaves(grads))
    # the params were copied into the variables, never aliased
    params["W"][0, 0] = 100.0
    assert float(variables["W"].value[0, 0]) == 2.0


def test_to_variables_and_gradients_of_refuse_wrong_leaves() -> None:
    with pytest.raises(TypeError, match="to_variables: leaf 0 is already a Node"):
        pg.to_variables([pg.variable(1.0)])
    with pytest.raises(TypeError, match="to_variables: leaf 1: variable: needs a floating dtype"):
        pg.to_variables([np.ones(1), np.arange(2)])
    x = pg.variable(np.ones(1))
    with pytest.raises(TypeError, match="gradients_of: leaf 1 is a ndarray, not a Node"):
        pg.gradients_of(pg.backward(pg.sum(x)), (x, np.ones(1)))


def test_to_arrays() -> None:
    x = pg.variable(np.ones(2))
    a = np.zeros(1)
    tree: dict[str, pg.Leaf] = {"x": x, "a": a}
    arrays = pg.to_arrays(tree)
    assert arrays["x"] is x.value and arrays["a"] is a


def test_tree_value_and_grad() -> None:
    def loss(p: dict[str, pg.Param[np.float64]], x: float, *, scale: float) -> pg.Node[np.float64]:
        return pg.sum(p["w"] * x) * scale + pg.sum(p["b"] * p["b"])

    params: dict[str, pg.Param[np.float64]] = {"w": np.ones(2), "b": np.full(1, 2.0), "unused": np.ones(3)}
    with pg.no_grad():  # differentiates inside no_grad too
        value, grads = pg.tree_value_and_grad(loss)(params, 3.0, scale=2.0)
    assert float(value) == 16.0
    assert list(grads) == ["w", "b", "unused"]
    np.testing.assert_array_equal(grads["w"], [6.0, 6.0])
    np.testing.assert_array_equal(grads["b"], [4.0])
    np.testing.assert_array_equal(grads["unused"], np.zeros(3))
    _, none = pg.tree_value_and_grad(lambda p: pg.constant(1.0))(params)
    assert all(not np.any(g) for g in pg.tree_leaves(none))


def test_tree_value_and_grad_errors() -> None:
    params = (np.ones(2),)
    with pytest.raises(ValueError, match=r"must return a node of shape \(\) \(a scalar\), got shape \(2,\)"):
        pg.tree_value_and_grad(lambda p: p[0] * 2.0)(params)
    bad: Any = lambda p: 1.0  # a misuse mypy would reject; checked at run time
    with pytest.raises(TypeError, match="f must return a puregrad Node, got float"):
        pg.tree_value_and_grad(bad)(params)
    with pytest.raises(TypeError, match="to_variables: leaf 0: variable: needs a floating dtype"):
        pg.tree_value_and_grad(lambda p: pg.sum(p[0]))((np.arange(2),))

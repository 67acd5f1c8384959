"""Parameters as data: nested containers of arrays ("trees"), and typed helpers over them.

A tree is an ndarray or a `Node` (a leaf), None (an empty subtree), or a container of trees:
a `dict` with `str` keys, a `tuple` (named tuples included), a `list`, or an attrs instance
(its fields, in definition order). Anything else inside a tree is a `TypeError` naming its
path. The order of the leaves is deterministic: dicts in insertion order, sequences in index
order, attrs fields in definition order (DeZero kept its parameters in a `set`, whose order
changed between runs).

Typing: a function over trees keeps the caller's own tree type `T` (`tree_map(f, params)`
has the type of `params`). A parameter that is an array at rest and a `variable` while
being differentiated is annotated `Param[F]` (`Node[F] | NDArray[F]`); every op accepts both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Concatenate, Final, Generic, ParamSpec, TypeAlias, TypeVar, final, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.backward import Gradients, backward
from puregrad.config import Config, using_config
from puregrad.node import F, Node, variable
from puregrad.ops.nn import stop_gradient

__all__ = [
    "tree_stop_gradient",
    "Leaf",
    "Param",
    "TreeDef",
    "gradients_of",
    "to_arrays",
    "to_variables",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
    "tree_value_and_grad",
]

T = TypeVar("T")
P = ParamSpec("P")
L = TypeVar("L", NDArray[Any], Node[Any])
"""The leaves a mapped function sees: all arrays, or all nodes."""

Leaf: TypeAlias = NDArray[Any] | Node[Any]
"""What a tree holds at its leaves."""

Param: TypeAlias = Node[F] | NDArray[F]
"""A parameter: an array at rest, a `variable` while it is differentiated."""


# The structure of a tree: one frozen description per container, leaves left out ----------


@attrs.frozen
class _LeafDef:
    pass


@attrs.frozen
class _NoneDef:
    pass


@attrs.frozen
class _DictDef:
    keys: tuple[str, ...]
    children: tuple[_Def, ...]


@attrs.frozen
class _SequenceDef:
    kind: type[tuple[Any, ...]] | type[list[Any]]
    children: tuple[_Def, ...]


@attrs.frozen
class _AttrsDef:
    kind: type[attrs.AttrsInstance]
    names: tuple[str, ...]  # the __init__ argument of each field (its alias)
    children: tuple[_Def, ...]


_Def: TypeAlias = _LeafDef | _NoneDef | _DictDef | _SequenceDef | _AttrsDef
_LEAF: Final = _LeafDef()
_NONE: Final = _NoneDef()


@final
@attrs.frozen
class TreeDef(Generic[T]):
    """The structure of a tree of type `T`, without its leaves (see `tree_structure`).

    Two trees of the same structure have equal `TreeDef`s.
    """

    _root: _Def
    num_leaves: int

    def unflatten(self, leaves: Sequence[Leaf]) -> T:
        """A tree of this structure holding `leaves` (in `tree_leaves` order)."""
        return tree_unflatten(self, leaves)


# Walking a tree: one set of rules for every function over trees (and for saving) --------


_Step: TypeAlias = "str | int | attrs.Attribute[Any]"
"""One step into a tree: a dict key, a sequence index or an attrs field."""

_Path: TypeAlias = tuple[_Step, ...]
"""Where a value sits in a tree: the steps from the root."""


def _path(path: _Path) -> str:
    """`path` written as Python indexes it: `['layers'][0].W` (or "the root")."""
    if not path:
        return "the root"
    return "".join(
        f"[{step!r}]" if isinstance(step, str) else f"[{step}]" if isinstance(step, int)
        else f".{step.name}"
        for step in path
    )


@attrs.frozen
class _Walk:
    """How `_flatten` walks a tree: who reports its errors and how they name places, what
    the leaf list keeps for each leaf, and which further types are leaves."""

    who: str
    where: Callable[[_Path], str] = _path
    keep: Callable[[Any, _Path], object] | None = None
    """What the leaf list holds for a leaf and its path (the leaf itself without it); may
    raise. Called for ndarrays and Nodes, and for values of `more_leaves`."""
    more_leaves: tuple[type, ...] = ()
    holds: str = "ndarrays and Nodes in dicts, tuples, lists and attrs instances"
    """What a tree may hold, for the error naming a value that is none of it."""
    rebuilt: str = "as a tree"


def _flatten(tree: object, leaves: list[Any], path: _Path, walk: _Walk) -> _Def:
    """The structure of `tree`; appends its leaves to `leaves` in the tree's order."""
    if type(tree) is Node or isinstance(tree, np.ndarray):
        leaves.append(tree if walk.keep is None else walk.keep(tree, path))
        return _LEAF
    if tree is None:
        return _NONE
    if isinstance(tree, dict):
        for key in tree:
            if type(key) is not str:
                raise TypeError(
                    f"{walk.who}: dict keys in a tree must be str, got {type(key).__name__} "
                    f"{key!r} at {walk.where(path)}"
                )
        return _DictDef(
            tuple(tree),
            tuple(_flatten(v, leaves, (*path, k), walk) for k, v in tree.items()),
        )
    if isinstance(tree, (tuple, list)):
        return _SequenceDef(
            type(tree),
            tuple(_flatten(v, leaves, (*path, i), walk) for i, v in enumerate(tree)),
        )
    kind = type(tree)
    if attrs.has(kind):
        fields = attrs.fields(kind)
        for field in fields:
            if not field.init:
                raise TypeError(
                    f"{walk.who}: attrs class {kind.__name__} has a field {field.name!r} "
                    f"with init=False, so it cannot be rebuilt {walk.rebuilt}"
                )
        return _AttrsDef(
            kind,
            tuple(field.alias for field in fields),
            tuple(
                _flatten(getattr(tree, field.name), leaves, (*path, field), walk)
                for field in fields
            ),
        )
    if walk.more_leaves and isinstance(tree, walk.more_leaves):
        assert walk.keep is not None
        leaves.append(walk.keep(tree, path))
        return _LEAF
    raise TypeError(
        f"{walk.who}: a tree holds {walk.holds}; got {type(tree).__name__} at "
        f"{walk.where(path)}"
    )


def _build(definition: _Def, leaves: Iterator[object]) -> object:
    """A tree of the structure `definition` holding `leaves` (in order)."""
    if type(definition) is _LeafDef:
        return next(leaves)
    if type(definition) is _NoneDef:
        return None
    if type(definition) is _DictDef:
        return {k: _build(c, leaves) for k, c in zip(definition.keys, definition.children)}
    if type(definition) is _SequenceDef:
        items = [_build(c, leaves) for c in definition.children]
        kind = definition.kind
        if kind is list:
            return items
        if kind is tuple:
            return (*items,)
        make = getattr(kind, "_make", None)  # a named tuple takes its fields as arguments
        if make is not None:
            return make(items)
        return kind(items)
    assert type(definition) is _AttrsDef
    return definition.kind(
        **{n: _build(c, leaves) for n, c in zip(definition.names, definition.children)}
    )


def _follow(definition: _Def, tree: object, leaves: list[Leaf], path: _Path, who: str) -> None:
    """The leaves of `tree`, which must have the structure `definition` (dicts are matched
    by key, so their order may differ)."""

    def mismatch(expected: str) -> ValueError:
        return ValueError(
            f"{who}: the trees differ in structure at {_path(path)}: expected {expected}, "
            f"got {type(tree).__name__}"
        )

    if type(definition) is _LeafDef:
        if not (type(tree) is Node or isinstance(tree, np.ndarray)):
            raise mismatch("a leaf (an ndarray or a Node)")
        leaves.append(tree)
    elif type(definition) is _NoneDef:
        if tree is not None:
            raise mismatch("None")
    elif type(definition) is _DictDef:
        if not isinstance(tree, dict):
            raise mismatch("a dict")
        if set(tree) != set(definition.keys) or len(tree) != len(definition.keys):
            raise ValueError(
                f"{who}: the trees differ in structure at {_path(path)}: dict keys "
                f"{sorted(definition.keys)} and {sorted(map(str, tree))}"
            )
        for k, c in zip(definition.keys, definition.children):
            _follow(c, tree[k], leaves, (*path, k), who)
    elif type(definition) is _SequenceDef:
        if type(tree) is not definition.kind:
            raise mismatch(f"a {definition.kind.__name__}")
        assert isinstance(tree, (tuple, list))
        if len(tree) != len(definition.children):
            raise ValueError(
                f"{who}: the trees differ in structure at {_path(path)}: lengths "
                f"{len(definition.children)} and {len(tree)}"
            )
        for i, (c, v) in enumerate(zip(definition.children, tree)):
            _follow(c, v, leaves, (*path, i), who)
    else:
        assert type(definition) is _AttrsDef
        if type(tree) is not definition.kind:
            raise mismatch(f"a {definition.kind.__name__}")
        for field, c in zip(attrs.fields(definition.kind), definition.children):
            _follow(c, getattr(tree, field.name), leaves, (*path, field), who)


def _flatten_root(tree: object, who: str) -> tuple[list[Leaf], _Def]:
    leaves: list[Leaf] = []
    root = _flatten(tree, leaves, (), _Walk(who))
    return leaves, root


# Public helpers ----------------------------------------------------------------------------


def tree_leaves(tree: object) -> list[Leaf]:
    """The leaves of `tree` (its ndarrays and Nodes), in the tree's deterministic order.

    Raises:
        TypeError: the tree holds something that is neither a leaf nor a container.

    >>> tree_leaves({"W": np.ones((2, 2)), "b": (np.zeros(2), None)})
    [array([[1., 1.],
           [1., 1.]]), array([0., 0.])]
    """
    return _flatten_root(tree, "tree_leaves")[0]


def tree_structure(tree: T) -> TreeDef[T]:
    """The structure of `tree` without its leaves; `.unflatten(leaves)` rebuilds a tree.

    >>> tree_structure({"W": np.ones(2), "b": np.zeros(2)}).num_leaves
    2
    """
    leaves, root = _flatten_root(tree, "tree_structure")
    return TreeDef(root, len(leaves))


def tree_unflatten(treedef: TreeDef[T], leaves: Sequence[Leaf]) -> T:
    """A tree of structure `treedef` holding `leaves` (in `tree_leaves` order).

    Raises:
        ValueError: the number of leaves differs from the structure's.

    >>> treedef = tree_structure((np.ones(2), {"b": np.ones(1)}))
    >>> tree_unflatten(treedef, [np.zeros(2), np.zeros(1)])
    (array([0., 0.]), {'b': array([0.])})
    """
    if len(leaves) != treedef.num_leaves:
        raise ValueError(
            f"tree_unflatten: the structure has {treedef.num_leaves} leaves, got {len(leaves)}"
        )
    return _build(treedef._root, iter(leaves))  # type: ignore[return-value]  # built from a T's structure


@overload
def tree_map(f: Callable[[L], L], tree: T, /) -> T: ...
@overload
def tree_map(f: Callable[[L, L], L], tree: T, other: T, /) -> T: ...
@overload
def tree_map(f: Callable[[L, L, L], L], tree: T, other: T, another: T, /) -> T: ...
@overload
def tree_map(f: Callable[..., Leaf], tree: T, /, *rest: T) -> T: ...
def tree_map(f: Callable[..., Leaf], tree: T, /, *rest: T) -> T:
    """A tree of the structure of `tree` holding `f` of its leaves.

    With several trees, `f` receives the leaves at the same place in each (they must have
    `tree`'s structure; dicts are matched by key).

    Raises:
        TypeError: a tree holds something that is neither a leaf nor a container, or `f`
            returns something other than an ndarray or a Node.
        ValueError: the trees differ in structure (the message names the place).

    >>> tree_map(lambda p, g: p - 0.5 * g, {"w": np.ones(2)}, {"w": np.ones(2)})
    {'w': array([0.5, 0.5])}
    """
    leaves, root = _flatten_root(tree, "tree_map")
    columns = [leaves]
    for other in rest:
        other_leaves: list[Leaf] = []
        _follow(root, other, other_leaves, (), "tree_map")
        columns.append(other_leaves)
    mapped: list[Leaf] = []
    for args in zip(*columns):
        y = f(*args)
        if not (type(y) is Node or isinstance(y, np.ndarray)):
            raise TypeError(
                f"tree_map: f must return an ndarray or a Node, got {type(y).__name__}"
            )
        mapped.append(y)
    return _build(root, iter(mapped))  # type: ignore[return-value]  # built from a T's structure


@overload
def to_variables(tree: NDArray[F]) -> Node[F]: ...
@overload
def to_variables(tree: dict[str, NDArray[F]]) -> dict[str, Node[F]]: ...
@overload
def to_variables(tree: list[NDArray[F]]) -> list[Node[F]]: ...
@overload
def to_variables(tree: tuple[NDArray[F], ...]) -> tuple[Node[F], ...]: ...
@overload
def to_variables(tree: T) -> T: ...
def to_variables(tree: object) -> object:
    """`tree` with each ndarray leaf made a `variable` (what gradients are taken for).

    Typing: an array, or a dict, list or tuple of arrays, gives nodes in their place; any
    other tree keeps its type, so annotate its leaves `Param[F]` (array or node).

    Raises:
        TypeError: a leaf is already a Node, or is not a floating array (naming its path).

    >>> to_variables({"w": np.ones(2)})
    {'w': Node([1., 1.], variable)}
    """
    leaves, root = _flatten_root(tree, "to_variables")
    variables: list[Leaf] = []
    for i, leaf in enumerate(leaves):
        if type(leaf) is Node:
            raise TypeError(
                f"to_variables: leaf {i} is already a Node; the tree must hold arrays"
            )
        try:
            variables.append(variable(leaf))
        except TypeError as error:
            raise TypeError(f"to_variables: leaf {i}: {error}") from None
    return _build(root, iter(variables))


@overload
def to_arrays(tree: Node[F]) -> NDArray[F]: ...
@overload
def to_arrays(tree: dict[str, Node[F]]) -> dict[str, NDArray[F]]: ...
@overload
def to_arrays(tree: list[Node[F]]) -> list[NDArray[F]]: ...
@overload
def to_arrays(tree: tuple[Node[F], ...]) -> tuple[NDArray[F], ...]: ...
@overload
def to_arrays(tree: T) -> T: ...
def to_arrays(tree: object) -> object:
    """`tree` with each Node leaf replaced by its value (a read-only ndarray).

    Typing as `to_variables`, the other way round.

    >>> import puregrad as pg
    >>> to_arrays((pg.variable(2.0), np.ones(1)))
    (array(2.), array([1.]))
    """
    leaves, root = _flatten_root(tree, "to_arrays")
    arrays = [leaf.value if type(leaf) is Node else leaf for leaf in leaves]
    return _build(root, iter(arrays))


@overload
def gradients_of(grads: Gradients, variables: Node[F]) -> NDArray[F]: ...
@overload
def gradients_of(grads: Gradients, variables: dict[str, Node[F]]) -> dict[str, NDArray[F]]: ...
@overload
def gradients_of(grads: Gradients, variables: list[Node[F]]) -> list[NDArray[F]]: ...
@overload
def gradients_of(
    grads: Gradients, variables: tuple[Node[F], ...]
) -> tuple[NDArray[F], ...]: ...
@overload
def gradients_of(grads: Gradients, variables: T) -> T: ...
def gradients_of(grads: Gradients, variables: object) -> object:
    """The gradients in `grads` of the nodes in `variables`, as a tree of the same structure.

    Typing as `to_arrays`: a node, or a dict, list or tuple of nodes, gives arrays in their
    place; any other tree keeps its type.

    Each leaf is the gradient's value (a read-only array of the node's shape and dtype), or
    read-only zeros where the node has no gradient (the output does not depend on it).

    Raises:
        TypeError: a leaf of `variables` is not a Node.

    >>> import puregrad as pg
    >>> params = to_variables({"a": np.ones(2), "b": np.ones(2)})
    >>> gradients_of(pg.backward(pg.sum(params["a"] * 3.0)), params)
    {'a': array([3., 3.]), 'b': array([0., 0.])}
    """
    leaves, root = _flatten_root(variables, "gradients_of")
    values: list[Leaf] = []
    for i, leaf in enumerate(leaves):
        if type(leaf) is not Node:
            raise TypeError(
                f"gradients_of: leaf {i} is a {type(leaf).__name__}, not a Node; pass the "
                "tree of variables that was differentiated"
            )
        g = grads.get(leaf)
        if g is None:
            zeros = np.zeros(leaf.shape, leaf.dtype)
            zeros.flags.writeable = False
            values.append(zeros)
        else:
            values.append(g.value)
    return _build(root, iter(values))


_RECORD: Final = Config()  # f runs with backprop on, whatever scope the caller is in
_NO_GRADIENTS: Final = Gradients({})


def tree_value_and_grad(
    f: Callable[Concatenate[T, P], Node[F]],
) -> Callable[Concatenate[T, P], tuple[NDArray[F], T]]:
    """`value_and_grad` for a function of a tree of parameters (its first argument).

    The returned function takes the tree of arrays (and `f`'s other arguments, passed
    unchanged), makes its leaves `variable`s, evaluates `f` once with backprop enabled (also
    inside `no_grad`) and returns `(value, gradients)`: the value as a 0-d array and the
    gradients as a tree of read-only arrays of the same structure (zeros for a leaf `f` does
    not use).

    Raises:
        TypeError: (when called) the first argument is not a tree of floating arrays, or `f`
            does not return a Node.
        ValueError: (when called) `f` returns a node that is not of shape `()`.

    >>> import puregrad as pg
    >>> def loss(p: dict[str, Param[np.float64]], x: float) -> Node[np.float64]:
    ...     return pg.sum(p["w"] * x) + pg.sum(p["b"] * p["b"])
    >>> value, grads = tree_value_and_grad(loss)({"w": np.ones(2), "b": np.ones(1)}, 3.0)
    >>> value, grads
    (array(7.), {'w': array([3., 3.]), 'b': array([2.])})
    """

    @functools.wraps(f)
    def value_and_gradient(params: T, /, *args: P.args, **kwargs: P.kwargs) -> tuple[NDArray[F], T]:
        variables = to_variables(params)
        with using_config(_RECORD):
            y = f(variables, *args, **kwargs)
        if type(y) is not Node:
            raise TypeError(
                f"tree_value_and_grad: f must return a puregrad Node, got {type(y).__name__}"
            )
        if y.shape != ():
            raise ValueError(
                f"tree_value_and_grad: f must return a node of shape () (a scalar), got shape "
                f"{y.shape}; reduce it (pg.sum)"
            )
        grads = backward(y, _RECORD) if y.requires_grad else _NO_GRADIENTS
        return y.value, gradients_of(grads, variables)

    return value_and_gradient


def tree_stop_gradient(tree: T) -> T:
    """`tree` (a state, or any tree) with every node replaced by a constant carrying its
    value: the functional `unchain_backward`.

    Nothing is changed: the nodes given stay as they were (their graph lives as long as
    someone holds them); the constants returned hold no inputs, so a graph that continues
    from them starts here, and gradients stop exactly at this point. Arrays pass unchanged.
    Use it on the state carried from one window of truncated BPTT to the next.

    >>> import puregrad as pg
    >>> x = pg.variable(np.ones(2))
    >>> state = pg.LSTMState(pg.tanh(x), x * 2)
    >>> cut = tree_stop_gradient(state)
    >>> cut.h.requires_grad, cut.h.inputs, cut.c.value
    (False, (), array([2., 2.]))
    """
    return tree_map(_stop, tree)


def _stop(leaf: Any) -> Any:
    return stop_gradient(leaf) if type(leaf) is Node else leaf

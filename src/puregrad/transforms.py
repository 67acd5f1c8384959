"""JAX's functional transforms: `grad`, `value_and_grad`, `vjp`, `jvp`, `jacobian`,
`hessian` and `hvp`, composable to any depth.

A transformed function takes arrays or nodes:

- Given arrays (or trees of arrays) it returns arrays, read-only, as plain numpy code would.
  The differentiated arguments become `variable`s, `f` runs with backprop enabled (also
  inside `no_grad`), and one sweep runs.
- Given nodes (a node among the differentiated arguments: inside another transform, or in a
  loss), it returns nodes that carry their own graph: the sweep runs with `create_graph`, so
  the result differentiates again (`grad(lambda x: pg.sum(grad(f)(x)))`, a gradient
  penalty). Each node argument enters `f` through a fresh identity node, and the sweep stops
  there: the result is the partial derivative with respect to that argument, even when `f`
  also closes over the same node (no perturbation confusion). Array arguments beside them
  become private variables.

The sweeps visit only the ops on a path from the output to the differentiated arguments
(`backward.paths_to`), so a gradient penalty does not also differentiate the parameters it
closes over, and a forward-mode product does not differentiate the primal twice.

Forward mode (`jvp`) transposes the VJP: the VJP `u -> J^T u` is linear in the cotangent
`u`, so differentiating it with respect to `u` along the tangent `t` gives `J t`. One forward
pass, one backward pass recording its graph, and one backward pass over the part of that
graph that depends on `u`: about twice a `vjp`, and every op (a user's too) gets forward
mode from its VJP rule alone, where a tangent sweep would need a second rule per op.
`hvp` is reverse over reverse: the gradient recorded, then differentiated along `v`; the
Hessian is never formed.

Typing: for the usual calls (`argnums` 0, 1 or `(0, 1)`) the result keeps `f`'s other
parameters (a `ParamSpec`) and the dtype of its nodes, and is overloaded on the kind of the
differentiated argument: `NDArray[F]` in, `NDArray[F]` out; `Node[F]` in, `Node[F]` out. Any
other `argnums` gives a `Callable[..., ...]` typed for arrays (nodes in still give nodes at
run time), since a type cannot swap the types of parameters chosen by value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import (
    Any,
    Concatenate,
    Final,
    Literal,
    ParamSpec,
    Protocol,
    TypeAlias,
    TypeVar,
    cast,
    overload,
)

import numpy as np
from numpy.typing import NDArray

from puregrad.backward import Paths, paths_to, sweep_to
from puregrad.config import Config, using_config
from puregrad.node import F, Node, _leaf, _new_node, as_array, shape_of, variable
from puregrad.op import Array, Elementwise
from puregrad.ops.arithmetic import Cast
from puregrad.ops.shape import concat, reshape
from puregrad.tree import to_variables, tree_leaves, tree_map

__all__ = [
    "Transformed",
    "Transformed01",
    "Transformed1",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "value_and_grad",
    "vjp",
]

P = ParamSpec("P")
T = TypeVar("T")
F_contra = TypeVar("F_contra", bound=np.floating[Any], contravariant=True)
T_contra = TypeVar("T_contra", contravariant=True)
N_co = TypeVar("N_co", covariant=True)
A_co = TypeVar("A_co", covariant=True)

Primal: TypeAlias = NDArray[F] | F
"""A differentiated argument given as an array or a scalar (it becomes a `variable`)."""

Argnums: TypeAlias = int | tuple[int, ...]


class Transformed(Protocol[F_contra, P, N_co, A_co]):
    """A transformed function of `f(x, *args, **kwargs)`, differentiated in `x`: a node `x`
    gives `N_co` (nodes with their graph), an array `x` gives `A_co` (arrays)."""

    @overload
    def __call__(self, x: Node[F_contra], /, *args: P.args, **kwargs: P.kwargs) -> N_co: ...
    @overload
    def __call__(
        self, x: NDArray[F_contra] | F_contra, /, *args: P.args, **kwargs: P.kwargs
    ) -> A_co: ...


class Transformed1(Protocol[T_contra, F_contra, P, N_co, A_co]):
    """As `Transformed`, differentiated in the second argument (`argnums=1`)."""

    @overload
    def __call__(
        self, a: T_contra, x: Node[F_contra], /, *args: P.args, **kwargs: P.kwargs
    ) -> N_co: ...
    @overload
    def __call__(
        self, a: T_contra, x: NDArray[F_contra] | F_contra, /, *args: P.args, **kwargs: P.kwargs
    ) -> A_co: ...


class Transformed01(Protocol[F_contra, P, N_co, A_co]):
    """As `Transformed`, differentiated in the first two arguments (`argnums=(0, 1)`):
    arrays for both give arrays; a node for either gives nodes."""

    @overload
    def __call__(
        self,
        x0: NDArray[F_contra] | F_contra,
        x1: NDArray[F_contra] | F_contra,
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> A_co: ...
    @overload
    def __call__(
        self,
        x0: Node[F_contra] | NDArray[F_contra] | F_contra,
        x1: Node[F_contra] | NDArray[F_contra] | F_contra,
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> N_co: ...


_RECORD: Final = Config()  # f runs with backprop on, whatever scope the caller is in

ARGUMENT: Final = Elementwise("argument", lambda x: x, lambda gy, x, y: gy)
"""The identity through which a node argument enters a transformed function: the point the
sweep stops at, distinct from the node itself (which `f` may also close over)."""


# Arguments ----------------------------------------------------------------------------------


def _argnums(argnums: object, who: str) -> tuple[int, ...]:
    """`argnums` as a tuple of distinct non-negative positions."""
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        positions: tuple[object, ...] = (argnums,)
    elif isinstance(argnums, tuple):
        positions = argnums
    else:
        raise TypeError(f"{who}: argnums must be an int or a tuple of ints, got {argnums!r}")
    checked: list[int] = []
    for a in positions:
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(f"{who}: argnums must be an int or a tuple of ints, got {argnums!r}")
        if a < 0:
            raise ValueError(f"{who}: argnums must be non-negative, got {argnums!r}")
        checked.append(a)
    if len(set(checked)) != len(checked):
        raise ValueError(f"{who}: argnums has repeated entries: {argnums!r}")
    return tuple(checked)


def _has_node(value: object) -> bool:
    if type(value) is Node:
        return True
    if isinstance(value, (np.ndarray, np.generic, int, float)):
        return False
    try:
        return any(type(leaf) is Node for leaf in tree_leaves(value))
    except TypeError:
        return False  # not a tree: `_point` says what is wrong with it


def _point(value: object, i: int, who: str, nodes: bool) -> Any:
    """A differentiated argument as the node(s) the sweep stops at: a variable for an array
    or scalar; in node mode, an `ARGUMENT` node over it (see `entry`). A tree gives the same
    tree of them."""
    try:
        if type(value) is Node or isinstance(value, (np.ndarray, np.generic, int, float)):
            return entry(value) if nodes else variable(value)
        return tree_map(entry, value) if nodes else to_variables(value)
    except TypeError as error:
        raise TypeError(f"{who}: argument {i}: {error}") from None


def entry(value: object) -> Node[Any]:
    """The node through which `value` (a node, an array or a scalar) enters a function
    differentiated in node mode: an `ARGUMENT` op over it, recorded whether or not it
    requires grad. The sweep stops there; below it, the graph goes on into the node itself
    when it requires grad, and nowhere when it does not, so no private variable is left in
    the result's graph for an outer transform to trip over."""
    if type(value) is Node:
        inner: Node[Any] = value
    else:
        inner = _leaf(as_array(value, "variable"), None, False)
    if inner.dtype.kind != "f":
        raise TypeError(f"variable: needs a floating dtype, got {inner.dtype}")
    return _new_node(inner.value, ARGUMENT, (inner,))


def _prepare(
    args: Sequence[object], positions: tuple[int, ...], who: str
) -> tuple[list[object], list[Any], bool]:
    """`args` with the differentiated ones replaced by their points, the points (trees), and
    whether this is node mode (a node among the differentiated arguments)."""
    if positions and max(positions) >= len(args):
        raise TypeError(
            f"{who}: argnums {positions} but the function was called with "
            f"{len(args)} positional argument(s)"
        )
    nodes = any(_has_node(args[i]) for i in positions)
    given = list(args)
    points = []
    for i in positions:
        point = _point(given[i], i, who, nodes)
        given[i] = point
        points.append(point)
    return given, points, nodes


def _targets(points: Sequence[Any]) -> list[Node[Any]]:
    return [leaf for p in points for leaf in tree_leaves(p) if type(leaf) is Node]


def _output(y: object, who: str, scalar: bool) -> Node[Any]:
    if type(y) is not Node:
        raise TypeError(f"{who}: f must return a puregrad Node, got {type(y).__name__}")
    if scalar and y.shape != ():
        raise ValueError(
            f"{who}: f must return a node of shape () (a scalar), got shape {y.shape}; "
            "reduce it (pg.sum) or use vjp"
        )
    return y


def _paths(y: Node[Any], targets: Sequence[Node[Any]], nodes: bool, who: str) -> Paths:
    """The paths from `y` to the targets; in array mode, refuses an `f` that also depends on
    nodes from outside (arrays out would silently drop that dependence)."""
    paths = paths_to((y,), targets)
    if paths.foreign and not nodes:
        names = ", ".join(repr(n) for n in paths.foreign[:3])
        raise ValueError(
            f"{who}: f depends on nodes that require grad besides its differentiated "
            f"arguments ({names}{', ...' if len(paths.foreign) > 3 else ''}), and given "
            "arrays it returns arrays, which would drop that dependence. Pass the "
            "differentiated arguments as nodes (pg.constant(x) will do) to get nodes that "
            "keep it, or let f close over arrays"
        )
    return paths


def _zeros(like: Node[Any], nodes: bool) -> Any:
    zeros = np.zeros(like.shape, like.dtype)
    zeros.flags.writeable = False
    return _leaf(zeros, None, False) if nodes else zeros


def _seed(y: Node[Any], cotangent: object, nodes: bool, who: str) -> Array:
    """A cotangent for `y`: an array (or scalar) of its shape, cast to its dtype; in node
    mode also a node, which the result then depends on."""
    if type(cotangent) is Node:
        if not nodes:
            raise TypeError(
                f"{who}: a Node cotangent needs node primals (arrays in give arrays out)"
            )
        if cotangent.shape != y.shape:
            raise ValueError(
                f"{who}: cotangent of shape {cotangent.shape} for an output of shape {y.shape}"
            )
        return cotangent if cotangent.dtype == y.dtype else Cast(y.dtype)(cotangent)
    if not isinstance(cotangent, (np.ndarray, int, float, np.generic)) or isinstance(
        cotangent, (bool, np.bool_)
    ):
        raise TypeError(
            f"{who}: the cotangent must be an ndarray or a scalar, got {type(cotangent).__name__}"
        )
    if np.shape(cotangent) != y.shape:
        raise ValueError(
            f"{who}: cotangent of shape {np.shape(cotangent)} for an output of shape {y.shape}"
        )
    seed = np.array(cotangent, dtype=y.dtype)
    seed.flags.writeable = False
    return _leaf(seed, None, False) if nodes else seed


def _pull(
    y: Node[Any], seeds: list[Array], points: Sequence[Any], paths: Paths, nodes: bool
) -> tuple[Any, ...]:
    """The gradients for `points` (trees of target nodes) as trees of the same structure:
    read-only arrays, or nodes with their graph in node mode; zeros where `y` does not
    depend on a target."""
    grads = sweep_to((y,), seeds, paths, nodes) if y.requires_grad else {}

    def gradient(t: Node[Any]) -> Any:
        g = grads.get(t)
        if g is None:
            return _zeros(t, nodes)
        return g if nodes else g.value

    results = []
    for p in points:
        if type(p) is Node:
            results.append(gradient(p))
        else:
            results.append(tree_map(gradient, p))
    return tuple(results)


def _value_and_grads(
    f: Callable[..., object],
    positions: tuple[int, ...],
    args: tuple[object, ...],
    kwargs: dict[str, object],
    who: str,
) -> tuple[Any, tuple[Any, ...]]:
    given, points, nodes = _prepare(args, positions, who)
    with using_config(_RECORD):
        y = _output(f(*given, **kwargs), who, scalar=True)
    paths = _paths(y, _targets(points), nodes, who)
    seed = np.ones((), y.dtype)
    grads = _pull(y, [_leaf(seed, None, False) if nodes else seed], points, paths, nodes)
    return (y if nodes else y.value), grads


# grad and value_and_grad --------------------------------------------------------------------


@overload
def grad(
    f: Callable[Concatenate[Node[F], P], Node[F]], argnums: Literal[0] = 0
) -> Transformed[F, P, Node[F], NDArray[F]]: ...
@overload
def grad(
    f: Callable[Concatenate[T, Node[F], P], Node[F]], argnums: Literal[1]
) -> Transformed1[T, F, P, Node[F], NDArray[F]]: ...
@overload
def grad(
    f: Callable[Concatenate[Node[F], Node[F], P], Node[F]], argnums: tuple[Literal[0], Literal[1]]
) -> Transformed01[F, P, tuple[Node[F], Node[F]], tuple[NDArray[F], NDArray[F]]]: ...
@overload
def grad(f: Callable[..., Node[F]], argnums: int) -> Callable[..., NDArray[F]]: ...
@overload
def grad(
    f: Callable[..., Node[F]], argnums: tuple[int, ...]
) -> Callable[..., tuple[NDArray[F], ...]]: ...
def grad(f: Callable[..., Node[Any]], argnums: Argnums = 0) -> Callable[..., object]:
    """The function computing the gradient of `f` with respect to the argument(s) `argnums`.

    Given arrays it returns the gradient as a read-only array (an int `argnums`) or a tuple
    of arrays, one per position (a tuple `argnums`), each with its argument's shape and
    dtype. Given a node among the differentiated arguments it returns nodes that carry their
    graph, so transforms nest (`grad(lambda x: pg.sum(grad(f)(x)))`) and a gradient can be
    part of a loss. An argument that `f` does not use gets zeros.

    Args:
        f: a function of nodes returning a node of shape `()`.
        argnums: the position(s) of the arguments to differentiate; the other arguments are
            passed to `f` unchanged (constants).

    Raises:
        TypeError, ValueError: at once, for a bad `argnums`. When called: `ValueError` if
            `f` returns a node that is not of shape `()`, or if given arrays `f` depends on
            other nodes that require grad (arrays out would drop that dependence);
            `TypeError` if it returns anything but a node or a differentiated argument is
            not a floating array, scalar or node.

    >>> import puregrad as pg
    >>> pg.grad(lambda x: pg.sum(x * x))(np.array([1.0, 2.0]))
    array([2., 4.])
    >>> pg.grad(lambda x: pg.sum(pg.grad(lambda y: pg.sum(y ** 3))(x)))(np.array([1.0, 2.0]))
    array([ 6., 12.])
    """
    positions = _argnums(argnums, "grad")
    single = not isinstance(argnums, tuple)

    @functools.wraps(f)
    def gradient(*args: object, **kwargs: object) -> object:
        _, grads = _value_and_grads(f, positions, args, kwargs, "grad")
        return grads[0] if single else grads

    return gradient


@overload
def value_and_grad(
    f: Callable[Concatenate[Node[F], P], Node[F]], argnums: Literal[0] = 0
) -> Transformed[F, P, tuple[Node[F], Node[F]], tuple[NDArray[F], NDArray[F]]]: ...
@overload
def value_and_grad(
    f: Callable[Concatenate[T, Node[F], P], Node[F]], argnums: Literal[1]
) -> Transformed1[T, F, P, tuple[Node[F], Node[F]], tuple[NDArray[F], NDArray[F]]]: ...
@overload
def value_and_grad(
    f: Callable[Concatenate[Node[F], Node[F], P], Node[F]], argnums: tuple[Literal[0], Literal[1]]
) -> Transformed01[
    F,
    P,
    tuple[Node[F], tuple[Node[F], Node[F]]],
    tuple[NDArray[F], tuple[NDArray[F], NDArray[F]]],
]: ...
@overload
def value_and_grad(
    f: Callable[..., Node[F]], argnums: int
) -> Callable[..., tuple[NDArray[F], NDArray[F]]]: ...
@overload
def value_and_grad(
    f: Callable[..., Node[F]], argnums: tuple[int, ...]
) -> Callable[..., tuple[NDArray[F], tuple[NDArray[F], ...]]]: ...
def value_and_grad(f: Callable[..., Node[Any]], argnums: Argnums = 0) -> Callable[..., object]:
    """As `grad`, but the function returns `(value, gradient)`: `f`'s value (a 0-d array, or
    its node in node mode) beside the gradient(s), from one evaluation of `f`.

    A differentiated argument may also be a tree of arrays (dicts, lists, tuples, attrs
    instances: a model's parameters) or of nodes; its gradient is then a tree of the same
    structure. These overloads type array and node arguments; `pg.tree_value_and_grad`
    types a tree.

    >>> import puregrad as pg
    >>> value, g = pg.value_and_grad(lambda x: pg.sum(x * x))(np.array([1.0, 2.0]))
    >>> value, g
    (array(5.), array([2., 4.]))
    """
    positions = _argnums(argnums, "value_and_grad")
    single = not isinstance(argnums, tuple)

    @functools.wraps(f)
    def value_and_gradient(*args: object, **kwargs: object) -> object:
        value, grads = _value_and_grads(f, positions, args, kwargs, "value_and_grad")
        return value, (grads[0] if single else grads)

    return value_and_gradient


# vjp ----------------------------------------------------------------------------------------


@overload
def vjp(  # type: ignore[overload-overlap]  # arrays alone match here, first; a node among them, below
    f: Callable[[Node[F]], Node[F]], x: Primal[F], /
) -> tuple[NDArray[F], Callable[[NDArray[F] | float], tuple[NDArray[F]]]]: ...
@overload
def vjp(
    f: Callable[[Node[F]], Node[F]], x: Node[F], /
) -> tuple[Node[F], Callable[[Node[F] | NDArray[F] | float], tuple[Node[F]]]]: ...
@overload
def vjp(  # type: ignore[overload-overlap]  # arrays alone match here, first; a node among them, below
    f: Callable[[Node[F], Node[F]], Node[F]], x0: Primal[F], x1: Primal[F], /
) -> tuple[NDArray[F], Callable[[NDArray[F] | float], tuple[NDArray[F], NDArray[F]]]]: ...
@overload
def vjp(
    f: Callable[[Node[F], Node[F]], Node[F]], x0: Node[F], x1: Node[F] | Primal[F], /
) -> tuple[Node[F], Callable[[Node[F] | NDArray[F] | float], tuple[Node[F], Node[F]]]]: ...
@overload
def vjp(
    f: Callable[[Node[F], Node[F]], Node[F]], x0: Primal[F], x1: Node[F], /
) -> tuple[Node[F], Callable[[Node[F] | NDArray[F] | float], tuple[Node[F], Node[F]]]]: ...
@overload
def vjp(  # type: ignore[overload-overlap]  # arrays alone match here, first; a node among them, below
    f: Callable[..., Node[F]], /, *primals: Primal[F]
) -> tuple[NDArray[F], Callable[[NDArray[F] | float], tuple[NDArray[F], ...]]]: ...
@overload
def vjp(
    f: Callable[..., Node[F]], /, *primals: Node[F] | Primal[F]
) -> tuple[Node[F], Callable[[Node[F] | NDArray[F] | float], tuple[Node[F], ...]]]: ...
def vjp(
    f: Callable[..., Node[Any]], /, *primals: object
) -> tuple[object, Callable[[Any], tuple[Any, ...]]]:
    """`f`'s value at `primals` and its vector-Jacobian product function.

    `f` is evaluated once; `vjp_fn(cotangent)` (a cotangent of the output's shape) returns
    one input cotangent per primal, each of its primal's shape and dtype, and may be called
    any number of times. Given arrays, the value and cotangents are arrays; given a node
    among the primals, they are nodes with their graph, and the cotangent may be a node too
    (the result is linear in it, and differentiates with respect to it: that is how `jvp`
    works).

    Raises:
        TypeError: a primal is not a floating array, scalar or node, or `f` does not return
            a node; `vjp_fn` raises it for a cotangent that is not an array or scalar (or a
            node, in node mode).
        ValueError: (from `vjp_fn`) the cotangent's shape differs from the output's.

    >>> import puregrad as pg
    >>> y, vjp_fn = pg.vjp(lambda x: x * x, np.array([1.0, 2.0]))
    >>> vjp_fn(np.array([1.0, 10.0]))
    (array([ 2., 40.]),)
    """
    given, points, nodes = _prepare(primals, tuple(range(len(primals))), "vjp")
    with using_config(_RECORD):
        y = _output(f(*given), "vjp", scalar=False)
    paths = _paths(y, _targets(points), nodes, "vjp")

    def vjp_fn(cotangent: object) -> tuple[Any, ...]:
        return _pull(y, [_seed(y, cotangent, nodes, "vjp")], points, paths, nodes)

    return (y if nodes else y.value), vjp_fn


# Forward mode -------------------------------------------------------------------------------


@overload
def jvp(  # type: ignore[overload-overlap]  # arrays alone match here, first; a node among them, below
    f: Callable[[Node[F]], Node[F]], primals: tuple[Primal[F]], tangents: tuple[Primal[F]]
) -> tuple[NDArray[F], NDArray[F]]: ...
@overload
def jvp(
    f: Callable[[Node[F]], Node[F]], primals: tuple[Node[F]], tangents: tuple[Node[F] | Primal[F]]
) -> tuple[Node[F], Node[F]]: ...
@overload
def jvp(
    f: Callable[[Node[F]], Node[F]], primals: tuple[Primal[F]], tangents: tuple[Node[F]]
) -> tuple[Node[F], Node[F]]: ...
@overload
def jvp(  # type: ignore[overload-overlap]  # arrays alone match here, first; a node among them, below
    f: Callable[..., Node[F]], primals: tuple[Primal[F], ...], tangents: tuple[Primal[F], ...]
) -> tuple[NDArray[F], NDArray[F]]: ...
@overload
def jvp(
    f: Callable[..., Node[F]],
    primals: tuple[Node[F] | Primal[F], ...],
    tangents: tuple[Node[F] | Primal[F], ...],
) -> tuple[Node[F], Node[F]]: ...
def jvp(
    f: Callable[..., Node[Any]], primals: tuple[object, ...], tangents: tuple[object, ...]
) -> tuple[object, object]:
    """`f`'s value at `primals` and its Jacobian-vector product along `tangents` (forward
    mode, JAX's signature): `(f(*primals), J @ tangents)`.

    `primals` and `tangents` are tuples of the same length, each tangent of its primal's
    shape (cast to its dtype). Arrays in give arrays out; a node among them gives nodes
    with their graph.

    Cost: one forward pass and two backward passes (the VJP recorded, then transposed: see
    the module's notes), about twice a `vjp`.

    Raises:
        TypeError: `primals` or `tangents` is not a tuple (or list), or an element is not a
            floating array, scalar or node.
        ValueError: they differ in length, or a tangent's shape differs from its primal's.

    >>> import puregrad as pg
    >>> pg.jvp(lambda x: x * x, (np.array([1.0, 2.0]),), (np.array([1.0, 0.5]),))
    (array([1., 4.]), array([2., 2.]))
    """
    for what, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"jvp: {what} must be a tuple (or list), got {type(value).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    for i, (p, t) in enumerate(zip(primals, tangents)):
        if _shape((p)) != _shape((t)):
            raise ValueError(
                f"jvp: tangent {i} has shape {_shape((t))}, its primal "
                f"{_shape((p))}"
            )
    for i, p in enumerate(primals):
        if not (type(p) is Node or isinstance(p, (np.ndarray, np.generic, int, float))):
            raise TypeError(
                f"jvp: primal {i} must be a floating array, scalar or node, got {type(p).__name__}"
            )
    given, points, nodes = _prepare(primals, tuple(range(len(primals))), "jvp")
    nodes = nodes or any(type(t) is Node for t in tangents)
    with using_config(_RECORD):
        y = _output(f(*given), "jvp", scalar=False)
    targets = _targets(points)
    paths = _paths(y, targets, nodes, "jvp")
    if not y.requires_grad or not paths.inner and not any(t is y for t in targets):
        return (y if nodes else y.value), _zeros(y, nodes)
    # The VJP u -> J^T u, recorded with a private cotangent u (its value is irrelevant: the
    # VJP is linear in it), then differentiated with respect to u along the tangents.
    u = entry(np.zeros(y.shape, y.dtype))
    vjps = sweep_to((y,), [u], paths, True)
    outputs: list[Node[Any]] = []
    seeds: list[Array] = []
    for point, tangent in zip(points, tangents):
        g = vjps.get(point)
        if g is None or not g.requires_grad:
            continue  # the output does not depend on this primal (or not through u)
        outputs.append(g)
        seeds.append(_tangent(tangent, point, nodes))
    del vjps
    if not outputs:
        return (y if nodes else y.value), _zeros(y, nodes)
    forward = sweep_to(tuple(outputs), seeds, paths_to(outputs, [u]), nodes).get(u)
    if forward is None:
        return (y if nodes else y.value), _zeros(y, nodes)
    return (y, forward) if nodes else (y.value, forward.value)


def _shape(x: object) -> tuple[int, ...]:
    return x.shape if type(x) is Node else shape_of(x)


def _tangent(tangent: object, point: Node[Any], nodes: bool) -> Array:
    if type(tangent) is Node:
        return tangent if tangent.dtype == point.dtype else Cast(point.dtype)(tangent)
    if not isinstance(tangent, (np.ndarray, int, float, np.generic)) or isinstance(
        tangent, (bool, np.bool_)
    ):
        raise TypeError(
            f"jvp: a tangent must be an ndarray, a scalar or a node, got {type(tangent).__name__}"
        )
    array = np.array(tangent, dtype=point.dtype)
    array.flags.writeable = False
    return _leaf(array, None, False) if nodes else array


@overload
def hvp(f: Callable[[Node[F]], Node[F]], x: Primal[F], v: Primal[F]) -> NDArray[F]: ...
@overload
def hvp(f: Callable[[Node[F]], Node[F]], x: Node[F], v: Node[F] | Primal[F]) -> Node[F]: ...
@overload
def hvp(f: Callable[[Node[F]], Node[F]], x: Primal[F], v: Node[F]) -> Node[F]: ...
def hvp(f: Callable[[Node[Any]], Node[Any]], x: object, v: object) -> object:
    """The Hessian of a scalar `f` at `x`, times `v`, without forming the Hessian.

    Reverse over reverse: the gradient of `f` is recorded, then differentiated along `v`,
    so it costs about one forward and three backward passes whatever the size of `x`.
    Arrays in give an array; a node for `x` or `v` gives a node with its graph.

    Raises:
        TypeError: `x` or `v` is not a floating array, scalar or node.
        ValueError: `f` does not return a scalar, or `v`'s shape differs from `x`'s.

    >>> import puregrad as pg
    >>> pg.hvp(lambda x: pg.sum(x ** 3), np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([ 6., 12.])
    """
    if _shape((x)) != _shape((v)):
        raise ValueError(f"hvp: v has shape {_shape((v))}, x {_shape((x))}")
    if type(x) is not Node and not isinstance(x, (np.ndarray, np.generic, int, float)):
        raise TypeError(f"hvp: x must be a floating array, scalar or node, got {type(x).__name__}")
    _, (point,), nodes = _prepare((x,), (0,), "hvp")
    nodes = nodes or type(v) is Node
    with using_config(_RECORD):
        y = _output(f(point), "hvp", scalar=True)
    paths = _paths(y, [point], nodes, "hvp")
    if not y.requires_grad:
        return _zeros(point, nodes)
    one = _leaf(np.ones((), y.dtype), None, False)
    g = sweep_to((y,), [one], paths, True).get(point)
    if g is None or not g.requires_grad:
        return _zeros(point, nodes)
    h = sweep_to((g,), [_tangent(v, point, nodes)], paths_to((g,), [point]), nodes).get(point)
    if h is None:
        return _zeros(point, nodes)
    return h if nodes else h.value


# Jacobians ----------------------------------------------------------------------------------


@overload
def jacobian(
    f: Callable[Concatenate[Node[F], P], Node[F]], argnums: Literal[0] = 0
) -> Transformed[F, P, Node[F], NDArray[F]]: ...
@overload
def jacobian(
    f: Callable[Concatenate[T, Node[F], P], Node[F]], argnums: Literal[1]
) -> Transformed1[T, F, P, Node[F], NDArray[F]]: ...
@overload
def jacobian(
    f: Callable[Concatenate[Node[F], Node[F], P], Node[F]], argnums: tuple[Literal[0], Literal[1]]
) -> Transformed01[F, P, tuple[Node[F], Node[F]], tuple[NDArray[F], NDArray[F]]]: ...
@overload
def jacobian(f: Callable[..., Node[F]], argnums: int) -> Callable[..., NDArray[F]]: ...
@overload
def jacobian(
    f: Callable[..., Node[F]], argnums: tuple[int, ...]
) -> Callable[..., tuple[NDArray[F], ...]]: ...
def jacobian(f: Callable[..., Node[Any]], argnums: Argnums = 0) -> Callable[..., object]:
    """The function computing the Jacobian of `f` with respect to the argument(s) `argnums`:
    of shape `f(*args).shape + x.shape`; for a tuple `argnums`, a tuple of them, one per
    position (as JAX's `jacrev`).

    Reverse mode, one row per output element: `f` runs once, then one sweep per element of
    its output (each sweep gives the row for every position at once). Arrays in give arrays;
    a node among the differentiated arguments gives nodes with their graph (so
    `jacobian(grad(f))` is the Hessian, and differentiates again).

    >>> import puregrad as pg
    >>> pg.jacobian(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> ja, jb = pg.jacobian(lambda a, b: a * b, argnums=(0, 1))(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    >>> jb
    array([[1., 0.],
           [0., 2.]])
    """
    positions = _argnums(argnums, "jacobian")
    single = not isinstance(argnums, tuple)

    @functools.wraps(f)
    def jacobian_of(*args: object, **kwargs: object) -> object:
        (results,) = _jacobians(f, positions, args, kwargs, "jacobian", None)
        return results[0] if single else results

    return jacobian_of


def _jacobians(
    f: Callable[..., object],
    positions: tuple[int, ...],
    args: tuple[object, ...],
    kwargs: dict[str, object],
    who: str,
    outputs: int | None,
) -> tuple[tuple[Any, ...], ...]:
    """For each output of `f` (one node: `outputs` None; else a tuple of that many nodes),
    its Jacobians with respect to the arguments at `positions`, from one run of `f`."""
    for i in positions:
        if i < len(args) and not (
            type(args[i]) is Node or isinstance(args[i], (np.ndarray, np.generic, int, float))
        ):
            raise TypeError(
                f"{who}: argument {i} must be a floating array, scalar or node, "
                f"got {type(args[i]).__name__}"
            )
    given, points, nodes = _prepare(args, positions, who)
    with using_config(_RECORD):
        result = f(*given, **kwargs)
    if outputs is None:
        ys = [_output(result, who, scalar=False)]
    else:
        assert isinstance(result, tuple) and len(result) == outputs  # our own gradient's
        ys = [_output(y, who, scalar=False) for y in result]
    del result
    targets = _targets(points)
    jacobians = []
    for y in ys:
        paths = _paths(y, targets, nodes, who)
        rows: list[tuple[Any, ...]] = []
        for k in range(y.size):
            basis = np.zeros(y.size, y.dtype)
            basis[k] = 1
            basis = basis.reshape(y.shape)
            basis.flags.writeable = False
            seed = _leaf(basis, None, False) if nodes else basis
            rows.append(_pull(y, [seed], points, paths, nodes))
        jacobians.append(
            tuple(_stack([r[j] for r in rows], y.shape, p, nodes) for j, p in enumerate(points))
        )
    return tuple(jacobians)


def _stack(rows: list[Any], y_shape: tuple[int, ...], x: Node[Any], nodes: bool) -> Any:
    shape = y_shape + x.shape
    if not rows:
        zeros = np.zeros(shape, x.dtype)
        zeros.flags.writeable = False
        return _leaf(zeros, None, False) if nodes else zeros
    if not nodes:
        stacked = np.stack(rows).reshape(shape)
        stacked.flags.writeable = False
        return stacked
    return reshape(concat([reshape(r, (1, *x.shape)) for r in rows]), shape)


@overload
def hessian(
    f: Callable[Concatenate[Node[F], P], Node[F]], argnums: Literal[0] = 0
) -> Transformed[F, P, Node[F], NDArray[F]]: ...
@overload
def hessian(
    f: Callable[Concatenate[T, Node[F], P], Node[F]], argnums: Literal[1]
) -> Transformed1[T, F, P, Node[F], NDArray[F]]: ...
@overload
def hessian(
    f: Callable[Concatenate[Node[F], Node[F], P], Node[F]], argnums: tuple[Literal[0], Literal[1]]
) -> Transformed01[
    F,
    P,
    tuple[tuple[Node[F], Node[F]], tuple[Node[F], Node[F]]],
    tuple[tuple[NDArray[F], NDArray[F]], tuple[NDArray[F], NDArray[F]]],
]: ...
@overload
def hessian(f: Callable[..., Node[F]], argnums: int) -> Callable[..., NDArray[F]]: ...
@overload
def hessian(
    f: Callable[..., Node[F]], argnums: tuple[int, ...]
) -> Callable[..., tuple[tuple[NDArray[F], ...], ...]]: ...
def hessian(f: Callable[..., Node[Any]], argnums: Argnums = 0) -> Callable[..., object]:
    """The function computing the Hessian of a scalar `f` with respect to argument
    `argnums`: of shape `x.shape + x.shape`, as `jacobian(grad(f))`.

    For a tuple `argnums` it is a nested tuple, as JAX's: `H[i][j]`, of shape
    `x_i.shape + x_j.shape`, holds the second derivatives with respect to the arguments at
    `argnums[i]` and `argnums[j]` (`H[j][i]` is its transpose). `f` and its gradient run
    once; one sweep per element of every argument follows.

    Arrays in give an array; a node gives a node with its graph.

    >>> import puregrad as pg
    >>> pg.hessian(lambda x: pg.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    >>> (haa, hab), (hba, hbb) = pg.hessian(lambda a, b: pg.sum(a * a * b), argnums=(0, 1))(
    ...     np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    >>> hab
    array([[2., 0.],
           [0., 4.]])
    """
    positions = _argnums(argnums, "hessian")
    # Called with nodes (as `jacobian` calls it), grad gives nodes.
    gradient = cast(Callable[..., Node[Any]], grad(f, argnums))
    if not isinstance(argnums, tuple):
        return functools.wraps(f)(jacobian(gradient, argnums))

    @functools.wraps(f)
    def hessian_of(*args: object, **kwargs: object) -> object:
        return _jacobians(gradient, positions, args, kwargs, "hessian", len(positions))

    return hessian_of

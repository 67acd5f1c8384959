"""JAX's functional transforms: `grad`, `value_and_grad` and `vjp`, on ndarrays.

The transformed function takes arrays and returns arrays. Each call makes the differentiated
arguments `variable`s, runs `f` with backprop enabled (also inside `no_grad`), and runs
`backward` once. The other arguments are handed to `f` unchanged, so an array among them is a
constant to every op, and an argument of any other kind (an int, a config) works as in JAX.

Typing: for the usual calls (`argnums` 0, 1 or `(0, 1)`) the result keeps `f`'s other
parameters (a `ParamSpec`) and the dtype of its nodes; any other `argnums` gives a
`Callable[..., ...]`, since a type cannot swap the types of parameters chosen by value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, Final, Literal, ParamSpec, TypeAlias, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from puregrad.backward import Gradients, backward
from puregrad.config import Config, using_config
from puregrad.node import F, Node, variable
from puregrad.tree import gradients_of, to_variables

__all__ = ["grad", "value_and_grad", "vjp"]

P = ParamSpec("P")
T = TypeVar("T")

Primal: TypeAlias = NDArray[F] | F
"""A differentiated argument: a floating array or scalar (it becomes a `variable`)."""

Argnums: TypeAlias = int | tuple[int, ...]

_RECORD: Final = Config()  # f runs with backprop on, whatever scope the caller is in
_NONE: Final = Gradients({})  # what a function that depends on no argument gives


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


def _variable(value: object, i: int, who: str) -> Any:
    """A variable for an array or scalar argument; for a tree of them (dicts, lists, tuples,
    attrs instances), the same tree of variables."""
    if type(value) is Node:
        raise TypeError(
            f"{who}: argument {i} is a Node; the transformed function takes arrays "
            "(pass node.value)"
        )
    try:
        if isinstance(value, (np.ndarray, np.generic, int, float)):
            return variable(value)
        return to_variables(value)
    except TypeError as error:
        raise TypeError(f"{who}: argument {i}: {error}") from None


def _output(y: object, who: str, scalar: bool) -> Node[Any]:
    if type(y) is not Node:
        raise TypeError(f"{who}: f must return a puregrad Node, got {type(y).__name__}")
    if scalar and y.shape != ():
        raise ValueError(
            f"{who}: f must return a node of shape () (a scalar), got shape {y.shape}; "
            "reduce it (pg.sum) or use vjp"
        )
    return y


def _gradients(y: Node[Any], xs: tuple[Any, ...], seed: NDArray[Any] | None) -> tuple[Any, ...]:
    """The gradients of `y` for `xs` (variables, or trees of them) as read-only arrays in the
    same structure, zeros for what `y` does not use."""
    grads = backward(y, _RECORD, seed=seed) if y.requires_grad else _NONE
    return tuple(gradients_of(grads, x) for x in xs)


def _value_and_grads(
    f: Callable[..., object],
    positions: tuple[int, ...],
    args: tuple[object, ...],
    kwargs: dict[str, object],
    who: str,
) -> tuple[NDArray[Any], tuple[NDArray[Any], ...]]:
    if positions and max(positions) >= len(args):
        raise TypeError(
            f"{who}: argnums {positions} but the function was called with "
            f"{len(args)} positional argument(s)"
        )
    given = list(args)
    xs = []
    for i in positions:
        x = _variable(given[i], i, who)
        given[i] = x
        xs.append(x)
    with using_config(_RECORD):
        y = _output(f(*given, **kwargs), who, scalar=True)
    return y.value, _gradients(y, tuple(xs), None)


@overload
def grad(
    f: Callable[Concatenate[Node[F], P], Node[F]], argnums: Literal[0] = 0
) -> Callable[Concatenate[Primal[F], P], NDArray[F]]: ...
@overload
def grad(
    f: Callable[Concatenate[T, Node[F], P], Node[F]], argnums: Literal[1]
) -> Callable[Concatenate[T, Primal[F], P], NDArray[F]]: ...
@overload
def grad(
    f: Callable[Concatenate[Node[F], Node[F], P], Node[F]], argnums: tuple[Literal[0], Literal[1]]
) -> Callable[Concatenate[Primal[F], Primal[F], P], tuple[NDArray[F], NDArray[F]]]: ...
@overload
def grad(f: Callable[..., Node[F]], argnums: int) -> Callable[..., NDArray[F]]: ...
@overload
def grad(
    f: Callable[..., Node[F]], argnums: tuple[int, ...]
) -> Callable[..., tuple[NDArray[F], ...]]: ...
def grad(f: Callable[..., Node[Any]], argnums: Argnums = 0) -> Callable[..., object]:
    """The function computing the gradient of `f` with respect to the argument(s) `argnums`.

    It takes `f`'s arguments as arrays and returns the gradient as an array (an int
    `argnums`) or a tuple of arrays, one per position (a tuple `argnums`), each with its
    argument's shape and dtype. An argument that `f` does not use gets zeros.

    Args:
        f: a function of nodes returning a node of shape `()`.
        argnums: the position(s) of the arguments to differentiate; the other arguments are
            passed to `f` unchanged (constants).

    Raises:
        TypeError, ValueError: at once, for a bad `argnums`. When called: `ValueError` if
            `f` returns a node that is not of shape `()`, `TypeError` if it returns
            anything but a node or a differentiated argument is not a floating array or
            scalar.

    >>> import puregrad as pg
    >>> pg.grad(lambda x: pg.sum(x * x))(np.array([1.0, 2.0]))
    array([2., 4.])
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
) -> Callable[Concatenate[Primal[F], P], tuple[NDArray[F], NDArray[F]]]: ...
@overload
def value_and_grad(
    f: Callable[Concatenate[T, Node[F], P], Node[F]], argnums: Literal[1]
) -> Callable[Concatenate[T, Primal[F], P], tuple[NDArray[F], NDArray[F]]]: ...
@overload
def value_and_grad(
    f: Callable[Concatenate[Node[F], Node[F], P], Node[F]], argnums: tuple[Literal[0], Literal[1]]
) -> Callable[
    Concatenate[Primal[F], Primal[F], P], tuple[NDArray[F], tuple[NDArray[F], NDArray[F]]]
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
    """As `grad`, but the function returns `(value, gradient)`: `f`'s value (a 0-d array)
    beside the gradient(s), from one evaluation of `f`.

    A differentiated argument may also be a tree of arrays (dicts, lists, tuples, attrs
    instances: a model's parameters); its gradient is then a tree of the same structure.
    These overloads type array arguments; `pg.tree_value_and_grad` types a tree.

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


@overload
def vjp(
    f: Callable[[Node[F]], Node[F]], x: Primal[F], /
) -> tuple[NDArray[F], Callable[[NDArray[F] | float], tuple[NDArray[F]]]]: ...
@overload
def vjp(
    f: Callable[[Node[F], Node[F]], Node[F]], x0: Primal[F], x1: Primal[F], /
) -> tuple[NDArray[F], Callable[[NDArray[F] | float], tuple[NDArray[F], NDArray[F]]]]: ...
@overload
def vjp(
    f: Callable[..., Node[F]], /, *primals: Primal[F]
) -> tuple[NDArray[F], Callable[[NDArray[F] | float], tuple[NDArray[F], ...]]]: ...
def vjp(
    f: Callable[..., Node[Any]], /, *primals: object
) -> tuple[NDArray[Any], Callable[[NDArray[Any] | float], tuple[NDArray[Any], ...]]]:
    """`f`'s value at `primals` and its vector-Jacobian product function.

    `f` is evaluated once; `vjp_fn(cotangent)` (a cotangent of the output's shape) returns
    one input cotangent per primal, each of its primal's shape and dtype, and may be called
    any number of times.

    Raises:
        TypeError: a primal is not a floating array or scalar, or `f` does not return a
            node; `vjp_fn` raises it for a cotangent that is not an array or scalar.
        ValueError: (from `vjp_fn`) the cotangent's shape differs from the output's.

    >>> import puregrad as pg
    >>> y, vjp_fn = pg.vjp(lambda x: x * x, np.array([1.0, 2.0]))
    >>> vjp_fn(np.array([1.0, 10.0]))
    (array([ 2., 40.]),)
    """
    xs = tuple(_variable(p, i, "vjp") for i, p in enumerate(primals))
    with using_config(_RECORD):
        y = _output(f(*xs), "vjp", scalar=False)

    def vjp_fn(cotangent: object) -> tuple[NDArray[Any], ...]:
        if not isinstance(cotangent, (np.ndarray, int, float, np.generic)) or isinstance(
            cotangent, (bool, np.bool_)
        ):
            raise TypeError(
                f"vjp: the cotangent must be an ndarray or a scalar, got {type(cotangent).__name__}"
            )
        if np.shape(cotangent) != y.shape:
            raise ValueError(
                f"vjp: cotangent of shape {np.shape(cotangent)} for an output of shape {y.shape}"
            )
        return _gradients(y, xs, np.asarray(cotangent))

    return y.value, vjp_fn

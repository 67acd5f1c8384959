"""Rematerialization: `checkpoint`, which keeps a function's inputs and output in the graph
and recomputes everything in between during `backward`.

The first run records `f` as usual, with a private variable in place of each node argument
that requires grad, and with the ids of the nodes it makes noted (`node.CREATED`). From
the output, the graph is walked through the nodes `f` made; the nodes it reaches that `f`
did not make are what `f` closes over (parameters, outer intermediates). The arguments and
those become the inputs of one `Checkpoint` op, whose value is `f`'s output; the recorded
intermediates are then dropped. Its VJP runs `f` again on the same inputs and sweeps that
graph from `gy` to every input at once: on arrays in a plain `backward`, on the nodes
themselves under `create_graph` (so the gradient differentiates again).

A function that makes something else on the second run than on the first (a new variable,
another value: randomness drawn inside) would give wrong gradients, so the recomputation is
checked and a `ValueError` naming `checkpoint` says so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final, ParamSpec

import attrs
import numpy as np

from puregrad.backward import paths_to, sweep_to
from puregrad.config import Config, get_config, no_grad, using_config
from puregrad.node import CREATED, F, Node, _leaf, _new_node, constant
from puregrad.op import Array, Op
from puregrad.transforms import entry

__all__ = ["Checkpoint", "checkpoint"]

P = ParamSpec("P")

_RECORD: Final = Config()


def checkpoint(f: Callable[P, Node[F]]) -> Callable[P, Node[F]]:
    """`f` with the same values and gradients, whose recorded graph keeps only its inputs and
    output: the intermediates inside `f` are recomputed during `backward`.

    Memory for time: a chain of checkpointed blocks holds one array per block instead of
    one per op, and `backward` holds one block's intermediates at a time, for one more
    forward pass of each block. Nested under `create_graph` (higher derivatives, nested
    transforms) it stays correct: the recomputed block is recorded then.

    Nodes that `f` closes over (parameters captured by `lambda x: layer.apply(params, x)`)
    get their gradients as without checkpoint: the first run finds them and makes them
    inputs of the checkpoint.

    Args:
        f: a function returning a node; it must be pure (the same inputs give the same
            value), since it runs again during `backward`.

    Raises:
        TypeError: (when called) `f` does not return a node.
        ValueError: (during `backward`) the recomputation differs from the first run: `f`
            made a new variable, or gave another value (randomness drawn inside `f`).

    >>> import puregrad as pg
    >>> block = pg.checkpoint(lambda x: pg.exp(pg.sin(x)) * x)
    >>> x = pg.variable(np.array([0.5, 1.0]))
    >>> y = block(x)
    >>> y.inputs == (x,)
    True
    >>> pg.backward(pg.sum(y))[x].value.round(6)
    array([2.323858, 3.573158])
    """

    @functools.wraps(f)
    def checkpointed(*args: P.args, **kwargs: P.kwargs) -> Node[F]:
        return _checkpoint(f, args, kwargs)

    return checkpointed


def _value(x: object) -> Any:
    return x.value if type(x) is Node else x


def _output(y: object) -> Node[Any]:
    if type(y) is not Node:
        raise TypeError(f"checkpoint: f must return a puregrad Node, got {type(y).__name__}")
    return y


def _checkpoint(
    f: Callable[..., Node[Any]], args: tuple[object, ...], kwargs: Mapping[str, object]
) -> Node[Any]:
    if not get_config().enable_backprop:
        return _output(f(*args, **kwargs))  # nothing is recorded anyway
    positions = tuple(i for i, a in enumerate(args) if type(a) is Node and a.requires_grad)
    privates = [_leaf(_value(args[i]), None, True) for i in positions]
    given = list(args)
    for i, p in zip(positions, privates):
        given[i] = p
    created: set[int] = set()
    token = CREATED.set(created)
    try:
        y = _output(f(*given, **kwargs))
    finally:
        CREATED.reset(token)
    for i, p in zip(positions, privates):
        if y is p:
            return args[i]  # type: ignore[return-value]  # f returned its argument: a node
    if not y.requires_grad or id(y) not in created:
        return y  # a constant, or a node f did not make (one it closes over)
    captured = _boundary(y, created, privates)
    value = y.value
    del y  # the first run's intermediates go here
    template = tuple(None if i in positions else a for i, a in enumerate(given))
    op = Checkpoint(f, template, dict(kwargs), positions, captured)
    inputs = tuple(args[i] for i in positions) + captured
    return _new_node(value, op, inputs)  # type: ignore[arg-type]  # nodes


def _boundary(
    y: Node[Any], created: set[int], privates: list[Node[Any]]
) -> tuple[Node[Any], ...]:
    """The nodes that require grad, reached from `y` through nodes made during the first
    run, but not made during it (nor the private variables): what `f` closes over."""
    seen: set[Node[Any]] = {y, *privates}
    found: list[Node[Any]] = []
    stack = [y]
    while stack:
        node = stack.pop()
        for x in node.inputs:
            if type(x) is not Node or not x.requires_grad or x in seen:
                continue
            seen.add(x)
            if id(x) in created:
                stack.append(x)
            else:
                found.append(x)
    return tuple(found)


@attrs.frozen(eq=False)
class Checkpoint(Op):
    """The op `checkpoint` records: `f` from its arguments and the nodes it closes over, its
    VJP a recomputation of `f` and one sweep to all of its inputs (a joint op: `backward`
    asks for every input's gradient in one call, so the block is recomputed once)."""

    name = "checkpoint"
    joint = True

    f: Callable[..., Node[Any]]
    template: tuple[object, ...]  # the arguments as given, None where a node is an input
    kwargs: Mapping[str, object]
    positions: tuple[int, ...]  # where the node arguments go among the arguments
    captured: tuple[Node[Any], ...]  # what f closes over: the inputs after the arguments

    def _arguments(self, points: list[Any]) -> list[object]:
        given = list(self.template)
        for i, p in zip(self.positions, points):
            given[i] = p
        return given

    def forward(self, *xs: Any, **kwargs: Any) -> Any:
        """`f` on plain arrays, recording nothing."""
        with no_grad():
            points = [constant(x) for x in xs[: len(self.positions)]]
            return _output(self.f(*self._arguments(points), **self.kwargs)).value

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return self.vjps(gy, xs, y, tuple(j == i for j in range(len(xs))))[i]

    def vjps(
        self, gy: Array, xs: tuple[Array, ...], y: Array, needed: tuple[bool, ...]
    ) -> tuple[Array, ...]:
        grads = self._recompute(gy, xs, y)
        return tuple(grads.get(j) if n else None for j, n in enumerate(needed))

    def _recompute(self, gy: Array, xs: tuple[Array, ...], y: Array) -> dict[int, Array]:
        graph_mode = type(gy) is Node
        k = len(self.positions)
        points: list[Node[Any]] = []
        for x in xs[:k]:
            if graph_mode:
                points.append(entry(x))
            else:
                points.append(_leaf(np.asarray(x), None, True))
        with using_config(_RECORD):
            again = _output(self.f(*self._arguments(points), **self.kwargs))
        first = y.value if type(y) is Node else np.asarray(y)
        if (
            again.shape != first.shape
            or again.dtype != first.dtype
            or not np.array_equal(again.value, first, equal_nan=True)
        ):
            raise ValueError(
                "checkpoint: f gave another value when recomputed during backward; it must "
                "be a pure function of its arguments and the nodes it closes over (pass "
                "randomness in as an argument, drawn outside f)"
            )
        targets = [*points, *self.captured]
        paths = paths_to((again,), targets)
        if paths.foreign:
            raise ValueError(
                f"checkpoint: recomputing f reached nodes that require grad which are neither "
                f"its arguments nor nodes it closed over on its first run "
                f"({', '.join(repr(n) for n in paths.foreign[:3])}): a variable made inside "
                f"f cannot get a gradient through checkpoint; make it outside f and close "
                f"over it"
            )
        grads = sweep_to((again,), [gy], paths, graph_mode)
        del again
        result: dict[int, Array] = {}
        for j, t in enumerate(targets):
            g = grads.get(t)
            if g is not None:
                result[j] = g if graph_mode else g.value
        return result

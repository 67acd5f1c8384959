"""Rematerialization: `checkpoint`, which keeps a function's inputs and outputs in the graph
and recomputes everything in between during `backward`.

The first run records `f` as usual, with a private variable in place of each node argument
that requires grad, and with the ids of the nodes it makes noted (`node.CREATED`). From
the outputs (the nodes among the leaves of the tree `f` returns: one node, or a tuple such
as an LSTM step's `(h, LSTMState(h, c))`), the graph is walked through the nodes `f` made;
the nodes it reaches that `f` did not make are what `f` closes over (parameters, outer
intermediates). The arguments and those become the inputs of one op, whose values are `f`'s
outputs: a `Checkpoint` for one output node, a `MultiCheckpoint` for several; the recorded
intermediates are then dropped. Its VJP runs `f` again on the same inputs and sweeps that
graph from the outputs' gradients to every input at once (a joint op: one recomputation
per backward): on arrays in a plain `backward`, on the nodes themselves under
`create_graph` (so the gradient differentiates again).

A function that makes something else on the second run than on the first (a new variable,
another value: randomness drawn inside) would give wrong gradients, so the recomputation is
checked and a `ValueError` naming `checkpoint` says so.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, ParamSpec, TypeAlias, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.backward import paths_to, sweep_to
from puregrad.config import Config, get_config, no_grad, using_config
from puregrad.node import CREATED, Node, _leaf, _new_node, constant
from puregrad.op import Array, Call, MultiOp, Op, Output
from puregrad.transforms import entry
from puregrad.tree import Leaf, tree_leaves, tree_structure

__all__ = ["Checkpoint", "MultiCheckpoint", "checkpoint"]

P = ParamSpec("P")

_Returned: TypeAlias = (
    Node[Any] | tuple[object, ...] | list[Any] | dict[str, Any] | attrs.AttrsInstance
)
"""What a checkpointed function may return: a node, or a tree of them (a tuple, named tuple,
list, dict or attrs instance; see `tree.py`)."""

R = TypeVar("R", bound=_Returned)

_RECORD: Final = Config()


def checkpoint(f: Callable[P, R]) -> Callable[P, R]:
    """`f` with the same values and gradients, whose recorded graph keeps only its inputs and
    outputs: the intermediates inside `f` are recomputed during `backward`.

    Memory for time: a chain of checkpointed blocks holds one array per block output instead
    of one per op, and `backward` holds one block's intermediates at a time, for one more
    forward pass of each block (once for all of the block's inputs and outputs). Nested
    under `create_graph` (higher derivatives, nested transforms) it stays correct: the
    recomputed block is recorded then.

    `f` may return one node or a tree of nodes (a recurrent step's `(h, LSTMState(h, c))`):
    the result has the same structure, the same node in the same places, and the nodes `f`
    made are outputs of one op. Nodes that `f` closes over (parameters captured by
    `lambda x: layer.apply(params, x)`, nodes inside a tree argument) get their gradients
    as without checkpoint: the first run finds them and makes them inputs of the
    checkpoint.

    Args:
        f: a function returning a node or a tree of nodes; it must be pure (the same inputs
            give the same values), since it runs again during `backward`.

    Raises:
        TypeError: (when called) `f` returns neither a node nor a tree holding one.
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
    >>> s, c = pg.checkpoint(lambda x: (pg.sin(x) * x, pg.cos(x) * x))(x)
    >>> s.inputs == c.inputs == (x,)
    True
    """

    @functools.wraps(f)
    def checkpointed(*args: P.args, **kwargs: P.kwargs) -> R:
        return _checkpoint(f, args, kwargs)  # type: ignore[return-value]  # f's own tree, rebuilt

    return checkpointed


def _value(x: object) -> Any:
    return x.value if type(x) is Node else x


def _leaves(y: object) -> list[Leaf]:
    """The leaves of what `f` returned, refusing what is not a node or a tree holding one."""
    if type(y) is Node:
        return [y]
    try:
        leaves = tree_leaves(y)
    except TypeError as error:
        raise TypeError(
            f"checkpoint: f must return a puregrad Node or a tree of them, got "
            f"{type(y).__name__} ({error})"
        ) from None
    if not any(type(leaf) is Node for leaf in leaves):
        raise TypeError(
            f"checkpoint: f must return a puregrad Node or a tree of them, got "
            f"{type(y).__name__} holding no Node"
        )
    return leaves


def _checkpoint(f: Callable[..., object], args: tuple[object, ...], kwargs: Mapping[str, object]) -> object:
    if not get_config().enable_backprop:
        result = f(*args, **kwargs)  # nothing is recorded anyway
        _leaves(result)
        return result
    positions = tuple(i for i, a in enumerate(args) if type(a) is Node and a.requires_grad)
    privates = [_leaf(_value(args[i]), None, True) for i in positions]
    given = list(args)
    for i, p in zip(positions, privates):
        given[i] = p
    created: set[int] = set()
    token = CREATED.set(created)
    try:
        result = f(*given, **kwargs)
    finally:
        CREATED.reset(token)
    leaves = _leaves(result)
    # Each leaf: a node f made (an output of the op), else what stands there as it is (an
    # argument, a node f closes over, a constant, an array).
    outputs: list[Node[Any]] = []
    picks: list[int] = []  # where each output first stands among the leaves
    slot: dict[int, int] = {}  # id of an output -> its index among the outputs
    kept: list[object] = []
    for k, leaf in enumerate(leaves):
        kept.append(leaf)
        if type(leaf) is not Node:
            continue
        for i, p in zip(positions, privates):
            if leaf is p:
                kept[k] = args[i]  # f returned its argument
                break
        else:
            if leaf.requires_grad and id(leaf) in created and id(leaf) not in slot:
                slot[id(leaf)] = len(outputs)
                outputs.append(leaf)
                picks.append(k)
    if not outputs:
        if type(result) is Node:
            return kept[0]
        return tree_structure(result).unflatten(kept)  # type: ignore[arg-type]  # leaves, as f returned them
    captured = _boundary(outputs, created, privates)
    template = tuple(None if i in positions else a for i, a in enumerate(given))
    inputs = tuple(args[i] for i in positions) + captured
    block = _Block(f, template, dict(kwargs), positions, captured, len(leaves), tuple(picks))
    made: list[Node[Any]]
    if len(outputs) == 1:
        made = [_new_node(outputs[0].value, Checkpoint(block), inputs)]  # type: ignore[arg-type]  # nodes
    else:
        values = [o.value for o in outputs]
        multi = MultiCheckpoint(block, tuple(weakref.ref(v) for v in values))
        call = Call(multi, tuple(v.shape for v in values), tuple(v.dtype for v in values))
        made = [_new_node(v, Output(call, j), inputs) for j, v in enumerate(values)]  # type: ignore[arg-type]  # nodes
        del values
    for k, leaf in enumerate(leaves):
        if type(leaf) is Node and id(leaf) in slot:
            kept[k] = made[slot[id(leaf)]]
    del leaves, outputs, leaf  # the first run's intermediates go here (with `result`)
    if type(result) is Node:
        return kept[0]
    return tree_structure(result).unflatten(kept)  # type: ignore[arg-type]  # leaves, as f returned them


def _boundary(
    outputs: list[Node[Any]], created: set[int], privates: list[Node[Any]]
) -> tuple[Node[Any], ...]:
    """The nodes that require grad, reached from `outputs` through nodes made during the
    first run, but not made during it (nor the private variables): what `f` closes over."""
    seen: set[Node[Any]] = {*outputs, *privates}
    found: list[Node[Any]] = []
    stack = list(outputs)
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
class _Block:
    """A checkpointed application of `f`: how to run it again on its inputs."""

    f: Callable[..., object]
    template: tuple[object, ...]  # the arguments as given, None where a node is an input
    kwargs: Mapping[str, object]
    positions: tuple[int, ...]  # where the node arguments go among the arguments
    captured: tuple[Node[Any], ...]  # what f closes over: the inputs after the arguments
    count: int  # how many leaves f's result has
    picks: tuple[int, ...]  # which of them are the op's outputs, in order

    def run(self, points: Sequence[object]) -> list[Leaf]:
        """The leaves of `f` on the node arguments `points` (and the rest as given)."""
        given = list(self.template)
        for i, p in zip(self.positions, points):
            given[i] = p
        leaves = _leaves(self.f(*given, **self.kwargs))
        if len(leaves) != self.count:
            raise ValueError(
                f"checkpoint: f returned {len(leaves)} leaves when recomputed during backward, "
                f"{self.count} on its first run; it must be a pure function of its arguments "
                "and the nodes it closes over"
            )
        return leaves

    def forward(self, xs: tuple[Any, ...]) -> list[NDArray[Any]]:
        """The outputs' values from plain arrays, recording nothing."""
        with no_grad():
            leaves = self.run([constant(x) for x in xs[: len(self.positions)]])
        return [_value(leaves[k]) for k in self.picks]

    def vjps(
        self,
        gys: Sequence[Array],
        xs: tuple[Array, ...],
        firsts: Sequence[NDArray[Any] | None],
        needed: tuple[bool, ...],
    ) -> tuple[Array, ...]:
        """Every needed input's gradient from one recomputation and one sweep; `firsts` are
        the first run's values to check the recomputation against. None stands for an
        output that no longer exists: nothing can have consumed it, so its gradient (the
        zeros in `gys`) is not swept."""
        graph_mode = any(type(g) is Node for g in gys)
        points: list[Node[Any]] = []
        for x in xs[: len(self.positions)]:
            points.append(entry(x) if graph_mode else _leaf(np.asarray(x), None, True))
        with using_config(_RECORD):
            leaves = self.run(points)
        agains: list[Node[Any]] = []
        seeds: list[Array] = []
        for k, first, gy in zip(self.picks, firsts, gys):
            again = leaves[k]
            if type(again) is not Node or (
                first is not None
                and (
                    again.shape != first.shape
                    or again.dtype != first.dtype
                    or not np.array_equal(again.value, first, equal_nan=True)
                )
            ):
                raise ValueError(
                    "checkpoint: f gave another value when recomputed during backward; it "
                    "must be a pure function of its arguments and the nodes it closes over "
                    "(pass randomness in as an argument, drawn outside f)"
                )
            if first is not None:  # else the output is gone, so nothing consumed it: zeros
                agains.append(again)
                seeds.append(gy)
        del leaves
        targets = [*points, *self.captured]
        paths = paths_to(agains, targets)
        if paths.foreign:
            raise ValueError(
                f"checkpoint: recomputing f reached nodes that require grad which are neither "
                f"its arguments nor nodes it closed over on its first run "
                f"({', '.join(repr(n) for n in paths.foreign[:3])}): a variable made inside "
                f"f cannot get a gradient through checkpoint; make it outside f and close "
                f"over it"
            )
        grads = sweep_to(tuple(agains), seeds, paths, graph_mode)
        del agains
        result: list[Array] = []
        for t, n in zip(targets, needed):
            g = grads.get(t) if n else None
            result.append(g if g is None or graph_mode else g.value)
        return tuple(result)


@attrs.frozen(eq=False)
class Checkpoint(Op):
    """The op `checkpoint` records for one output node: `f` from its arguments and the nodes
    it closes over, its VJP a recomputation of `f` and one sweep to all of its inputs (a
    joint op: `backward` asks for every input's gradient in one call, so the block is
    recomputed once)."""

    name = "checkpoint"
    joint = True

    block: _Block

    def forward(self, *xs: Any, **kwargs: Any) -> Any:
        """`f` on plain arrays, recording nothing."""
        return self.block.forward(xs)[0]

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return self.vjps(gy, xs, y, tuple(j == i for j in range(len(xs))))[i]

    def vjps(
        self, gy: Array, xs: tuple[Array, ...], y: Array, needed: tuple[bool, ...]
    ) -> tuple[Array, ...]:
        first = y.value if type(y) is Node else np.asarray(y)
        return self.block.vjps([gy], xs, [first], needed)


@attrs.frozen(eq=False)
class MultiCheckpoint(MultiOp):
    """The op `checkpoint` records for several output nodes (a tree of them): as
    `Checkpoint`, one recomputation and one sweep from all of the outputs' gradients (a
    joint `MultiOp`). It refers to the first run's values only weakly, to check the
    recomputation against those still alive, without keeping a dropped output's array."""

    name = "checkpoint"
    joint = True

    block: _Block
    firsts: tuple[weakref.ref[NDArray[Any]], ...]

    def forward(self, *xs: Any, **kwargs: Any) -> tuple[Any, ...]:
        """`f` on plain arrays, recording nothing."""
        return tuple(self.block.forward(xs))

    def vjp(self, i: int, gys: tuple[Array, ...], xs: tuple[Array, ...]) -> Array:
        return self.vjps(gys, xs, tuple(j == i for j in range(len(xs))))[i]

    def vjps(
        self, gys: tuple[Array, ...], xs: tuple[Array, ...], needed: tuple[bool, ...]
    ) -> tuple[Array, ...]:
        return self.block.vjps(gys, xs, [ref() for ref in self.firsts], needed)

"""`backward`: the one pure reverse sweep, and `Gradients`, the immutable mapping it returns."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, final, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config, resolve_config, using_config
from puregrad.node import D, Node, _leaf
from puregrad.op import _LONE_BASE_REFS, Array, Call, MultiOp, Op, Origin, Output, _base_refs
from puregrad.ops.arithmetic import Cast
from puregrad.ops.shape import SumTo

__all__ = ["Gradients", "Paths", "backward", "paths_to", "sweep_to"]

T = TypeVar("T")

Seed = NDArray[Any] | float | np.generic
"""An upstream gradient for one output: an array of exactly its shape (or a scalar for a 0-d
output); it is copied and cast to the output's dtype."""


@final
@attrs.frozen(eq=False, repr=False)
class Gradients(Mapping[Node[Any], Node[Any]]):
    """What `backward` returns: an immutable mapping from a node to its gradient.

    Keys are compared by identity. `grads[x]` has the shape and dtype of `x`, and raises
    `KeyError` naming `x` when `x` has no gradient here; `grads.get(x)` gives None instead.
    """

    _grads: Mapping[Node[Any], Node[Any]]

    def __getitem__(self, node: Node[D]) -> Node[D]:
        try:
            return self._grads[node]
        except KeyError:
            raise KeyError(
                f"no gradient for {node!r}: it is not a variable that the differentiated "
                "outputs depend on (intermediate nodes are kept with retain_grad=True)"
            ) from None

    @overload
    def get(self, node: Node[D], /) -> Node[D] | None: ...
    @overload
    def get(self, node: Node[D], default: T, /) -> Node[D] | T: ...
    def get(self, node: Node[Any], default: object = None, /) -> object:
        return self._grads.get(node, default)

    def __contains__(self, node: object) -> bool:
        return node in self._grads

    def __iter__(self) -> Iterator[Node[Any]]:
        return iter(self._grads)

    def __len__(self) -> int:
        return len(self._grads)

    def __repr__(self) -> str:
        entries = ", ".join(f"{k!r}: {v.value!r}" for k, v in self._grads.items())
        return f"Gradients({{{entries}}})"


def backward(
    graph: Node[Any] | Sequence[Node[Any]],
    config: Config | None = None,
    *,
    seed: Seed | Sequence[Seed] | None = None,
) -> Gradients:
    """Differentiate `graph` (one output node, or several) with respect to everything in it.

    A pure function: it changes no node and depends only on its arguments.

    Args:
        graph: the output node, or a sequence of them.
        config: `retain_grad` and `create_graph` steer the sweep (None: the active config).
        seed: the upstream gradient, one per output (a sequence for several outputs); by
            default ones of each output's shape.

    Returns:
        `Gradients`: with `retain_grad=False`, the gradients of the `variable` leaves the
        outputs depend on; with True, of every node on a path to them, outputs included.
        With `create_graph=True` the gradients carry their own graph.

    Raises:
        TypeError: `graph` is not a node or a sequence of nodes.
        ValueError: no output requires grad, or a seed has the wrong shape.

    >>> import puregrad as pg
    >>> x = pg.variable(3.0)
    >>> pg.backward(x * x)[x]
    Node(6., constant)
    """
    cfg = resolve_config(config)
    outputs = _outputs(graph)
    seeds = _seeds(outputs, seed)
    if not any(o.requires_grad for o in outputs):
        raise ValueError(
            "backward: no output requires grad (computed under no_grad, or from constants only)"
        )
    if cfg.create_graph:
        with using_config(attrs.evolve(cfg, enable_backprop=True)):
            grads = _sweep(outputs, [_leaf(s, None, False) for s in seeds], cfg.retain_grad, True)
    else:
        grads = _sweep(outputs, seeds, cfg.retain_grad, False)
    return Gradients({node: _as_gradient(g, node) for node, g in grads.items()})


def _sweep(
    outputs: tuple[Node[Any], ...],
    seeds: list[Array],
    retain: bool,
    graph_mode: bool,
    paths: Paths | None = None,
) -> dict[Node[Any], Array]:
    """Reverse accumulation over the graph below `outputs`, without recursion.

    First every node that requires grad on a path to the outputs is found, counting the op
    inputs that consume it. Then an op runs once the gradients of all its outputs are
    complete (every consumer has run), so each gradient is summed before it is used and,
    without `retain`, dropped right after, keeping only the leaves' gradients.

    With `paths` (see `paths_to`), only the ops on a path to its targets run, and the sweep
    stops at the targets: their gradients are the partial derivatives with respect to them.
    """
    inner = None if paths is None else paths.inner
    keep = None if paths is None else paths.keep
    consumers: dict[Node[Any], int] = {}  # op results only: leaves are never "run"
    waiting: dict[Call, int] = {}  # a multi-output call -> its outputs not yet complete
    stack: list[Node[Any]] = []
    for o in outputs:
        if o.origin is not None and o not in consumers and (inner is None or o in inner):
            consumers[o] = 0  # (an output may be listed twice)
            stack.append(o)
    while stack:
        node = stack.pop()
        origin = node.origin
        if type(origin) is Output:
            if origin.call in waiting:  # a sibling already counted the shared inputs
                waiting[origin.call] += 1
                continue
            waiting[origin.call] = 1
        for x in node.inputs:
            if type(x) is Node and x.origin is not None and (inner is None or x in inner):
                if x in consumers:  # an op result (it requires grad)
                    consumers[x] += 1
                else:
                    consumers[x] = 1
                    stack.append(x)

    grads: dict[Node[Any], Array] = {}
    for o, s in zip(outputs, seeds):
        if o.requires_grad:
            grads[o] = grads[o] + s if o in grads else s
    seeds.clear()  # our own list: the seeds now live in `grads` only, and go when used
    del s

    # Nodes whose gradient so far is a sum this sweep made (a new array nobody else holds):
    # later terms are added into it in place instead of allocating a sum per term.
    summed: set[Node[Any]] = set()
    slots: dict[Call, list[Array | None]] = {}  # the complete gradients of a call's outputs
    ready: list[Node[Any]] = []

    def complete(node: Node[Any], origin: Origin) -> None:
        """Every consumer of `node` has run: its gradient is final, so its op may run (for
        one output of several, once the others are final too)."""
        if type(origin) is Output:
            call = origin.call
            slot = slots.get(call)
            if slot is None:
                slot = slots[call] = [None] * len(call.shapes)
            slot[origin.index] = grads.get(node) if retain else grads.pop(node, None)
            waiting[call] -= 1
            if waiting[call] == 0:
                ready.append(node)
        else:
            ready.append(node)

    for o in outputs:
        if o.origin is not None and consumers.get(o) == 0:
            consumers[o] = -1  # an output listed twice completes once
            complete(o, o.origin)

    while ready:
        node = ready.pop()
        origin = node.origin
        inputs = node.inputs
        if graph_mode:
            xs = inputs
        elif len(inputs) == 1:  # the one input of a recorded unary op is a node
            xs = (inputs[0].value,)  # type: ignore[union-attr]
        else:
            xs = tuple([x.value if type(x) is Node else x for x in inputs])
        # Locals are dropped as soon as they are used, so a consumed gradient is freed at once.
        if type(origin) is Output:
            owner: Op | MultiOp = origin.call.op
            rule: Callable[..., Array] = owner.vjp
            gys = slots.pop(origin.call)
            live = any(g is not None for g in gys)
            upstream: Array = _fill(gys, origin.call, graph_mode)
            del gys
            rule_args: tuple[Array, ...] = (xs,)
        else:
            owner = origin  # type: ignore[assignment]  # every node made ready has an origin
            rule = owner.vjp
            upstream = grads.get(node) if retain else grads.pop(node, None)
            live = upstream is not None
            if (
                type(upstream) is np.ndarray
                and upstream.flags.writeable
                and (len(inputs) != 1 or not _handed_over(upstream))
            ):
                # A writable gradient is the rule's to overwrite (see `Op.vjp`): any other
                # goes as a read-only view (the array's own flags are left alone).
                upstream = upstream.view()
                upstream.flags.writeable = False
            rule_args = (xs, node if graph_mode else node.value)
        if live and owner.joint:
            needed = tuple(
                type(x) is Node and x.requires_grad and (keep is None or x in keep)
                for x in inputs
            )
            joint_rule: Callable[..., tuple[Array, ...]] = owner.vjps  # (xs,) or (xs, y) as for vjp
            rule = _computed(joint_rule(upstream, *rule_args, needed))
            del joint_rule
        del node
        for i, x in enumerate(inputs):
            if type(x) is not Node or not x.requires_grad or (keep is not None and x not in keep):
                continue
            if live:
                if graph_mode:
                    gx = _graph_rule(rule, origin, i, upstream, rule_args)  # type: ignore[arg-type]  # an op result has an origin
                else:
                    gx = rule(i, upstream, *rule_args)
                if gx is not None:
                    value = x.value
                    if gx.shape != value.shape or gx.dtype is not value.dtype:
                        gx = _fit(gx, value)
                    previous = grads.get(x)
                    if previous is None:
                        grads[x] = gx
                    elif x in summed:  # our own sum (arrays only): add the next one in
                        previous += gx
                    else:
                        total = previous + gx
                        grads[x] = total
                        if not graph_mode and type(total) is np.ndarray:
                            summed.add(x)
                        del total
                    del gx, previous
            x_origin = x.origin
            if x_origin is not None and (inner is None or x in inner):
                count = consumers[x] - 1
                consumers[x] = count
                if count == 0:
                    complete(x, x_origin)
        del upstream, rule_args, rule
    return grads


def _refs(a: object) -> int:
    return sys.getrefcount(a)


def _lone_refs() -> int:
    """What `_refs(a)` gives for an array held by one local name of the caller, as the
    sweep's `upstream` is (-1, which no count equals, if an extra holder would not show)."""
    a = np.empty(1)
    lone = _refs(a)
    b = a
    return lone if _refs(a) == lone + 1 and b is a else -1


_LONE_REFS = _lone_refs()


def _handed_over(g: NDArray[Any]) -> bool:
    """Whether the sweep's `upstream` array `g` (writable) is held by nothing else: no
    other gradient, slot, seed or caller refers to it or to its memory (a view's owner is
    held by the view alone). Exact, by reference counts (see `op._private_base`)."""
    if sys.getrefcount(g) != _LONE_REFS:  # as `_refs` counts: one frame below the holder
        return False
    base = g.base
    if base is None:
        return True
    if type(base) is not np.ndarray or base.base is not None or not base.flags.owndata:
        return False
    del base
    return _base_refs(g) == _LONE_BASE_REFS


@attrs.frozen(eq=False)
class Paths:
    """The part of a graph that leads to some targets (what `paths_to` finds)."""

    targets: frozenset[Node[Any]]
    inner: frozenset[Node[Any]]  # the op results on a path to a target, targets excluded
    keep: frozenset[Node[Any]]  # inner and the targets: the nodes gradients are sent to
    foreign: tuple[Node[Any], ...]  # leaves that require grad, reached, and not targets


def paths_to(outputs: Sequence[Node[Any]], targets: Sequence[Node[Any]]) -> Paths:
    """The nodes below `outputs` from which a target is reached, not looking past a target.

    One iterative post-order walk (a graph a million ops deep is fine). A target is a point
    of differentiation: what lies below it is not part of the partial derivative.
    """
    stop = frozenset(targets)
    leads: dict[Node[Any], bool] = {}
    foreign: list[Node[Any]] = []
    stack: list[tuple[Node[Any], bool]] = [(o, False) for o in outputs if o.requires_grad]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            leads[node] = any(leads.get(x, False) for x in node.inputs if type(x) is Node)
            continue
        if node in leads:
            continue
        if node in stop:
            leads[node] = True
        elif node.origin is None:
            leads[node] = False
            if node.requires_grad:
                foreign.append(node)
        else:
            leads[node] = False  # until its inputs are known (a graph has no cycles)
            stack.append((node, True))
            for x in node.inputs:
                if type(x) is Node and x.requires_grad and x not in leads:
                    stack.append((x, False))
    inner = frozenset(n for n, lead in leads.items() if lead and n not in stop)
    return Paths(stop, inner, inner | stop, tuple(foreign))


def sweep_to(
    outputs: tuple[Node[Any], ...],
    seeds: list[Array],
    paths: Paths,
    create_graph: bool,
) -> dict[Node[Any], Node[Any]]:
    """The gradients of `outputs` (seeded by `seeds`: arrays, or nodes under
    `create_graph`) with respect to `paths.targets`, as nodes; a target that no output
    reaches is left out. The transforms' one entry into the sweep."""
    if create_graph:
        with using_config(Config()):
            grads = _sweep(outputs, seeds, False, True, paths)
    else:
        grads = _sweep(outputs, seeds, False, False, paths)
    return {t: _as_gradient(grads[t], t) for t in paths.targets if t in grads}


def _computed(gxs: tuple[Array, ...]) -> Callable[..., Array]:
    """A rule handing out gradients already computed (by a joint op's `vjps`)."""
    return lambda i, *_: gxs[i]


def _graph_rule(
    rule: Callable[..., Array], origin: Origin, i: int, upstream: Array, rule_args: tuple[Array, ...]
) -> Array:
    """A VJP rule run on nodes (under `create_graph`): a rule that cannot (it calls a
    function with no puregrad op, or converts a node to an array) fails naming its op,
    rather than handing back a gradient that silently lost its graph. A plain array is
    accepted only when it is all zeros (a zero gradient, as of a piecewise-constant
    function, has no graph to lose)."""
    name = origin.call.op.name if type(origin) is Output else origin.name
    advice = (
        "under create_graph a VJP rule runs on nodes, so it must compute with puregrad ops, "
        "operators, and numpy functions that puregrad supports on nodes"
    )
    try:
        gx = rule(i, upstream, *rule_args)
    except TypeError as error:
        raise TypeError(f"{name}: its VJP rule cannot run on nodes ({error}); {advice}") from error
    if gx is not None and type(gx) is not Node and np.any(gx):  # zeros need no graph
        raise TypeError(
            f"{name}: its VJP rule returned a {type(gx).__name__}, not a node, for input {i}; "
            f"{advice} (a plain array would cut the gradient's graph)"
        )
    return gx


def _fill(gys: list[Array | None], call: Call, graph_mode: bool) -> tuple[Array, ...]:
    """The gradients of a call's outputs, zeros standing in for those not differentiated."""
    filled: list[Array] = []
    for g, shape, dtype in zip(gys, call.shapes, call.dtypes):
        if g is None:
            zeros = np.zeros(shape, dtype)
            g = _leaf(zeros, None, False) if graph_mode else zeros
        filled.append(g)
    return tuple(filled)


def _fit(gx: Array, x: NDArray[Any]) -> Array:
    """A rule's gradient summed back to the input's shape and cast to its dtype: the one
    place where broadcasting and type promotion are undone."""
    if gx.shape != x.shape:
        gx = SumTo(x.shape)(gx)
    if gx.dtype != x.dtype:
        gx = Cast(x.dtype)(gx)
    return gx


def _as_gradient(g: Array, node: Node[Any]) -> Node[Any]:
    if type(g) is Node:
        return g
    array = np.asarray(g)
    array.flags.writeable = False  # the engine's own array (or a view of a read-only one)
    return _leaf(array, None, False)


def _outputs(graph: object) -> tuple[Node[Any], ...]:
    if type(graph) is Node:
        return (graph,)
    if isinstance(graph, Sequence) and not isinstance(graph, str):
        outputs = tuple(graph)
        if not outputs:
            raise ValueError("backward: graph is an empty sequence")
        for o in outputs:
            if type(o) is not Node:
                raise TypeError(
                    f"backward: graph must be a Node or a sequence of Nodes, got a "
                    f"{type(o).__name__} in the sequence"
                )
        return outputs
    raise TypeError(f"backward: graph must be a Node or a sequence of Nodes, got {type(graph).__name__}")


def _seeds(outputs: tuple[Node[Any], ...], seed: object) -> list[NDArray[Any]]:
    if seed is None:
        return [np.ones(o.shape, o.dtype) for o in outputs]
    if len(outputs) == 1 and not isinstance(seed, (list, tuple)):
        given: Sequence[object] = (seed,)
    elif isinstance(seed, (list, tuple)):
        given = seed
        if len(given) != len(outputs):
            raise ValueError(
                f"backward: {len(given)} seeds for {len(outputs)} outputs"
            )
    else:
        raise TypeError(
            f"backward: seed must be a sequence of {len(outputs)} arrays, one per output, "
            f"got {type(seed).__name__}"
        )
    seeds = []
    for o, s in zip(outputs, given):
        if not isinstance(s, (np.ndarray, int, float, np.generic)) or isinstance(s, bool):
            raise TypeError(f"backward: a seed must be an ndarray or a scalar, got {type(s).__name__}")
        if np.shape(s) != o.shape:
            raise ValueError(
                f"backward: seed of shape {np.shape(s)} for an output of shape {o.shape}"
            )
        seeds.append(np.array(s, dtype=o.dtype))
    return seeds

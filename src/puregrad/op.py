"""How an op is defined and applied: a forward on arrays and a VJP rule beside it.

An op is a small frozen object: `forward` computes on plain arrays, `vjp` gives the gradient
for one input. A VJP rule is written once and serves two sweeps:

- in an ordinary `backward` it receives plain arrays (numpy scalars for 0-d values) and runs
  at numpy's speed, recording nothing;
- under `create_graph=True` it receives the nodes themselves and builds the backward graph,
  so every gradient can be differentiated again.

A rule therefore computes with what ndarrays and nodes share: operators, methods such as
`.reshape` and `.sum`, numpy functions and ufuncs (a node hands them to the puregrad op of the
same meaning, see `interop.py`), and op instances, which are generic in the same way (`op(x)`
on arrays computes the forward, on nodes applies the op). Broadcasting and dtype are undone
centrally by `backward`, never inside a rule.
"""

from __future__ import annotations

import abc
import sys
from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeAlias, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import _ACTIVE, Config, resolve_config
from puregrad.node import (
    D,
    F,
    Input,
    Node,
    Operand,
    _leaf,
    _new_node,
    as_array,
    read_only_memory,
)

__all__ = [
    "Array",
    "BinaryFunction",
    "Binary",
    "Elementwise",
    "FloatBinaryFunction",
    "FloatUnaryFunction",
    "MultiOp",
    "NonDifferentiable",
    "Op",
    "Origin",
    "Output",
    "UnaryFunction",
    "apply",
    "apply_multi",
    "binary_function",
    "unary_function",
]

Array: TypeAlias = Any
"""A value inside a VJP rule: an ndarray or numpy scalar in an ordinary backward, a Node
under `create_graph` (or a constant operand as it was given). Both speak numpy, which is why
the rules are not typed more narrowly."""

class Op(abc.ABC):
    """A single-output op: the extension point for your own differentiable functions (every
    built-in op is one too).

    Subclass it with a class attribute `name` (used in error messages and graph pictures),
    `forward` computing on plain arrays, and `vjp(i, gy, xs, y)` giving the gradient for
    input `i` from the output's gradient `gy`, the inputs `xs` and the output `y`. Write the
    rule with numpy operators and functions, or puregrad ops: in a plain `backward` it gets
    arrays and runs at numpy's speed; under `create_graph` it gets the nodes, so your op
    differentiates again like a built-in one. Broadcasting and dtype are undone for it by
    `backward` (the rule may return the broadcast shape); `vjp` returning None means no
    gradient for that input.

    An instance is applied by calling it: with a node among its operands it gives a node
    (recorded when an operand requires grad); on plain arrays it computes the forward, so
    ops can be used inside rules.

    Typing: annotate `forward` with your own precise signature
    (`def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]`); the base declares
    `*xs: Any, **kwargs: Any`, which mypy treats as compatible with any override.

    >>> import numpy as np, puregrad as pg
    >>> class Cube(pg.Op):
    ...     name = "cube"
    ...     def forward(self, x: np.ndarray) -> np.ndarray:
    ...         return x ** 3
    ...     def vjp(self, i: int, gy: pg.op.Array, xs: tuple[pg.op.Array, ...], y: pg.op.Array) -> pg.op.Array:
    ...         return gy * 3 * xs[0] ** 2
    >>> x = pg.variable(2.0)
    >>> Cube()(x)
    Node(8., op=cube)
    >>> pg.grad(pg.grad(lambda v: Cube()(v)))(2.0)
    array(12.)
    """

    name: ClassVar[str] = "op"

    @abc.abstractmethod
    def forward(self, *xs: Any, **kwargs: Any) -> Any:
        """The value, from plain arrays and scalars (one per operand)."""

    @abc.abstractmethod
    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        """The gradient for input `i`, given the output's gradient `gy`, the inputs and output.

        Called only for inputs that need a gradient. The result may have the broadcast
        shape and any dtype: `backward` sums it to the input's shape and casts it.

        In a plain backward `gy` is a writable ndarray only when nothing else refers to it
        or its memory and the op has one input: the rule may then write into it (relu
        multiplies its mask into `gy`); any other `gy` comes read-only.
        """

    joint: ClassVar[bool] = False
    """True for an op whose inputs' gradients share their work (`checkpoint` recomputes a
    block once for all of them): `backward` then calls `vjps` once per application
    instead of `vjp` once per input, and no op needs to keep anything between calls."""

    saves: ClassVar[bool] = False
    """True for an op whose rule needs something its forward computes on the way (a
    max-pool's winning places, say) and would otherwise compute again: when the op is
    recorded, `apply` calls `forward_saving` instead of `forward` and records the arrays it
    saves as constant operands after the op's own, so the rule finds them at the end of
    `xs`. Nothing is saved when nothing is recorded (`no_grad`, constants only)."""

    def forward_saving(self, *xs: Any, **kwargs: Any) -> tuple[Any, tuple[NDArray[Any], ...]]:
        """The value and what the rule keeps of the forward (residuals: arrays, recorded
        read-only); used instead of `forward` when `saves` is True and the op is recorded."""
        return self.forward(*xs, **kwargs), ()

    def vjps(
        self, gy: Array, xs: tuple[Array, ...], y: Array, needed: tuple[bool, ...]
    ) -> tuple[Array, ...]:
        """The gradients of every input at once (None where `needed[i]` is False); called
        by `backward` only when `joint` is True. By default, `vjp` for each needed input."""
        return tuple(self.vjp(i, gy, xs, y) if n else None for i, n in enumerate(needed))

    def failure(self, values: list[Any]) -> str | None:
        """What to say when `forward` raised ValueError on `values` (None: numpy's own
        message stands). Ops whose errors need the op and shapes named override it."""
        return None

    @overload
    def __call__(self, x: Node[D], /, *xs: object) -> Node[D]: ...
    @overload
    def __call__(self, x0: NDArray[D] | D | float, x1: Node[D], /, *xs: object) -> Node[D]: ...
    @overload
    def __call__(self, *xs: object) -> Array: ...
    def __call__(self, *xs: object) -> Array:
        """Apply the op: a node among `xs` gives a node, else the forward's array."""
        for x in xs:
            if type(x) is Node:
                return apply(self, xs, None)
        return self.forward(*xs)


class MultiOp(abc.ABC):
    """An op with several outputs (`split`): one forward and one VJP call per input.

    As `Op`, but `forward` returns a tuple of arrays, and `vjp(i, gys, xs)` gets one
    gradient per output, zeros standing in for outputs that do not reach the
    differentiated graph. Calling an instance on a node gives a tuple of nodes.

    >>> import numpy as np, puregrad as pg
    >>> class SinCos(pg.MultiOp):
    ...     name = "sincos"
    ...     def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ...         return np.sin(x), np.cos(x)
    ...     def vjp(self, i: int, gys: tuple[pg.op.Array, ...], xs: tuple[pg.op.Array, ...]) -> pg.op.Array:
    ...         return gys[0] * np.cos(xs[0]) - gys[1] * np.sin(xs[0])
    >>> s, c = SinCos()(pg.variable(0.0))
    >>> pg.backward(s + c)
    Gradients({Node(0., variable): array(1.)})
    """

    name: ClassVar[str] = "multi-op"

    @abc.abstractmethod
    def forward(self, *xs: Any, **kwargs: Any) -> tuple[Any, ...]:
        """The values of every output."""

    @abc.abstractmethod
    def vjp(self, i: int, gys: tuple[Array, ...], xs: tuple[Array, ...]) -> Array:
        """The gradient for input `i`; `gys` has one gradient per output, zeros standing in
        for outputs that do not reach the differentiated graph."""

    joint: ClassVar[bool] = False
    """As `Op.joint`: True makes `backward` call `vjps` once per application."""

    def vjps(
        self, gys: tuple[Array, ...], xs: tuple[Array, ...], needed: tuple[bool, ...]
    ) -> tuple[Array, ...]:
        """As `Op.vjps`: every input's gradient at once (None where `needed[i]` is False),
        called by `backward` only when `joint` is True."""
        return tuple(self.vjp(i, gys, xs) if n else None for i, n in enumerate(needed))

    def failure(self, values: list[Any]) -> str | None:
        """As `Op.failure`."""
        return None

    @overload
    def __call__(self, x: Node[D], /, *xs: object) -> tuple[Node[D], ...]: ...
    @overload
    def __call__(
        self, x0: NDArray[D] | D | float, x1: Node[D], /, *xs: object
    ) -> tuple[Node[D], ...]: ...
    @overload
    def __call__(self, *xs: object) -> tuple[Array, ...]: ...
    def __call__(self, *xs: object) -> tuple[Array, ...]:
        """Apply the op: a node among `xs` gives nodes, else the forward's arrays."""
        for x in xs:
            if type(x) is Node:
                return apply_multi(self, xs, None)
        return self.forward(*xs)


@attrs.frozen(eq=False)
class Call:
    """One application of a `MultiOp`, shared by its outputs (it never refers to them)."""

    op: MultiOp
    shapes: tuple[tuple[int, ...], ...]
    dtypes: tuple[np.dtype[Any], ...]


@attrs.frozen(eq=False)
class Output:
    """The origin of one output of a multi-output application."""

    call: Call
    index: int

    @property
    def name(self) -> str:
        return f"{self.call.op.name}[{self.index}]"


Origin: TypeAlias = Op | Output
"""How a non-leaf node was made: the op (single output) or its place among several."""


# Applying ops -------------------------------------------------------------------------------


def _operands(
    name: str, args: tuple[object, ...], enable_backprop: bool
) -> tuple[list[Any], tuple[Input, ...] | None]:
    """The forward's values and the inputs to record (None: the result is a constant leaf),
    for operands of every kind; refuses what is not a node, an array or a scalar."""
    values: list[Any] = []
    record = False
    has_array = False
    for a in args:
        if type(a) is Node:
            values.append(a.value)
            record = record or a.requires_grad
        elif isinstance(a, (int, float, complex, np.generic)):
            values.append(a)  # bool too; kept as given, so numpy's promotion applies
        elif isinstance(a, np.ndarray):
            if a.dtype.kind not in "biufc":
                raise TypeError(f"{name}: unsupported dtype {a.dtype}")
            values.append(a)
            has_array = True
        else:
            raise TypeError(
                f"{name}: expected a Node, numpy.ndarray or scalar, got {type(a).__name__}"
            )
    if not (record and enable_backprop):
        return values, None
    if not has_array:
        return values, args  # type: ignore[return-value]  # each was checked above
    # A recorded array operand must outlive the caller's writes to it: copy it (once).
    inputs: tuple[Input, ...] = tuple(
        as_array(a, name) if isinstance(a, np.ndarray) else a for a in args  # type: ignore[misc]  # each was checked above
    )
    return [a.value if type(a) is Node else a for a in inputs], inputs


def _base_refs(y: Any) -> int:
    """The reference count of `y.base`, as `_private_base` sees it."""
    base = y.base
    return sys.getrefcount(base)


def _lone_base_refs() -> int:
    """What `_base_refs` gives for a view whose base nothing else refers to (-1, which no
    count equals, if an extra holder would not show in the count on this interpreter)."""
    lone = _base_refs(np.empty(2)[::2])
    held = np.empty(2)
    return lone if _base_refs(held[::2]) == lone + 1 else -1


_LONE_BASE_REFS = _lone_base_refs()


def _private_base(y: Any) -> bool:
    """Whether `y` views an array that owns its memory and that nothing but `y` refers to
    (say, `reshape` of a non-contiguous array views the copy numpy made for it).

    Exact, not a guess: every ndarray viewing the memory (numpy collapses a view's `base`
    to the owner) and every Python name or container holding the owner counts a reference
    to it, so a count of one, `y`'s own, means no one else can reach the memory. An
    operand the forward viewed is held by the caller's arguments at least, so it never
    passes. The owner is made read-only too, so later views of `y` are seen as such."""
    base = y.base
    if type(base) is not np.ndarray or base.base is not None or not base.flags.owndata:
        return False
    del base
    if _base_refs(y) != _LONE_BASE_REFS:
        return False
    y.base.flags.writeable = False
    return True


def _freeze(y: Any) -> NDArray[Any]:
    """An op's result as a read-only ndarray, stored as computed: copied only when it is a
    view of an array the caller can still write (say, `reshape` of a plain ndarray), not
    when it views a fresh array of its own (`_private_base`)."""
    if type(y) is not np.ndarray:
        y = np.array(y)  # ufuncs give numpy scalars for 0-d values
    elif y.base is not None and not read_only_memory(y.base) and not _private_base(y):
        y = y.copy()
    y.setflags(write=False)
    return y  # type: ignore[no-any-return]  # narrowed to ndarray above


def _residuals(op: Op, saved: object) -> tuple[NDArray[Any], ...]:
    """What `op.forward_saving` saved, checked and made read-only (copied only if the
    caller could still write it, as results are)."""
    if type(saved) is not tuple or not all(isinstance(r, np.ndarray) for r in saved):
        raise TypeError(
            f"{op.name}: forward_saving must return (value, residuals), the residuals a "
            f"tuple of ndarrays, got {type(saved).__name__} for the residuals"
        )
    return tuple(_freeze(r) for r in saved)


def _forward(op: Op | MultiOp, values: list[Any]) -> Any:
    try:
        return op.forward(*values)
    except ValueError:
        message = op.failure(values)
        if message is None:
            raise
        raise ValueError(message) from None


def apply(op: Op, args: tuple[object, ...], config: Config | None) -> Node[Any]:
    """Apply `op` to `args` (nodes, arrays, scalars), recording it when the config enables
    backprop and some operand requires grad; otherwise the result is a constant leaf."""
    # This is the hot path of every op, so the common case (nodes and Python scalars) is
    # handled inline; anything else takes the general `_operands`.
    cfg = _ACTIVE.get() if config is None else resolve_config(config)
    values: list[Any] = []
    record = False
    for a in args:
        if type(a) is Node:
            values.append(a.value)
            if a.requires_grad:
                record = True
        elif type(a) is float or type(a) is int:
            values.append(a)
        else:
            values, inputs = _operands(op.name, args, cfg.enable_backprop)
            break
    else:
        inputs = args if record and cfg.enable_backprop else None  # type: ignore[assignment]  # nodes and scalars only
    try:
        if inputs is not None and op.saves:
            y, saved = op.forward_saving(*values)
            inputs = (*inputs, *_residuals(op, saved))
        else:
            y = op.forward(*values)
    except ValueError:
        message = op.failure(values)
        if message is None:
            raise
        raise ValueError(message) from None
    if type(y) is not np.ndarray:  # `_freeze`, inlined
        y = np.array(y)
    elif y.base is not None and not read_only_memory(y.base) and not _private_base(y):
        y = y.copy()
    y.setflags(write=False)
    if inputs is None:
        return _leaf(y, None, False)
    return _new_node(y, op, inputs)


def apply_multi(
    op: MultiOp, args: tuple[object, ...], config: Config | None
) -> tuple[Node[Any], ...]:
    """`apply` for an op with several outputs: one node per output, sharing one `Call`."""
    cfg = _ACTIVE.get() if config is None else resolve_config(config)
    values, inputs = _operands(op.name, args, cfg.enable_backprop)
    ys = tuple(_freeze(y) for y in _forward(op, values))
    if inputs is None:
        return tuple(_leaf(y, None, False) for y in ys)
    call = Call(op, tuple(y.shape for y in ys), tuple(y.dtype for y in ys))
    return tuple(_new_node(y, Output(call, i), inputs) for i, y in enumerate(ys))


# Building blocks for the op table ------------------------------------------------------------


@attrs.frozen
class Elementwise(Op):
    """A one-input op from a numpy function and its rule `(gy, x, y) -> gx`."""

    name: str  # type: ignore[misc]  # an instance's own name, where Op has a class-wide one
    forward: Callable[[Any], Any]  # the numpy function itself, called with no wrapper
    rule: Callable[[Array, Array, Array], Array]

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return self.rule(gy, xs[0], y)


@attrs.frozen
class Binary(Op):
    """A broadcasting two-input op: a numpy ufunc and a rule `(gy, x0, x1, y) -> gx`
    for each input."""

    name: str  # type: ignore[misc]  # an instance's own name, where Op has a class-wide one
    forward: Callable[[Any, Any], Any]  # the ufunc itself, called with no wrapper
    rule0: Callable[[Array, Array, Array, Array], Array]
    rule1: Callable[[Array, Array, Array, Array], Array]

    def failure(self, values: list[Any]) -> str | None:
        shapes = np.shape(values[0]), np.shape(values[1])
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            return f"{self.name}: cannot broadcast shapes {shapes[0]} and {shapes[1]}"
        return None

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        rule = self.rule0 if i == 0 else self.rule1
        return rule(gy, xs[0], xs[1], y)


@attrs.frozen
class NonDifferentiable(Op):
    """A function whose derivative is zero wherever it is defined, for use inside VJP rules:
    a comparison mask (`x > 0`), the share of tied extremes.

    Called on nodes it computes on their values and gives a plain array, a constant: nothing
    is recorded, because no gradient could flow through it (a node has no comparison
    operators, so a rule cannot build `x > 0` from the node itself). Applied as an op, its
    VJP is None: no gradient.
    """

    name: str  # type: ignore[misc]  # an instance's own name, where Op has a class-wide one
    function: Callable[..., Any]

    def forward(self, *xs: Any) -> Any:
        return self.function(*xs)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return None

    def __call__(self, *xs: Array) -> Array:
        return self.function(*(x.value if type(x) is Node else x for x in xs))


class UnaryFunction(Protocol):
    """A dtype-preserving one-input op: `Node[D] -> Node[D]`."""

    @overload
    def __call__(self, x: Node[D] | NDArray[D] | D, *, config: Config | None = None) -> Node[D]: ...
    @overload
    def __call__(self, x: float, *, config: Config | None = None) -> Node[np.float64]: ...


class FloatUnaryFunction(Protocol):
    """A one-input op defined on floating values: `Node[F] -> Node[F]`."""

    @overload
    def __call__(self, x: Node[F] | NDArray[F] | F, *, config: Config | None = None) -> Node[F]: ...
    @overload
    def __call__(self, x: float, *, config: Config | None = None) -> Node[np.float64]: ...


class BinaryFunction(Protocol):
    """A broadcasting two-input op: `(Node[D], Node[D]) -> Node[D]`, either side an array or
    a scalar (a Python scalar takes the other side's dtype, as in numpy)."""

    @overload
    def __call__(
        self, x0: Node[D] | NDArray[D], x1: Operand[D], *, config: Config | None = None
    ) -> Node[D]: ...
    @overload
    def __call__(
        self, x0: D | float, x1: Node[D] | NDArray[D], *, config: Config | None = None
    ) -> Node[D]: ...
    @overload
    def __call__(self, x0: float, x1: float, *, config: Config | None = None) -> Node[np.float64]: ...


class FloatBinaryFunction(Protocol):
    """A broadcasting two-input op defined on floating values: `(Node[F], Node[F]) -> Node[F]`."""

    @overload
    def __call__(
        self, x0: Node[F] | NDArray[F], x1: Operand[F], *, config: Config | None = None
    ) -> Node[F]: ...
    @overload
    def __call__(
        self, x0: F | float, x1: Node[F] | NDArray[F], *, config: Config | None = None
    ) -> Node[F]: ...
    @overload
    def __call__(self, x0: float, x1: float, *, config: Config | None = None) -> Node[np.float64]: ...


def unary_function(op: Op, doc: str) -> Callable[..., Node[Any]]:
    """The public function `name(x, *, config=None)` applying a one-input op."""

    def function(x: object, *, config: Config | None = None) -> Node[Any]:
        return apply(op, (x,), config)

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = doc
    return function


def binary_function(op: Op, doc: str) -> Callable[..., Node[Any]]:
    """The public function `name(x0, x1, *, config=None)` applying a two-input op."""

    def function(x0: object, x1: object, *, config: Config | None = None) -> Node[Any]:
        return apply(op, (x0, x1), config)

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = doc
    return function


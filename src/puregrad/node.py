"""`Node`: one immutable value in a computation graph, and the leaves `variable` and `constant`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final, Generic, TypeAlias, TypeVar, final, overload

import attrs
import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from puregrad.config import Config
    from puregrad.op import Origin
    from puregrad.ops.reduce import Axis
    from puregrad.ops.shape import Index

__all__ = ["D", "F", "Input", "Node", "Operand", "Scalar", "constant", "shape_of", "variable"]

D = TypeVar("D", bound=np.generic)
"""The numpy scalar type of a node's value (`np.float64`, `np.float32`, `np.int64`, ...)."""
F = TypeVar("F", bound=np.floating[Any])
"""A floating scalar type: what a `variable` (and so every gradient) holds."""

Scalar: TypeAlias = bool | int | float | complex | np.generic
"""A Python or numpy scalar. As an op's operand it is kept as it is, so numpy's own promotion
rules apply (a Python float next to a float32 node stays float32)."""

_ALLOWED_KINDS: Final = frozenset("biufc")


@final
@attrs.frozen(eq=False, weakref_slot=True, repr=False)
class Node(Generic[D]):
    """One value in a computation graph: a read-only array and how it was made.

    Make leaves with `variable` (gradients flow to it) and `constant` (they do not); ops make
    the rest. Nodes compare and hash by identity. Nothing in a node can change after it is
    built, and a node refers only to its inputs, never to its consumers, so a graph is freed
    by reference counting alone as soon as its last node is dropped.

    Attributes:
        value: the array, never writable.
        name: an optional label, shown in `repr` and in graph pictures.
        requires_grad: whether gradients flow back through this node.
        origin: the op application that made it, or None for a leaf.
        inputs: the op's operands: nodes, or scalars kept as given.
    """

    value: NDArray[D] = attrs.field()
    name: str | None = None
    requires_grad: bool = False
    origin: Origin | None = None
    inputs: tuple[Input, ...] = ()

    @value.validator
    def _check_value(self, _: object, value: object) -> None:
        if type(value) is not np.ndarray:
            raise TypeError(f"Node value must be a numpy.ndarray, got {type(value).__name__}")
        if value.flags.writeable:
            raise ValueError("Node value must be read-only; use puregrad.variable or constant")

    @property
    def generation(self) -> int:
        """0 for a leaf, else 1 + the largest generation among the inputs.

        Derived from the graph on request (iteratively, each node once) rather than stored:
        `backward` orders ops by counting consumers, and not storing it saves an int object
        per node.
        """
        if self.origin is None:
            return 0
        depth: dict[Node[Any], int] = {}
        stack: list[Node[Any]] = [self]
        while stack:
            node = stack[-1]
            if node in depth:
                stack.pop()
                continue
            pending = [
                x for x in node.inputs if type(x) is Node and x.origin is not None and x not in depth
            ]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            depth[node] = 1 + max(
                (depth.get(x, 0) for x in node.inputs if type(x) is Node), default=0
            )
        return depth[self]

    # Array-like properties ----------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def dtype(self) -> np.dtype[D]:
        return self.value.dtype

    def __len__(self) -> int:
        if self.value.ndim == 0:
            raise TypeError("len() of a 0-d node")
        return len(self.value)

    def __repr__(self) -> str:
        body = np.array2string(self.value, separator=", ", prefix="Node(", threshold=20)
        parts = [body]
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self.origin is not None:
            parts.append(f"op={self.origin.name}")
        elif self.requires_grad:
            parts.append("variable")
        else:
            parts.append("constant")
        if self.value.dtype != np.float64:
            parts.append(f"dtype={self.value.dtype}")
        return f"Node({', '.join(parts)})"

    # Operators: each is the op of the same name, with the node on either side --------------

    # (straight to the op: these are the hot path of user code)

    def __add__(self, other: Operand[D]) -> Node[D]:
        return _apply(_arithmetic.ADD, (self, other), None)

    def __radd__(self, other: Operand[D]) -> Node[D]:
        return _apply(_arithmetic.ADD, (other, self), None)

    def __sub__(self, other: Operand[D]) -> Node[D]:
        return _apply(_arithmetic.SUB, (self, other), None)

    def __rsub__(self, other: Operand[D]) -> Node[D]:
        return _apply(_arithmetic.SUB, (other, self), None)

    def __mul__(self, other: Operand[D]) -> Node[D]:
        return _apply(_arithmetic.MUL, (self, other), None)

    def __rmul__(self, other: Operand[D]) -> Node[D]:
        return _apply(_arithmetic.MUL, (other, self), None)

    def __matmul__(self, other: Node[D] | NDArray[D]) -> Node[D]:
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other: Node[D] | NDArray[D]) -> Node[D]:
        return _linalg.matmul(other, self)

    def __truediv__(self, other: Operand[D]) -> Node[D]:
        return _apply(_arithmetic.DIV, (self, other), None)

    def __rtruediv__(self, other: Operand[D]) -> Node[D]:
        return _apply(_arithmetic.DIV, (other, self), None)

    def __pow__(self, other: Operand[D]) -> Node[D]:
        return _apply(_arithmetic.POWER, (self, other), None)

    def __rpow__(self, other: Operand[D]) -> Node[D]:
        return _apply(_arithmetic.POWER, (other, self), None)

    def __neg__(self) -> Node[D]:
        return _apply(_arithmetic.NEG, (self,), None)

    def __pos__(self) -> Node[D]:
        return self

    def __getitem__(self, index: Index) -> Node[D]:
        return _shape.get_item(self, index)

    def __iter__(self) -> Iterator[Node[D]]:
        """The node's rows `x[0], x[1], ...`, as iterating an ndarray gives."""
        if self.value.ndim == 0:
            raise TypeError("iteration over a 0-d node")
        return (_shape.get_item(self, i) for i in range(len(self.value)))

    # Methods as on an ndarray: each is the op of the same name ------------------------------

    @property
    def T(self) -> Node[D]:
        """The transpose: the axes reversed."""
        return _shape.transpose(self)

    @overload
    def reshape(self, shape: int | tuple[int, ...], /, *, config: Config | None = None) -> Node[D]: ...
    @overload
    def reshape(self, *shape: int, config: Config | None = None) -> Node[D]: ...
    def reshape(self, *shape: int | tuple[int, ...], config: Config | None = None) -> Node[D]:
        """`reshape(x, shape)`; as on an ndarray, the shape is one tuple or several ints."""
        target = shape[0] if len(shape) == 1 else shape
        return _shape.reshape(self, target, config=config)  # type: ignore[arg-type]  # ints or a tuple, which reshape checks

    @overload
    def transpose(self, axes: Sequence[int] | None, /, *, config: Config | None = None) -> Node[D]: ...
    @overload
    def transpose(self, *axes: int, config: Config | None = None) -> Node[D]: ...
    def transpose(self, *axes: int | Sequence[int] | None, config: Config | None = None) -> Node[D]:
        """`transpose(x, axes)`; as on an ndarray, the axes are one sequence or several ints
        (none: reversed)."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            return _shape.transpose(self, axes[0], config=config)
        return _shape.transpose(self, axes or None, config=config)  # type: ignore[arg-type]  # ints, which transpose checks

    def sum(self, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[D]:
        """`sum(x, axis, keepdims)`."""
        return _reduce.sum(self, axis, keepdims, config=config)

    def mean(self: Node[F], axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[F]:
        """`mean(x, axis, keepdims)`."""
        return _reduce.mean(self, axis, keepdims, config=config)

    def max(self, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[D]:
        """`max(x, axis, keepdims)`."""
        return _reduce.max(self, axis, keepdims, config=config)

    def min(self, axis: Axis = None, keepdims: bool = False, *, config: Config | None = None) -> Node[D]:
        """`min(x, axis, keepdims)`."""
        return _reduce.min(self, axis, keepdims, config=config)

    # numpy interop: ndarray on the left, ufuncs and functions applied to a node -------------

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _interop.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(
        self, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        return _interop.array_function(func, args, kwargs)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        # Converting to a plain array would silently cut the graph, so it is refused for a
        # node that gradients flow through; `.value` says it on purpose.
        if self.requires_grad:
            raise TypeError(
                "cannot convert a node that requires grad to a numpy array (it would drop "
                "the graph); use node.value"
            )
        if copy:
            return np.array(self.value, dtype=dtype)
        return self.value if dtype is None else self.value.astype(dtype, copy=False)


Operand: TypeAlias = Node[D] | NDArray[D] | D | float
"""What an op takes where a value of dtype `D` goes: a node, an array, or a scalar."""

Input: TypeAlias = Node[Any] | NDArray[Any] | Scalar
"""An op's recorded operand: a node, a read-only constant array, or a scalar kept as given."""


def shape_of(x: object) -> tuple[int, ...]:
    """The shape of a node, an array or a scalar (what a VJP rule may receive)."""
    if type(x) is Node:
        return x.value.shape
    shape: tuple[int, ...] = np.shape(x)  # type: ignore[call-overload]  # an array or a scalar
    return shape


def _new_node(value: NDArray[Any], origin: Origin, inputs: tuple[Input, ...]) -> Node[Any]:
    """The op results' constructor: `value` is the op's own read-only output, so it skips
    `__init__`'s validation (it is on the hot path of every op)."""
    node: Node[Any] = object.__new__(Node)
    _set_value(node, value)
    _set_name(node, None)
    _set_requires_grad(node, True)
    _set_origin(node, origin)
    _set_inputs(node, inputs)
    created = CREATED.get()
    if created is not None:
        created.add(id(node))
    return node


CREATED: Final[ContextVar[set[int] | None]] = ContextVar("puregrad_created", default=None)
"""While `checkpoint` first runs its function: the ids of the op results made meanwhile, so
it can tell the nodes the function made from the ones it closes over (which outlive the run,
so an id seen here never belongs to one of them)."""


def _leaf(value: NDArray[Any], name: str | None, requires_grad: bool) -> Node[Any]:
    node: Node[Any] = object.__new__(Node)
    _set_value(node, value)
    _set_name(node, name)
    _set_requires_grad(node, requires_grad)
    _set_origin(node, None)
    _set_inputs(node, ())
    return node


# The slots' own setters bypass the frozen __setattr__; only this module's constructors use them.
_set_value: Final = Node.__dict__["value"].__set__
_set_name: Final = Node.__dict__["name"].__set__
_set_requires_grad: Final = Node.__dict__["requires_grad"].__set__
_set_origin: Final = Node.__dict__["origin"].__set__
_set_inputs: Final = Node.__dict__["inputs"].__set__


def read_only_memory(base: object) -> bool:
    """Whether nobody can write the memory of `base`: it, and every array it views, is a
    read-only ndarray (or immutable bytes)."""
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            return False
        base = base.base
    return base is None or isinstance(base, bytes)


def as_array(data: object, who: str) -> NDArray[Any]:
    """`data` as a read-only ndarray, copied once if anyone could still write it.

    Accepts an ndarray or a Python/numpy scalar of bool, integer, floating or complex type.
    """
    if isinstance(data, np.ndarray):
        array: NDArray[Any] = data
    elif isinstance(data, (bool, int, float, complex, np.generic)):
        array = np.asarray(data)
    else:
        raise TypeError(
            f"{who}: expected a numpy.ndarray or a scalar, got {type(data).__name__}"
        )
    if array.dtype.kind not in _ALLOWED_KINDS:
        raise TypeError(f"{who}: unsupported dtype {array.dtype} (an array of {array.dtype.kind!r})")
    if type(array) is not np.ndarray:  # a subclass (np.matrix, a masked array): plain copy
        array = np.array(array, subok=False)
    elif not read_only_memory(array):
        array = array.copy()
    array.flags.writeable = False
    return array


@overload
def variable(data: NDArray[F], name: str | None = None) -> Node[F]: ...
@overload
def variable(data: F, name: str | None = None) -> Node[F]: ...
@overload
def variable(data: float, name: str | None = None) -> Node[np.float64]: ...
def variable(data: NDArray[Any] | np.generic | float, name: str | None = None) -> Node[Any]:
    """A leaf that gradients flow to.

    Args:
        data: a floating ndarray or scalar; a writable array is copied once.
        name: an optional label.

    Raises:
        TypeError: for anything else (a list, a string, None, an integer array), naming it.

    >>> x = variable(np.array([1.0, 2.0]), name="x")
    >>> x
    Node([1., 2.], name='x', variable)
    """
    array = as_array(data, "variable")
    if array.dtype.kind != "f":
        raise TypeError(
            f"variable: needs a floating dtype, got {array.dtype}; use constant() for "
            "integer or bool data, or convert with .astype(np.float64)"
        )
    _check_name(name)
    return _leaf(array, name, True)


@overload
def constant(data: NDArray[D], name: str | None = None) -> Node[D]: ...
@overload
def constant(data: D, name: str | None = None) -> Node[D]: ...
@overload
def constant(data: bool, name: str | None = None) -> Node[np.bool_]: ...  # type: ignore[overload-overlap]  # a bool is an int; this overload, first, wins
@overload
def constant(data: int, name: str | None = None) -> Node[np.int64]: ...
@overload
def constant(data: float, name: str | None = None) -> Node[np.float64]: ...
def constant(data: NDArray[Any] | np.generic | float, name: str | None = None) -> Node[Any]:
    """A leaf that gradients do not flow to (integer and bool data allowed).

    >>> constant(3)
    Node(3, constant, dtype=int64)
    """
    array = as_array(data, "constant")
    _check_name(name)
    return _leaf(array, name, False)


def _check_name(name: object) -> None:
    if name is not None and type(name) is not str:
        raise TypeError(f"name must be a str or None, got {type(name).__name__}")


# Imported last: these modules build on Node (the operators above call into them).
from puregrad import interop as _interop  # noqa: E402
from puregrad.op import apply as _apply  # noqa: E402
from puregrad.ops import arithmetic as _arithmetic  # noqa: E402
from puregrad.ops import linalg as _linalg  # noqa: E402
from puregrad.ops import reduce as _reduce  # noqa: E402
from puregrad.ops import shape as _shape  # noqa: E402

"""Shape ops: reshape, transpose, broadcast_to and sum_to (the pair `backward` undoes
broadcasting with), indexing (get_item and its gradient, a scatter-add), concat and split;
then numpy's other shape functions (stack, flip, roll, tile, repeat, diagonal, triu, take,
pad, ...), each an op of its own or one of the above with the arguments numpy takes."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from types import EllipsisType
from typing import Any, Literal, TypeAlias, overload

import attrs
import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, Node, shape_of
from puregrad.op import Array, MultiOp, Op, apply, apply_multi

__all__ = [
    "BroadcastTo",
    "Concat",
    "Diagonal",
    "Flip",
    "GetItem",
    "Index",
    "Indices",
    "Pad",
    "Repeat",
    "Reshape",
    "Roll",
    "ScatterAdd",
    "Split",
    "Stack",
    "SumTo",
    "Take",
    "TakeAlongAxis",
    "Tile",
    "Trace",
    "Transpose",
    "Triangle",
    "broadcast_to",
    "concat",
    "diagonal",
    "expand_dims",
    "flip",
    "get_item",
    "hstack",
    "moveaxis",
    "pad",
    "ravel",
    "repeat",
    "reshape",
    "roll",
    "split",
    "squeeze",
    "stack",
    "sum_to",
    "swapaxes",
    "take",
    "take_along_axis",
    "tile",
    "trace",
    "transpose",
    "tril",
    "triu",
    "vstack",
]

IndexItem: TypeAlias = (
    int
    | np.integer[Any]
    | slice
    | EllipsisType
    | None
    | NDArray[np.integer[Any]]
    | NDArray[np.bool_]
    | Sequence[int]
    | Sequence[bool]
)
Index: TypeAlias = IndexItem | tuple[IndexItem, ...]
"""What `x[index]` takes, as numpy: ints, slices, `...`, None (a new axis), integer arrays
(repeats allowed) and boolean masks, alone or in a tuple."""


def _shape(shape: object, op: str) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    if isinstance(shape, (tuple, list)) and all(isinstance(s, (int, np.integer)) for s in shape):
        return tuple(int(s) for s in shape)
    raise TypeError(f"{op}: shape must be an int or a tuple of ints, got {shape!r}")


@attrs.frozen
class Reshape(Op):
    name = "reshape"
    shape: tuple[int, ...]

    def forward(self, *xs: Any) -> Any:
        (x,) = xs
        try:
            return np.reshape(x, self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape shape {np.shape(x)} into {self.shape}"
            ) from None

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return Reshape(shape_of(xs[0]))(gy)


@attrs.frozen
class BroadcastTo(Op):
    name = "broadcast_to"
    shape: tuple[int, ...]

    def forward(self, *xs: Any) -> Any:
        (x,) = xs
        try:
            return np.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast shape {np.shape(x)} to {self.shape}"
            ) from None

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return gy  # `backward` sums every gradient back to its input's shape


@attrs.frozen
class SumTo(Op):
    name = "sum_to"
    shape: tuple[int, ...]

    def forward(self, *xs: Any) -> Any:
        (x,) = xs
        shape = np.shape(x)
        if shape == self.shape:
            return x
        lead = len(shape) - len(self.shape)
        if lead < 0 or any(
            t != 1 and t != s for s, t in zip(shape[lead:], self.shape)
        ):
            raise ValueError(f"sum_to: cannot sum shape {shape} to {self.shape}")
        axes = tuple(range(lead)) + tuple(
            lead + i for i, (s, t) in enumerate(zip(shape[lead:], self.shape)) if t == 1 and s != 1
        )
        # Summing the kept axes first and the leading ones last leaves a fresh array, not a
        # view, so nothing is copied when it is stored.
        kept = tuple(a for a in axes if a >= lead)
        y = np.sum(x, axis=kept, keepdims=True) if kept else x
        return np.sum(y, axis=tuple(range(lead))) if lead else y

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return BroadcastTo(shape_of(xs[0]))(gy)


@overload
def reshape(x: Node[D] | NDArray[D], shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[D]: ...
@overload
def reshape(x: float, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[np.float64]: ...
def reshape(x: object, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[Any]:
    """`x` with a new shape of the same size (one entry may be -1), as `numpy.reshape`.

    >>> import puregrad as pg
    >>> reshape(pg.variable(np.arange(6.0)), (2, 3)).shape
    (2, 3)
    """
    return apply(Reshape(_shape(shape, "reshape")), (x,), config)


@overload
def broadcast_to(x: Node[D] | NDArray[D], shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[D]: ...
@overload
def broadcast_to(x: float, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[np.float64]: ...
def broadcast_to(x: object, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[Any]:
    """`x` broadcast to `shape`, as `numpy.broadcast_to`; its gradient is `sum_to`.

    >>> import puregrad as pg
    >>> broadcast_to(pg.variable(np.array([1.0, 2.0])), (3, 2)).shape
    (3, 2)
    """
    return apply(BroadcastTo(_shape(shape, "broadcast_to")), (x,), config)


@overload
def sum_to(x: Node[D] | NDArray[D], shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[D]: ...
@overload
def sum_to(x: float, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[np.float64]: ...
def sum_to(x: object, shape: int | tuple[int, ...], *, config: Config | None = None) -> Node[Any]:
    """Sum `x` down to `shape` (the reverse of `broadcast_to`): `shape` must broadcast to
    `x.shape`.

    >>> import puregrad as pg
    >>> sum_to(pg.variable(np.ones((3, 2))), (1, 2)).value
    array([[3., 3.]])
    """
    return apply(SumTo(_shape(shape, "sum_to")), (x,), config)


@attrs.frozen
class Transpose(Op):
    name = "transpose"
    axes: tuple[int, ...]

    def forward(self, *xs: Any) -> Any:
        return np.transpose(xs[0], self.axes)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return Transpose(tuple(int(a) for a in np.argsort(self.axes)))(gy)


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _axis(axis: object, shape: tuple[int, ...], op: str) -> int:
    """`axis` of `shape` as a non-negative int."""
    if not _is_int(axis):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    try:
        return normalize_axis_index(int(axis), len(shape))  # type: ignore[call-overload]  # an int, checked above
    except (ValueError, IndexError):
        raise ValueError(f"{op}: axis {axis} is out of bounds for shape {shape}") from None


def _index(index: object) -> tuple[Any, ...]:
    """`index` as a tuple of items numpy understands, its arrays read-only copies (so a
    caller changing an index array later cannot change a recorded op)."""
    items = index if type(index) is tuple else (index,)
    normalized: list[Any] = []
    for item in items:
        if item is None or item is Ellipsis or isinstance(item, (slice, int, np.integer)):
            normalized.append(item)
            continue
        if type(item) is Node:
            raise TypeError(
                "get_item: an index cannot be a node; use node.value for a constant index"
            )
        if isinstance(item, (list, np.ndarray)):
            array = np.array(item)
            if array.size == 0 and array.dtype.kind not in "iub":
                array = array.astype(np.intp)  # `[]` picks nothing, as numpy reads it
            if array.dtype.kind not in "iub":
                raise TypeError(
                    f"get_item: an index array must hold integers or booleans, got dtype {array.dtype}"
                )
            array.setflags(write=False)
            normalized.append(array)
            continue
        raise TypeError(
            "get_item: an index must be an int, slice, ..., None, an integer array or a "
            f"boolean mask (or a tuple of them), got {type(item).__name__}"
        )
    return tuple(normalized)


@attrs.frozen(eq=False)  # identity: an index may hold arrays
class GetItem(Op):
    """`x[index]`; its gradient scatters `gy` back into zeros of `x`'s shape."""

    name = "get_item"
    index: tuple[Any, ...]

    def forward(self, *xs: Any) -> Any:
        x = xs[0]
        try:
            return x[self.index]
        except IndexError as error:
            raise IndexError(f"get_item: {error} (input shape {np.shape(x)})") from None

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return ScatterAdd(self.index, shape_of(xs[0]))(gy)


@attrs.frozen(eq=False)  # identity: an index may hold arrays
class ScatterAdd(Op):
    """Zeros of `shape` with `gy` added at `index`, repeated indices accumulating: the
    gradient of `x[index]`. Its own gradient is `gy[index]`, so indexing differentiates to
    any order."""

    name = "scatter_add"
    index: tuple[Any, ...]
    shape: tuple[int, ...]

    def forward(self, *xs: Any) -> Any:
        gy = xs[0]
        gx = np.zeros(self.shape, np.result_type(gy))
        if any(isinstance(a, np.ndarray) and a.dtype.kind in "iu" for a in self.index):
            np.add.at(gx, self.index, gy)  # an integer array may repeat an index
        else:
            gx[self.index] = gy  # basic indexing and masks pick each element at most once
        return gx

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return GetItem(self.index)(gy)


@attrs.frozen
class Concat(Op):
    name = "concat"
    axis: int

    def forward(self, *xs: Any) -> Any:
        return np.concatenate(xs, axis=self.axis)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        start = sum(shape_of(x)[self.axis] for x in xs[:i])
        stop = start + shape_of(xs[i])[self.axis]
        return GetItem((slice(None),) * self.axis + (slice(start, stop),))(gy)


@attrs.frozen
class Split(MultiOp):
    """`x` cut along `axis` before each of `indices` (increasing); its gradient
    concatenates the outputs' gradients."""

    name = "split"
    indices: tuple[int, ...]
    axis: int

    def forward(self, *xs: Any) -> tuple[Any, ...]:
        return tuple(np.split(xs[0], self.indices, axis=self.axis))

    def vjp(self, i: int, gys: tuple[Array, ...], xs: tuple[Array, ...]) -> Array:
        return Concat(self.axis)(*gys)


@overload
def transpose(x: Node[D] | NDArray[D], axes: Sequence[int] | None = None, *, config: Config | None = None) -> Node[D]: ...
@overload
def transpose(x: float, axes: Sequence[int] | None = None, *, config: Config | None = None) -> Node[np.float64]: ...
def transpose(x: object, axes: Sequence[int] | None = None, *, config: Config | None = None) -> Node[Any]:
    """`x` with its axes permuted (reversed when `axes` is None), as `numpy.transpose`.

    Raises:
        TypeError: `axes` is not a sequence of ints.
        ValueError: `axes` is not a permutation of `x`'s axes.

    >>> import puregrad as pg
    >>> transpose(pg.variable(np.ones((2, 3, 4))), (1, 0, 2)).shape
    (3, 2, 4)
    """
    shape = shape_of(x)
    if axes is None:
        normalized = tuple(reversed(range(len(shape))))
    else:
        if not (isinstance(axes, (tuple, list)) and all(_is_int(a) for a in axes)):
            raise TypeError(f"transpose: axes must be None or a tuple of ints, got {axes!r}")
        try:
            normalized = normalize_axis_tuple(tuple(int(a) for a in axes), len(shape))
        except (ValueError, IndexError):
            normalized = ()
        if len(normalized) != len(shape):
            raise ValueError(
                f"transpose: axes {tuple(axes)} are not a permutation of the axes of shape {shape}"
            )
    return apply(Transpose(normalized), (x,), config)


def get_item(x: Node[D] | NDArray[D], index: Index, *, config: Config | None = None) -> Node[D]:
    """`x[index]`, as numpy: basic slicing, integer-array and boolean-mask indexing.

    The gradient adds `gy` back at `index`, so an element picked several times (by repeated
    integer indices) gets the sum of their gradients.

    Raises:
        TypeError: an index item of another type (a float, a node, a float array).
        IndexError: an index out of range or too many indices, as numpy.

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([1.0, 2.0, 3.0]))
    >>> pg.backward(pg.sum(get_item(x, np.array([0, 0, 2]))))[x].value
    array([2., 0., 1.])
    """
    return apply(GetItem(_index(index)), (x,), config)


# mypy cannot solve D from a list literal that mixes nodes and arrays (it joins them to
# `object` first), so the common floating types get overloads of their own.
@overload
def concat(xs: Sequence[Node[D] | NDArray[D]], axis: int = 0, *, config: Config | None = None) -> Node[D]: ...
@overload
def concat(xs: Sequence[Node[np.float64] | NDArray[np.float64]], axis: int = 0, *, config: Config | None = None) -> Node[np.float64]: ...  # type: ignore[overload-overlap]  # only an empty sequence matches both: it raises
@overload
def concat(xs: Sequence[Node[np.float32] | NDArray[np.float32]], axis: int = 0, *, config: Config | None = None) -> Node[np.float32]: ...
def concat(xs: Sequence[Node[Any] | NDArray[Any]], axis: int = 0, *, config: Config | None = None) -> Node[Any]:
    """Join `xs` along an existing `axis`, as `numpy.concatenate`.

    Raises:
        TypeError: `xs` is not a list or tuple of nodes and arrays, or `axis` is not an int.
        ValueError: `xs` is empty, holds 0-d values, or shapes differ off `axis`.

    >>> import puregrad as pg
    >>> concat([pg.variable(np.ones((2, 3))), np.zeros((1, 3))]).shape
    (3, 3)
    """
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"concat: xs must be a list or tuple of nodes or arrays, got {type(xs).__name__}")
    if not xs:
        raise ValueError("concat: needs at least one input")
    for x in xs:
        if type(x) is not Node and not isinstance(x, np.ndarray):
            raise TypeError(f"concat: expected nodes or numpy.ndarrays, got {type(x).__name__}")
    shapes = [shape_of(x) for x in xs]
    first = shapes[0]
    if not first:
        raise ValueError("concat: zero-dimensional inputs cannot be concatenated")
    a = _axis(axis, first, "concat")
    for shape in shapes[1:]:
        if len(shape) != len(first) or shape[:a] + shape[a + 1 :] != first[:a] + first[a + 1 :]:
            raise ValueError(
                f"concat: shapes {first} and {shape} differ off axis {a}"
            )
    return apply(Concat(a), tuple(xs), config)


def split(
    x: Node[D] | NDArray[D],
    indices_or_sections: int | Sequence[int],
    axis: int = 0,
    *,
    config: Config | None = None,
) -> tuple[Node[D], ...]:
    """Cut `x` along `axis` into equal sections (an int) or before each index (a sequence),
    as `numpy.split`: several outputs, one op. An output that is not used gets a zero
    gradient.

    Raises:
        TypeError: `indices_or_sections` or `axis` of the wrong type.
        ValueError: `axis` out of range, sections that do not divide the axis evenly, or
            indices that decrease or fall outside the axis.

    >>> import puregrad as pg
    >>> a, b = split(pg.variable(np.arange(6.0)), 2)
    >>> b.value
    array([3., 4., 5.])
    """
    shape = shape_of(x)
    a = _axis(axis, shape, "split")
    n = shape[a]
    if isinstance(indices_or_sections, (int, np.integer)) and not isinstance(indices_or_sections, bool):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(
                f"split: {sections} sections do not divide axis {a} of shape {shape} evenly"
            )
        indices = tuple(range(n // sections, n, n // sections)) if n else (0,) * (sections - 1)
    elif isinstance(indices_or_sections, (list, tuple)) and all(
        _is_int(i) for i in indices_or_sections
    ):
        indices = tuple(int(i) + n if i < 0 else int(i) for i in indices_or_sections)
        if any(not 0 <= i <= n for i in indices) or any(
            i > j for i, j in zip(indices, indices[1:])
        ):
            raise ValueError(
                f"split: indices {tuple(indices_or_sections)} must increase within axis {a} "
                f"of shape {shape}"
            )
    else:
        raise TypeError(
            f"split: indices_or_sections must be an int or a sequence of ints, got "
            f"{indices_or_sections!r}"
        )
    return apply_multi(Split(indices, a), (x,), config)


# numpy's other shape functions ------------------------------------------------------------------

Indices: TypeAlias = int | np.integer[Any] | NDArray[np.integer[Any]] | Sequence[int]
"""Integer positions, as `take` and `repeat` take them: an int, a sequence or an array."""


def _ints(value: object, what: str, op: str) -> tuple[int, ...]:
    """An int or a sequence of ints as a tuple."""
    if _is_int(value):
        return (int(value),)  # type: ignore[call-overload]  # an int, checked above
    if isinstance(value, (tuple, list)) and all(_is_int(v) for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"{op}: {what} must be an int or a tuple of ints, got {value!r}")


def _axis_tuple(axis: object, ndim: int, shape: tuple[int, ...], op: str) -> tuple[int, ...]:
    """`axis` (an int or a tuple) as distinct non-negative axes of `ndim` dimensions."""
    axes = _ints(axis, "axis", op)
    try:
        return normalize_axis_tuple(axes, ndim)
    except (ValueError, IndexError) as error:
        raise ValueError(f"{op}: {error} (input shape {shape})") from None


def _check_operands(xs: object, op: str) -> Sequence[Any]:
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of nodes or arrays, got {type(xs).__name__}")
    if not xs:
        raise ValueError(f"{op}: needs at least one input")
    for x in xs:
        if type(x) is not Node and not isinstance(x, np.ndarray):
            raise TypeError(f"{op}: expected nodes or numpy.ndarrays, got {type(x).__name__}")
    return xs


@attrs.frozen
class Stack(Op):
    """Join equal shapes along a new `axis`; input `i` gets the slice `i` of `gy`."""

    name = "stack"
    axis: int

    def forward(self, *xs: Any) -> Any:
        return np.stack(xs, axis=self.axis)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return GetItem((slice(None),) * self.axis + (i,))(gy)


@overload
def stack(xs: Sequence[Node[D] | NDArray[D]], axis: int = 0, *, config: Config | None = None) -> Node[D]: ...
@overload
def stack(xs: Sequence[Node[np.float64] | NDArray[np.float64]], axis: int = 0, *, config: Config | None = None) -> Node[np.float64]: ...  # type: ignore[overload-overlap]  # only an empty sequence matches both: it raises
@overload
def stack(xs: Sequence[Node[np.float32] | NDArray[np.float32]], axis: int = 0, *, config: Config | None = None) -> Node[np.float32]: ...
def stack(xs: Sequence[Node[Any] | NDArray[Any]], axis: int = 0, *, config: Config | None = None) -> Node[Any]:
    """Join `xs`, all of one shape, along a new `axis`, as `numpy.stack`.

    Raises:
        TypeError: `xs` is not a list or tuple of nodes and arrays, or `axis` is not an int.
        ValueError: `xs` is empty, the shapes differ, or `axis` is out of range.

    >>> import puregrad as pg
    >>> stack([pg.variable(np.ones(3)), np.zeros(3)], axis=1).shape
    (3, 2)
    """
    _check_operands(xs, "stack")
    shapes = [shape_of(x) for x in xs]
    for shape in shapes[1:]:
        if shape != shapes[0]:
            raise ValueError(f"stack: every input needs the same shape, got {shapes[0]} and {shape}")
    a = _axis(axis, shapes[0] + (1,), "stack")
    return apply(Stack(a), tuple(xs), config)


def _at_least(x: Any, ndim: int, config: Config | None) -> Any:
    """`x` with axes of size 1 added, as `numpy.atleast_1d` and `atleast_2d` do."""
    shape = shape_of(x)
    if len(shape) >= ndim:
        return x
    target = (1,) * (ndim - len(shape)) + shape
    return apply(Reshape(target), (x,), config) if type(x) is Node else np.reshape(x, target)


@overload
def vstack(xs: Sequence[Node[D] | NDArray[D]], *, config: Config | None = None) -> Node[D]: ...
@overload
def vstack(xs: Sequence[Node[np.float64] | NDArray[np.float64]], *, config: Config | None = None) -> Node[np.float64]: ...  # type: ignore[overload-overlap]  # only an empty sequence matches both: it raises
@overload
def vstack(xs: Sequence[Node[np.float32] | NDArray[np.float32]], *, config: Config | None = None) -> Node[np.float32]: ...
def vstack(xs: Sequence[Node[Any] | NDArray[Any]], *, config: Config | None = None) -> Node[Any]:
    """Join `xs` along the first axis, 1-D inputs read as rows, as `numpy.vstack`.

    >>> import puregrad as pg
    >>> vstack([pg.variable(np.ones(3)), np.zeros((2, 3))]).shape
    (3, 3)
    """
    parts = [_at_least(x, 2, config) for x in _check_operands(xs, "vstack")]
    return concat(parts, 0, config=config)


@overload
def hstack(xs: Sequence[Node[D] | NDArray[D]], *, config: Config | None = None) -> Node[D]: ...
@overload
def hstack(xs: Sequence[Node[np.float64] | NDArray[np.float64]], *, config: Config | None = None) -> Node[np.float64]: ...  # type: ignore[overload-overlap]  # only an empty sequence matches both: it raises
@overload
def hstack(xs: Sequence[Node[np.float32] | NDArray[np.float32]], *, config: Config | None = None) -> Node[np.float32]: ...
def hstack(xs: Sequence[Node[Any] | NDArray[Any]], *, config: Config | None = None) -> Node[Any]:
    """Join `xs` along the second axis (the first for 1-D inputs), as `numpy.hstack`.

    >>> import puregrad as pg
    >>> hstack([pg.variable(np.ones(3)), np.zeros(2)]).shape
    (5,)
    """
    parts = [_at_least(x, 1, config) for x in _check_operands(xs, "hstack")]
    return concat(parts, 0 if len(shape_of(parts[0])) == 1 else 1, config=config)


def squeeze(x: Node[D] | NDArray[D], axis: int | tuple[int, ...] | None = None, *, config: Config | None = None) -> Node[D]:
    """`x` without axes of length 1 (all of them, or those in `axis`), as `numpy.squeeze`.

    Raises:
        ValueError: an axis out of range or not of length 1.

    >>> import puregrad as pg
    >>> squeeze(pg.variable(np.ones((1, 3, 1)))).shape
    (3,)
    """
    shape = shape_of(x)
    if axis is None:
        axes = tuple(d for d, s in enumerate(shape) if s == 1)
    else:
        axes = _axis_tuple(axis, len(shape), shape, "squeeze")
        for d in axes:
            if shape[d] != 1:
                raise ValueError(f"squeeze: axis {d} of shape {shape} is not of length 1")
    return apply(Reshape(tuple(s for d, s in enumerate(shape) if d not in axes)), (x,), config)


def expand_dims(x: Node[D] | NDArray[D], axis: int | tuple[int, ...], *, config: Config | None = None) -> Node[D]:
    """`x` with new axes of length 1 at the positions `axis` of the result, as
    `numpy.expand_dims`.

    >>> import puregrad as pg
    >>> expand_dims(pg.variable(np.ones((2, 3))), (0, -1)).shape
    (1, 2, 3, 1)
    """
    shape = shape_of(x)
    count = len(_ints(axis, "axis", "expand_dims"))
    axes = _axis_tuple(axis, len(shape) + count, shape, "expand_dims")
    rest = iter(shape)
    target = tuple(1 if d in axes else next(rest) for d in range(len(shape) + count))
    return apply(Reshape(target), (x,), config)


def ravel(x: Node[D] | NDArray[D], *, config: Config | None = None) -> Node[D]:
    """`x` as one dimension, in C order, as `numpy.ravel` (no `order`: a node's layout is
    numpy's own business).

    >>> import puregrad as pg
    >>> ravel(pg.variable(np.ones((2, 3)))).shape
    (6,)
    """
    return apply(Reshape((-1,)), (x,), config)


@attrs.frozen
class Flip(Op):
    """Reverse the order along `axes`; its own gradient is the same flip."""

    name = "flip"
    axes: tuple[int, ...]

    def forward(self, *xs: Any) -> Any:
        return np.flip(xs[0], self.axes)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return self(gy)


def flip(x: Node[D] | NDArray[D], axis: int | tuple[int, ...] | None = None, *, config: Config | None = None) -> Node[D]:
    """`x` reversed along `axis` (every axis when None), as `numpy.flip`.

    >>> import puregrad as pg
    >>> flip(pg.variable(np.array([1.0, 2.0, 3.0]))).value
    array([3., 2., 1.])
    """
    shape = shape_of(x)
    axes = tuple(range(len(shape))) if axis is None else _axis_tuple(axis, len(shape), shape, "flip")
    return apply(Flip(axes), (x,), config)


@attrs.frozen
class Roll(Op):
    """Shift elements cyclically by `shift` along `axis` (the flattened array when None); its
    gradient rolls back."""

    name = "roll"
    shift: tuple[int, ...]
    axis: tuple[int, ...] | None

    def forward(self, *xs: Any) -> Any:
        shift = self.shift[0] if self.axis is None else self.shift
        return np.roll(xs[0], shift, self.axis)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return Roll(tuple(-s for s in self.shift), self.axis)(gy)


def roll(
    x: Node[D] | NDArray[D],
    shift: int | tuple[int, ...],
    axis: int | tuple[int, ...] | None = None,
    *,
    config: Config | None = None,
) -> Node[D]:
    """`x` with its elements shifted cyclically by `shift` along `axis` (the flattened `x`
    when None), as `numpy.roll`.

    Raises:
        ValueError: `shift` and `axis` of different lengths, or an axis out of range.

    >>> import puregrad as pg
    >>> roll(pg.variable(np.array([1.0, 2.0, 3.0])), 1).value
    array([3., 1., 2.])
    """
    shape = shape_of(x)
    shifts = _ints(shift, "shift", "roll")
    if axis is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: one shift for the flattened input, got {shifts}")
        return apply(Roll(shifts, None), (x,), config)
    axes = _ints(axis, "axis", "roll")
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    elif len(axes) == 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {shift} and axis {axis} differ in length")
    try:
        normalized = tuple(normalize_axis_index(a, len(shape)) for a in axes)
    except (ValueError, IndexError):
        raise ValueError(f"roll: axis {axis} is out of bounds for shape {shape}") from None
    return apply(Roll(shifts, normalized), (x,), config)


def moveaxis(
    x: Node[D] | NDArray[D],
    source: int | tuple[int, ...],
    destination: int | tuple[int, ...],
    *,
    config: Config | None = None,
) -> Node[D]:
    """`x` with the axes `source` moved to the positions `destination`, the others in their
    order, as `numpy.moveaxis`.

    >>> import puregrad as pg
    >>> moveaxis(pg.variable(np.ones((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    """
    shape = shape_of(x)
    src = _axis_tuple(source, len(shape), shape, "moveaxis")
    dst = _axis_tuple(destination, len(shape), shape, "moveaxis")
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} differ in length")
    order = [d for d in range(len(shape)) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return apply(Transpose(tuple(order)), (x,), config)


def swapaxes(x: Node[D] | NDArray[D], axis1: int, axis2: int, *, config: Config | None = None) -> Node[D]:
    """`x` with two axes interchanged, as `numpy.swapaxes`.

    >>> import puregrad as pg
    >>> swapaxes(pg.variable(np.ones((2, 3, 4))), 0, 2).shape
    (4, 3, 2)
    """
    shape = shape_of(x)
    a, b = _axis(axis1, shape, "swapaxes"), _axis(axis2, shape, "swapaxes")
    order = list(range(len(shape)))
    order[a], order[b] = b, a
    return apply(Transpose(tuple(order)), (x,), config)


@attrs.frozen
class Tile(Op):
    """`numpy.tile(x, reps)`: its gradient sums the copies, by reading `gy` as `(r0, s0, r1,
    s1, ...)` and summing it to `(1, s0, 1, s1, ...)`."""

    name = "tile"
    reps: tuple[int, ...]

    def forward(self, *xs: Any) -> Any:
        return np.tile(xs[0], self.reps)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        shape = shape_of(xs[0])
        ndim = builtins.max(len(shape), len(self.reps))
        sizes = (1,) * (ndim - len(shape)) + shape
        reps = (1,) * (ndim - len(self.reps)) + self.reps
        spread = tuple(n for pair in zip(reps, sizes) for n in pair)
        summed = tuple(n for s in sizes for n in (1, s))
        return Reshape(shape)(SumTo(summed)(Reshape(spread)(gy)))


def tile(x: Node[D] | NDArray[D], reps: int | tuple[int, ...], *, config: Config | None = None) -> Node[D]:
    """`x` repeated `reps` times along each axis, as `numpy.tile`.

    Raises:
        ValueError: a negative repetition.

    >>> import puregrad as pg
    >>> tile(pg.variable(np.array([1.0, 2.0])), (2, 2)).value
    array([[1., 2., 1., 2.],
           [1., 2., 1., 2.]])
    """
    counts = _ints(reps, "reps", "tile")
    if any(r < 0 for r in counts):
        raise ValueError(f"tile: repetitions must not be negative, got {reps}")
    return apply(Tile(counts), (x,), config)


@attrs.frozen(eq=False)  # identity: an index holds arrays
class Repeat(GetItem):
    """`numpy.repeat` as indexing with repeated positions (whose gradients add up)."""

    name = "repeat"


@attrs.frozen(eq=False)  # identity: an index holds arrays
class Take(GetItem):
    """`numpy.take` as indexing along one axis (repeated indices add up their gradients)."""

    name = "take"


@attrs.frozen(eq=False)  # identity: an index holds arrays
class TakeAlongAxis(GetItem):
    """`numpy.take_along_axis` as indexing with one integer array per axis."""

    name = "take_along_axis"


def _positions(indices: object, op: str) -> NDArray[np.intp] | int:
    """Constant integer positions (an int, or a read-only integer array of their own)."""
    if isinstance(indices, (int, np.integer)) and not isinstance(indices, bool):
        return int(indices)
    if type(indices) is Node:
        raise TypeError(f"{op}: indices cannot be a node; use node.value for constant indices")
    if isinstance(indices, (list, tuple, np.ndarray)):
        array = np.array(indices)
        if array.size == 0:
            array = array.astype(np.intp)
        if array.dtype.kind in "iu":
            array = array.astype(np.intp)
            array.setflags(write=False)
            return array
    raise TypeError(f"{op}: indices must be integers, got {indices!r}")


def _flat(x: Any, axis: object, config: Config | None) -> tuple[Any, tuple[int, ...]]:
    """`x` flattened when `axis` is None (as numpy's take and repeat), with its shape."""
    if axis is None:
        x = apply(Reshape((-1,)), (x,), config)
    return x, shape_of(x)


def repeat(x: Node[D] | NDArray[D], repeats: Indices, axis: int | None = None, *, config: Config | None = None) -> Node[D]:
    """Each element of `x` repeated `repeats` times (one count, or one per element) along
    `axis` (of the flattened `x` when None), as `numpy.repeat`.

    Raises:
        ValueError: a negative count, or counts that do not match the axis.

    >>> import puregrad as pg
    >>> repeat(pg.variable(np.array([1.0, 2.0])), [1, 2]).value
    array([1., 2., 2.])
    """
    x, shape = _flat(x, axis, config)
    a = 0 if axis is None else _axis(axis, shape, "repeat")
    try:
        index = np.repeat(np.arange(shape[a]), _positions(repeats, "repeat"))
    except ValueError as error:
        raise ValueError(f"repeat: {error} (axis {a} of shape {shape})") from None
    index.setflags(write=False)
    return apply(Repeat((slice(None),) * a + (index,)), (x,), config)


def take(
    x: Node[D] | NDArray[D],
    indices: Indices,
    axis: int | None = None,
    mode: Literal["raise", "wrap", "clip"] = "raise",
    *,
    config: Config | None = None,
) -> Node[D]:
    """The elements at `indices` along `axis` (of the flattened `x` when None), as
    `numpy.take`; `mode` says what an index out of range does (an IndexError, wrap around,
    or clip to the ends). Repeated indices add up their gradients.

    >>> import puregrad as pg
    >>> take(pg.variable(np.array([[1.0, 2.0], [3.0, 4.0]])), [1, 1, 0], axis=1).value
    array([[2., 2., 1.],
           [4., 4., 3.]])
    """
    x, shape = _flat(x, axis, config)
    a = 0 if axis is None else _axis(axis, shape, "take")
    index: Any = _positions(indices, "take")
    n = shape[a]
    if mode == "wrap":
        index = np.mod(index, n) if n else index
    elif mode == "clip":
        index = np.clip(index, 0, builtins.max(n - 1, 0))
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if np.any(np.less(index, -n) | np.greater_equal(index, n)):
        raise IndexError(f"take: an index in {indices} is out of bounds for axis {a} of shape {shape}")
    if isinstance(index, np.ndarray):
        index.setflags(write=False)
    return apply(Take((slice(None),) * a + (index,)), (x,), config)


def take_along_axis(
    x: Node[D] | NDArray[D],
    indices: NDArray[np.integer[Any]],
    axis: int | None = -1,
    *,
    config: Config | None = None,
) -> Node[D]:
    """The elements of `x` at `indices` along `axis`, matched with the other axes
    (`indices` has `x`'s number of dimensions and broadcasts against it), as
    `numpy.take_along_axis`; the flattened `x` when `axis` is None.

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([[3.0, 1.0], [2.0, 4.0]]))
    >>> take_along_axis(x, np.argsort(x.value, axis=1), axis=1).value
    array([[1., 3.],
           [2., 4.]])
    """
    x, shape = _flat(x, axis, config)
    index = _positions(indices, "take_along_axis")
    if not isinstance(index, np.ndarray) or index.ndim != len(shape):
        raise ValueError(
            f"take_along_axis: indices need {len(shape)} dimensions for shape {shape}, got "
            f"{np.ndim(index)}"
        )
    a = 0 if axis is None else _axis(axis, shape, "take_along_axis")
    items: list[Any] = []
    for d, n in enumerate(shape):
        if d == a:
            items.append(index)
            continue
        span = np.arange(n).reshape(tuple(-1 if e == d else 1 for e in range(len(shape))))
        span.setflags(write=False)
        items.append(span)
    try:
        np.broadcast_shapes(*(i.shape for i in items))
    except ValueError:
        raise ValueError(
            f"take_along_axis: indices of shape {index.shape} do not broadcast against {shape}"
        ) from None
    return apply(TakeAlongAxis(tuple(items)), (x,), config)


def _diagonal_index(offset: int, length: int) -> tuple[Any, ...]:
    """`(..., rows, cols)` picking the `offset` diagonal of the last two axes."""
    rows = np.arange(length) + builtins.max(-offset, 0)
    cols = np.arange(length) + builtins.max(offset, 0)
    rows.setflags(write=False)
    cols.setflags(write=False)
    return (Ellipsis, rows, cols)


def _undiagonal(g: Array, shape: tuple[int, ...], offset: int, axis1: int, axis2: int) -> Array:
    """Zeros of `shape` with `g` (its last axis along the diagonal) on the `offset` diagonal
    of `axis1` and `axis2`: the gradient of `diagonal`, built from ops."""
    order = tuple(d for d in range(len(shape)) if d not in (axis1, axis2)) + (axis1, axis2)
    moved = tuple(shape[d] for d in order)
    scattered = ScatterAdd(_diagonal_index(offset, shape_of(g)[-1]), moved)(g)
    return Transpose(tuple(int(d) for d in np.argsort(order)))(scattered)


def _diagonal_length(shape: tuple[int, ...], offset: int, axis1: int, axis2: int) -> int:
    return builtins.max(0, builtins.min(shape[axis1] - builtins.max(-offset, 0), shape[axis2] - builtins.max(offset, 0)))


@attrs.frozen
class Diagonal(Op):
    """`numpy.diagonal`: the diagonal becomes the last axis; its gradient puts it back."""

    name = "diagonal"
    offset: int
    axis1: int
    axis2: int

    def forward(self, *xs: Any) -> Any:
        return np.diagonal(xs[0], self.offset, self.axis1, self.axis2)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return _undiagonal(gy, shape_of(xs[0]), self.offset, self.axis1, self.axis2)


@attrs.frozen
class Trace(Op):
    """`numpy.trace`, the sum along a diagonal; its gradient spreads `gy` along it."""

    name = "trace"
    offset: int
    axis1: int
    axis2: int

    def forward(self, *xs: Any) -> Any:
        return np.trace(xs[0], self.offset, self.axis1, self.axis2)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        shape = shape_of(xs[0])
        length = _diagonal_length(shape, self.offset, self.axis1, self.axis2)
        sy = shape_of(gy)
        spread = BroadcastTo(sy + (length,))(Reshape(sy + (1,))(gy))
        return _undiagonal(spread, shape, self.offset, self.axis1, self.axis2)


def _diagonal_axes(x: object, offset: object, axis1: int, axis2: int, op: str) -> tuple[int, int, int]:
    shape = shape_of(x)
    if len(shape) < 2:
        raise ValueError(f"{op}: needs at least two dimensions, got shape {shape}")
    if not _is_int(offset):
        raise TypeError(f"{op}: offset must be an int, got {offset!r}")
    a, b = _axis(axis1, shape, op), _axis(axis2, shape, op)
    if a == b:
        raise ValueError(f"{op}: axis1 and axis2 cannot be the same ({axis1} and {axis2} of shape {shape})")
    return int(offset), a, b  # type: ignore[call-overload]  # an int, checked above


def diagonal(x: Node[D] | NDArray[D], offset: int = 0, axis1: int = 0, axis2: int = 1, *, config: Config | None = None) -> Node[D]:
    """The `offset` diagonal of the planes of `axis1` and `axis2`, as a last axis, as
    `numpy.diagonal`.

    >>> import puregrad as pg
    >>> diagonal(pg.variable(np.arange(9.0).reshape(3, 3)), 1).value
    array([1., 5.])
    """
    return apply(Diagonal(*_diagonal_axes(x, offset, axis1, axis2, "diagonal")), (x,), config)


def trace(x: Node[D] | NDArray[D], offset: int = 0, axis1: int = 0, axis2: int = 1, *, config: Config | None = None) -> Node[D]:
    """The sum along the `offset` diagonal of the planes of `axis1` and `axis2`, as
    `numpy.trace`.

    >>> import puregrad as pg
    >>> x = pg.variable(np.arange(4.0).reshape(2, 2))
    >>> pg.backward(trace(x))[x].value
    array([[1., 0.],
           [0., 1.]])
    """
    return apply(Trace(*_diagonal_axes(x, offset, axis1, axis2, "trace")), (x,), config)


@attrs.frozen
class Triangle(Op):
    """`numpy.triu` (`upper`) or `numpy.tril` of the last two axes: a fixed mask, so its
    gradient is the same mask of `gy`."""

    name: str  # type: ignore[misc]  # "triu" or "tril": an instance's own name
    k: int

    def forward(self, *xs: Any) -> Any:
        return (np.triu if self.name == "triu" else np.tril)(xs[0], self.k)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return self(gy)


def _triangle(name: str, x: object, k: object, config: Config | None) -> Node[Any]:
    if not _is_int(k):
        raise TypeError(f"{name}: k must be an int, got {k!r}")
    if not shape_of(x):
        raise ValueError(f"{name}: needs at least one dimension, got a 0-d input")
    return apply(Triangle(name, int(k)), (x,), config)  # type: ignore[call-overload]  # an int, checked above


def triu(x: Node[D] | NDArray[D], k: int = 0, *, config: Config | None = None) -> Node[D]:
    """`x` with the elements below the `k`-th diagonal of the last two axes zeroed, as
    `numpy.triu`.

    >>> import puregrad as pg
    >>> triu(pg.variable(np.ones((2, 2)))).value
    array([[1., 1.],
           [0., 1.]])
    """
    return _triangle("triu", x, k, config)


def tril(x: Node[D] | NDArray[D], k: int = 0, *, config: Config | None = None) -> Node[D]:
    """`x` with the elements above the `k`-th diagonal of the last two axes zeroed, as
    `numpy.tril`."""
    return _triangle("tril", x, k, config)


@attrs.frozen
class Pad(Op):
    """`numpy.pad` in constant mode; its gradient is the slice of `gy` where `x` went."""

    name = "pad"
    widths: tuple[tuple[int, int], ...]
    values: tuple[tuple[float, float], ...]

    def forward(self, *xs: Any) -> Any:
        return np.pad(xs[0], self.widths, mode="constant", constant_values=self.values)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        shape = shape_of(xs[0])
        return GetItem(tuple(slice(b, b + n) for (b, _), n in zip(self.widths, shape)))(gy)


def _pairs(value: object, ndim: int, what: str, kinds: str) -> NDArray[Any]:
    """A pad argument (a number, a pair, or a pair per axis) as an `(ndim, 2)` array."""
    array = np.asarray(value)
    if array.dtype.kind not in kinds:
        raise TypeError(f"pad: {what} must be {'integers' if kinds == 'iu' else 'numbers'}, got {value!r}")
    try:
        return np.broadcast_to(array, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: {what} {value!r} does not fit {ndim} dimensions") from None


def pad(
    x: Node[D] | NDArray[D],
    pad_width: int | Sequence[int] | Sequence[Sequence[int]],
    mode: Literal["constant"] = "constant",
    *,
    constant_values: float | Sequence[float] | Sequence[Sequence[float]] = 0,
    config: Config | None = None,
) -> Node[D]:
    """`x` padded with constants (`constant_values`: one, a pair, or a pair per axis) by
    `pad_width` elements before and after each axis, as `numpy.pad` in its default mode.

    Raises:
        TypeError: another `mode` (only "constant" is differentiated here).
        ValueError: a negative width, or widths that do not fit `x`'s dimensions.

    >>> import puregrad as pg
    >>> pad(pg.variable(np.array([1.0, 2.0])), (1, 2), constant_values=9).value
    array([9., 1., 2., 9., 9.])
    """
    if mode != "constant":
        raise TypeError(f"pad: mode {mode!r} is not supported on puregrad nodes; only 'constant'")
    ndim = len(shape_of(x))
    widths = _pairs(pad_width, ndim, "pad_width", "iu")
    if np.any(widths < 0):
        raise ValueError(f"pad: widths cannot be negative, got {pad_width!r}")
    values = _pairs(constant_values, ndim, "constant_values", "biuf")
    return apply(
        Pad(
            tuple((int(b), int(a)) for b, a in widths),
            tuple((values[d, 0].item(), values[d, 1].item()) for d in range(ndim)),
        ),
        (x,),
        config,
    )

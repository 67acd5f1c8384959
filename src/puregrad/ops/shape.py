"""Shape ops: reshape, transpose, broadcast_to and sum_to (the pair `backward` undoes
broadcasting with), indexing (get_item and its gradient, a scatter-add), concat and split."""

from __future__ import annotations

from collections.abc import Sequence
from types import EllipsisType
from typing import Any, TypeAlias, overload

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
    "GetItem",
    "Index",
    "Reshape",
    "ScatterAdd",
    "Split",
    "SumTo",
    "Transpose",
    "broadcast_to",
    "concat",
    "get_item",
    "reshape",
    "split",
    "sum_to",
    "transpose",
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

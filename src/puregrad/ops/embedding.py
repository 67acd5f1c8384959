"""`embedding`: rows of a table picked by integer ids (`torch.nn.functional.embedding`)."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import F, Node, shape_of
from puregrad.op import Array, Op, apply
from puregrad.ops.shape import ScatterAdd

__all__ = ["EmbeddingLookup", "embedding"]


@attrs.frozen(eq=False)  # identity: it holds an array
class EmbeddingLookup(Op):
    """`W[ids]`: one row of `W` per id. Its gradient adds each row of `gy` into the row of
    its id (repeated ids accumulate), through `ScatterAdd`, whose own gradient is the
    lookup again, so the rule differentiates to any order."""

    name = "embedding"
    ids: NDArray[np.intp]

    def forward(self, *xs: Any) -> Any:
        return np.take(xs[0], self.ids, axis=0)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return ScatterAdd((self.ids,), shape_of(xs[0]))(gy)


def _ids(ids: object, rows: int, shape: tuple[int, ...]) -> NDArray[np.intp]:
    """`ids` as a read-only intp array, every id checked against the table's rows."""
    if type(ids) is Node:
        ids = ids.value
    if isinstance(ids, (int, np.integer)) and not isinstance(ids, (bool, np.bool_)):
        ids = np.asarray(ids)
    if not isinstance(ids, np.ndarray):
        raise TypeError(
            f"embedding: ids must be an integer ndarray, Node or int, got {type(ids).__name__}"
        )
    if ids.dtype.kind not in "iu":
        raise TypeError(f"embedding: ids must be integers, got dtype {ids.dtype}")
    if ids.size:
        low, high = ids.min(), ids.max()
        if low < 0 or high >= rows:
            bad = low if low < 0 else high
            raise IndexError(
                f"embedding: id {bad} is out of range for a table of {rows} rows "
                f"(W of shape {shape}); ids must be in [0, {rows})"
            )
    array = ids.astype(np.intp, copy=True)  # our own copy: the caller may change theirs
    array.flags.writeable = False
    return array


def embedding(
    W: Node[F] | NDArray[F],
    ids: Node[Any] | NDArray[np.integer[Any]] | int,
    *,
    config: Config | None = None,
) -> Node[F]:
    """The rows of `W` at `ids`: shape `ids.shape + (D,)` for `W` of shape `(V, D)`, as
    `torch.nn.functional.embedding`.

    The gradient for `W` adds the gradient of each picked row back into its row, so an id
    that appears several times gets the sum. `ids` are constants (no gradient).

    Raises:
        TypeError: `ids` are not integers.
        ValueError: `W` is not 2-D.
        IndexError: an id is negative or not below `V`, naming it.

    >>> import puregrad as pg
    >>> W = pg.variable(np.arange(6.0).reshape(3, 2))
    >>> embedding(W, np.array([2, 0, 2])).value
    array([[4., 5.],
           [0., 1.],
           [4., 5.]])
    >>> pg.backward(pg.sum(embedding(W, np.array([2, 0, 2]))))[W].value
    array([[1., 1.],
           [0., 0.],
           [2., 2.]])
    """
    shape = shape_of(W)
    if len(shape) != 2:
        raise ValueError(f"embedding: W must be 2-D (num_embeddings, dim), got shape {shape}")
    return apply(EmbeddingLookup(_ids(ids, shape[0], shape)), (W,), config)
